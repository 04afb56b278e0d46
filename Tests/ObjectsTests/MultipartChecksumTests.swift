import Foundation
import ServiceKit
import StatesLanguage
import Testing
@testable import Objects

/// Checksums as S3 keeps them since 2025: every object gets a CRC64NVME when sent without
/// one, a multipart upload's is COMPOSITE (over the parts' digests, `value-N`) or FULL_OBJECT,
/// and the complete request is checked against the upload's algorithm and type.
@Suite struct MultipartChecksumTests {
    /// Each CRC's published check value (of "123456789"), in S3's base64 of the big-endian digest.
    @Test(arguments: [(Checksum.Algorithm.crc64nvme, [0xAE, 0x8B, 0x14, 0x86, 0x0A, 0x79, 0x98, 0x88] as [UInt8]),
                      (.crc32, [0xCB, 0xF4, 0x39, 0x26]), (.crc32c, [0xE3, 0x06, 0x92, 0x83])])
    func crcsMatchTheirCheckValues(_ algorithm: Checksum.Algorithm, _ expected: [UInt8]) {
        var c = Checksum(algorithm)
        c.update(Array("123456789".utf8))
        #expect(c.value() == Data(expected).base64EncodedString())
    }

    /// The folded and instruction-based CRCs agree with the definition, a bit at a time, on
    /// every length around their block sizes (16, 64) and from any starting register.
    @Test func fastCRCsAgreeWithTheBitwiseDefinition() {
        func bitwise<T: FixedWidthInteger & UnsignedInteger>(_ start: T, _ bytes: ArraySlice<UInt8>, _ polynomial: T) -> T {
            var c = start
            for b in bytes {
                c ^= T(b)
                for _ in 0..<8 { c = c & 1 == 1 ? (c >> 1) ^ polynomial : c >> 1 }
            }
            return c
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<1_300).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        var wrong = 0
        for length in Array(0...300) + [511, 512, 513, 1_023, 1_024, 1_025, 1_299] {
            for offset in [0, 1] where offset + length <= bytes.count {
                let part = bytes[offset..<(offset + length)]
                let start64 = UInt64(length) &* 0x0123_4567_89AB_CDEF, start32 = UInt32(truncatingIfNeeded: start64)
                if Checksum.crc64(start64, Array(part)) != bitwise(start64, part, 0x9A6C_9329_AC4B_C9B5 as UInt64) { wrong += 1 }
                if Checksum.crc32c(start32, Array(part)) != bitwise(start32, part, 0x82F6_3B78 as UInt32) { wrong += 1 }
                if Checksum.crc32(start32, Array(part)) != bitwise(start32, part, 0xEDB8_8320 as UInt32) { wrong += 1 }
            }
        }
        #expect(wrong == 0)
    }

    @Test func everyObjectGetsACRC64NVMEAndARangeGetsNone() async throws {
        let f = try await ObjectStoreTests.Fixture()
        _ = try await f.call("PUT", "bkt")
        _ = try await f.call("PUT", "bkt", "k", body: Array("123456789".utf8))
        let whole = try await f.call("GET", "bkt", "k", headers: ["x-amz-checksum-mode": "ENABLED"])
        #expect(f.header(whole, "x-amz-checksum-crc64nvme") == "rosUhgp5mIg=")
        #expect(f.header(whole, "x-amz-checksum-type") == "FULL_OBJECT")
        let part = try await f.call("GET", "bkt", "k", headers: ["x-amz-checksum-mode": "ENABLED", "range": "bytes=0-3"])
        #expect(f.header(part, "x-amz-checksum-crc64nvme") == nil, "a range is not the object the checksum is of")
        let listed = String(decoding: try await f.call("GET", "bkt").body, as: UTF8.self)
        #expect(listed.contains("<ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm>"))
    }

