import Crypto
import Foundation
import ServiceKit
import StatesLanguage
import Testing
@testable import Objects

/// SSE-C: the key's checks in S3's order, an object read only with its key, and a multipart
/// upload's parts bound to the key it began with.
@Suite struct CustomerKeyTests {
    static func key(_ byte: UInt8) -> [String: String] {
        let k = Data(repeating: byte, count: 32)
        return ["x-amz-server-side-encryption-customer-algorithm": "AES256",
                "x-amz-server-side-encryption-customer-key": k.base64EncodedString(),
                "x-amz-server-side-encryption-customer-key-md5": Data(Insecure.MD5.hash(data: k)).base64EncodedString()]
    }

    @Test(arguments: [
        ("x-amz-server-side-encryption-customer-algorithm", "KMS", "InvalidEncryptionAlgorithmError"),
        ("x-amz-server-side-encryption-customer-key", Data(repeating: 1, count: 10).base64EncodedString(), "InvalidArgument"),
        ("x-amz-server-side-encryption-customer-key-md5", "AAAAAAAAAAAAAAAAAAAAAA==", "InvalidArgument"),
    ])
    func aBadKeyIsRefused(header: String, value: String, code: String) async throws {
        let f = try await ObjectStoreTests.Fixture()
        _ = try await f.call("PUT", "bkt")
        var h = Self.key(7)
        h[header] = value
        await #expect(throws: ServiceError(code, "")) { try await f.call("PUT", "bkt", "k", headers: h, body: Array("x".utf8)) }
        await #expect(throws: ServiceError("NoSuchKey", "")) { try await f.call("HEAD", "bkt", "k") }
    }

    @Test func anObjectIsReadWithItsKeyOnly() async throws {
        let f = try await ObjectStoreTests.Fixture()
        _ = try await f.call("PUT", "bkt")
        let put = try await f.call("PUT", "bkt", "k", headers: Self.key(7), body: Array("secret".utf8))
        #expect(f.header(put, "x-amz-server-side-encryption-customer-algorithm") == "AES256")
        await #expect(throws: ServiceError("InvalidRequest", "")) { try await f.call("GET", "bkt", "k") }
        await #expect(throws: ServiceError("AccessDenied", "")) { try await f.call("GET", "bkt", "k", headers: Self.key(8)) }
        #expect(try await f.read(try await f.call("GET", "bkt", "k", headers: Self.key(7))) == Array("secret".utf8))

        let created = String(decoding: try await f.call("POST", "bkt", "m", query: ["uploads": ""], headers: Self.key(7)).body, as: UTF8.self)
        let id = try #require(created.components(separatedBy: "<UploadId>").last?.components(separatedBy: "<").first)
        await #expect(throws: ServiceError("InvalidRequest", "")) {
            try await f.call("PUT", "bkt", "m", query: ["uploadId": id, "partNumber": "1"], body: Array("p".utf8))
        }
        await #expect(throws: ServiceError("InvalidRequest", "")) {
            try await f.call("PUT", "bkt", "m", query: ["uploadId": id, "partNumber": "1"], headers: Self.key(8), body: Array("p".utf8))
        }
        #expect(try await f.call("PUT", "bkt", "m", query: ["uploadId": id, "partNumber": "1"], headers: Self.key(7), body: Array("p".utf8)).status == 200)
    }
}
