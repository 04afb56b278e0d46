import Engine
import Foundation
import ServiceKit
import StatesLanguage
import Testing
@testable import Objects

/// The smaller rules AWS's recordings showed, each checked once: digests, the tagging
/// header, a copy source given as a URL, what an anonymous listing leaves out, the
/// version-id marker's rule, a conditional complete over a rewritten key, and the order of
/// accelerate's checks.
@Suite struct S3DetailsTests {
    @Test func digestsAndTagsAreCheckedBeforeAnythingIsKept() async throws {
        let f = try await ObjectStoreTests.Fixture()
        _ = try await f.call("PUT", "bkt")
        await #expect(throws: ServiceError("InvalidDigest", "")) {
            try await f.call("PUT", "bkt", "k", headers: ["content-md5": "MTIz"], body: Array("x".utf8))
        }
        do {
            _ = try await f.call("PUT", "bkt", "k", headers: ["content-md5": "CYketZBSTjX8czcs3cXVlg=="], body: Array("x".utf8))
            Issue.record("a wrong MD5 was taken")
        } catch let e as ServiceError {
            #expect(e.code == "BadDigest" && e.details?["ExpectedDigest"] == "09891eb590524e35fc73372cddc5d596")
        }
        for tagging in ["a=1&a=2", "a=1,b=2"] {
            await #expect(throws: ServiceError("InvalidArgument", "")) {
                try await f.call("PUT", "bkt", "k", headers: ["x-amz-tagging": tagging], body: Array("x".utf8))
            }
        }
        await #expect(throws: ServiceError("NoSuchKey", "")) { try await f.call("HEAD", "bkt", "k") }
    }

    @Test func listingsCopiesAndCompletesAsAWSAnswers() async throws {
        let f = try await ObjectStoreTests.Fixture()
        _ = try await f.call("PUT", "bkt")
        _ = try await f.call("PUT", "bkt", "src", body: Array("s".utf8))
        // A copy source may be a whole path-style URL.
        _ = try await f.call("PUT", "bkt", "dst", headers: ["x-amz-copy-source": "http://s3.localhost:8083/bkt/src"])
        #expect(try await f.read(try await f.call("GET", "bkt", "dst")) == Array("s".utf8))
        // An anonymous listing is not told the owner; a signed one is.
        #expect(!String(decoding: try await f.call("GET", "bkt").body, as: UTF8.self).contains("<Owner>"))
        let signed = try await f.call("GET", "bkt", headers: ["authorization": "AWS4-HMAC-SHA256 Credential=test/20261201/us-east-1/s3/aws4_request"])
        #expect(String(decoding: signed.body, as: UTF8.self).contains("<Owner>"))
        await #expect(throws: ServiceError("InvalidArgument", "")) {
            try await f.call("GET", "bkt", query: ["versions": "", "version-id-marker": "abc"])
        }
        // A conditional complete over a key written since the upload began conflicts.
        let created = String(decoding: try await f.call("POST", "bkt", "src", query: ["uploads": ""]).body, as: UTF8.self)
        let id = try #require(created.components(separatedBy: "<UploadId>").last?.components(separatedBy: "<").first)
        let part = try await f.call("PUT", "bkt", "src", query: ["uploadId": id, "partNumber": "1"], body: Array("p".utf8))
        try #require(f.s3.clock as? ManualEngineClock).advance(seconds: 1)
        let rewritten = try await f.call("PUT", "bkt", "src", body: Array("new".utf8))
        let body = Array("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\(f.header(part, "ETag") ?? "")</ETag></Part></CompleteMultipartUpload>".utf8)
        await #expect(throws: ServiceError("ConditionalRequestConflict", "")) {
            try await f.call("POST", "bkt", "src", query: ["uploadId": id], headers: ["if-match": f.header(rewritten, "ETag") ?? ""], body: body)
        }
    }

    @Test func accelerateNamesADottedBucketBeforeReadingTheDocument() async throws {
        let f = try await ObjectStoreTests.Fixture()
        _ = try await f.call("PUT", "my.bucket")
        await #expect(throws: ServiceError("InvalidRequest", "")) {
            try await f.call("PUT", "my.bucket", query: ["accelerate": ""], body: Array("not xml".utf8))
        }
    }
}
