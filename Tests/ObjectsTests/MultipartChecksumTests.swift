import Foundation
import ServiceKit
import StatesLanguage
import Testing
@testable import Objects

/// Checksums as S3 keeps them since 2025: every object gets a CRC64NVME when sent without
/// one, a multipart upload's is COMPOSITE (over the parts' digests, `value-N`) or FULL_OBJECT,
/// and the complete request is checked against the upload's algorithm and type.
@Suite struct MultipartChecksumTests {
    /// CRC-64/NVME's published check value (the CRC of "123456789"), and slicing-by-8 agreeing
    /// with the byte-at-a-time form on lengths that are not multiples of 8.
    @Test func crc64nvmeMatchesItsCheckValue() {
        var c = Checksum(.crc64nvme)
        c.update(Array("123456789".utf8))
        let expected: [UInt8] = [0xAE, 0x8B, 0x14, 0x86, 0x0A, 0x79, 0x98, 0x88]
        #expect(c.value() == Data(expected).base64EncodedString())
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var slow: UInt64 = ~0
        for b in bytes { slow = Checksum.crc64Table[Int((slow ^ UInt64(b)) & 0xFF)] ^ (slow >> 8) }
        #expect(Checksum.crc64(~0, bytes) == slow)
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