    @Test func aCompositeUploadChecksAndJoinsItsParts() async throws {
        let f = try await ObjectStoreTests.Fixture()
        _ = try await f.call("PUT", "bkt")
        await #expect(throws: ServiceError("InvalidRequest", "")) {
            try await f.call("POST", "bkt", "k", query: ["uploads": ""], headers: ["x-amz-checksum-algorithm": "CRC64NVME", "x-amz-checksum-type": "COMPOSITE"])
        }
        let created = String(decoding: try await f.call("POST", "bkt", "k", query: ["uploads": ""],
                                                         headers: ["x-amz-checksum-algorithm": "CRC32"]).body, as: UTF8.self)
        let id = try #require(created.components(separatedBy: "<UploadId>").last?.components(separatedBy: "<").first)
        let parts = [[UInt8](repeating: 97, count: 5 * 1024 * 1024), Array("tail".utf8)]
        var checksums: [String] = []
        var etags: [String] = []
        for (i, body) in parts.enumerated() {
            let r = try await f.call("PUT", "bkt", "k", query: ["uploadId": id, "partNumber": String(i + 1)], body: body)
            checksums.append(try #require(f.header(r, "x-amz-checksum-crc32"), "computed for the upload's algorithm"))
            etags.append(try #require(f.header(r, "ETag")))
        }
        await #expect(throws: ServiceError("InvalidRequest", "")) {
            try await f.call("PUT", "bkt", "k", query: ["uploadId": id, "partNumber": "3"], headers: ["x-amz-checksum-crc32c": "AAAAAA=="],
                             body: Array("x".utf8))
        }
        func complete(_ withChecksums: Bool) -> [UInt8] {
            let ps = zip(etags, checksums).enumerated().map { i, p in
                "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\(p.0)</ETag>" + (withChecksums ? "<ChecksumCRC32>\(p.1)</ChecksumCRC32>" : "") + "</Part>"
            }
            return Array(("<CompleteMultipartUpload>" + ps.joined() + "</CompleteMultipartUpload>").utf8)
        }
        await #expect(throws: ServiceError("InvalidRequest", "")) { try await f.call("POST", "bkt", "k", query: ["uploadId": id], body: complete(false)) }
        let done = String(decoding: try await f.call("POST", "bkt", "k", query: ["uploadId": id], body: complete(true)).body, as: UTF8.self)
        var composite = Checksum(.crc32)
        for c in checksums { composite.update(Array(try #require(Data(base64Encoded: c)))) }
        #expect(done.contains("<ChecksumCRC32>\(composite.value())-2</ChecksumCRC32><ChecksumType>COMPOSITE</ChecksumType>"))
        // A part by number, with its own checksum.
        let second = try await f.call("GET", "bkt", "k", query: ["partNumber": "2"], headers: ["x-amz-checksum-mode": "ENABLED"])
        #expect(second.status == 206 && f.header(second, "x-amz-checksum-crc32") == checksums[1] && f.header(second, "x-amz-mp-parts-count") == "2")
        #expect(try await f.read(second) == parts[1])
    }

    @Test func aFullObjectUploadWantsItsTypeNamed() async throws {
        let f = try await ObjectStoreTests.Fixture()
        _ = try await f.call("PUT", "bkt")
        let created = String(decoding: try await f.call("POST", "bkt", "k", query: ["uploads": ""],
                                                         headers: ["x-amz-checksum-algorithm": "CRC32C", "x-amz-checksum-type": "FULL_OBJECT"]).body,
                             as: UTF8.self)
        let id = try #require(created.components(separatedBy: "<UploadId>").last?.components(separatedBy: "<").first)
        let r = try await f.call("PUT", "bkt", "k", query: ["uploadId": id, "partNumber": "1"], body: Array("abc".utf8))
        let crc = try #require(f.header(r, "x-amz-checksum-crc32c"))
        let body = Array("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\(f.header(r, "ETag") ?? "")</ETag></Part></CompleteMultipartUpload>".utf8)
        await #expect(throws: ServiceError("InvalidRequest", "")) {
            try await f.call("POST", "bkt", "k", query: ["uploadId": id], headers: ["x-amz-checksum-type": "COMPOSITE"], body: body)
        }
        await #expect(throws: ServiceError("BadDigest", "")) {
            try await f.call("POST", "bkt", "k", query: ["uploadId": id], headers: ["x-amz-checksum-crc32c": crc], body: body)
        }
        await #expect(throws: ServiceError("InvalidRequest", "")) {
            try await f.call("POST", "bkt", "k", query: ["uploadId": id], headers: ["x-amz-mp-object-size": "4"], body: body)
        }
        let done = String(decoding: try await f.call("POST", "bkt", "k", query: ["uploadId": id],
                                                      headers: ["x-amz-checksum-crc32c": crc, "x-amz-checksum-type": "FULL_OBJECT"], body: body).body,
                          as: UTF8.self)
        #expect(done.contains("<ChecksumCRC32C>\(crc)</ChecksumCRC32C><ChecksumType>FULL_OBJECT</ChecksumType>"))
    }
}
