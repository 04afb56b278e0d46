import Foundation
import ServiceKit
import StatesLanguage
import Testing
@testable import Objects

/// Versioning through the service: versions kept, delete markers, a version's removal
/// bringing the previous one back, Suspended's `null` version, and no file left behind.
@Suite struct VersioningTests {
    @Test func versionsMarkersAndTheNullVersion() async throws {
        let f = try await ObjectStoreTests.Fixture()
        let s3 = f.s3
        func body(_ r: ServiceReply) async throws -> String { String(decoding: try await f.read(r), as: UTF8.self) }
        func version(_ r: ServiceReply) -> String? { f.header(r, "x-amz-version-id") }
        _ = try await s3.call("PUT", "docs")
        _ = try await s3.call("PUT", "docs", "k", body: Array("before".utf8))
        let enable = Array("<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>".utf8)
        _ = try await s3.call("PUT", "docs", query: ["versioning": ""], body: enable)
        let v1 = try #require(version(try await s3.call("PUT", "docs", "k", body: Array("v1".utf8))))
        let v2 = try #require(version(try await s3.call("PUT", "docs", "k", body: Array("v2".utf8))))
        #expect(v1 != v2 && v1.count == 32)
        #expect(try await body(try await s3.call("GET", "docs", "k")) == "v2")
        #expect(try await body(try await s3.call("GET", "docs", "k", query: ["versionId": v1])) == "v1")
        #expect(try await body(try await s3.call("GET", "docs", "k", query: ["versionId": "null"])) == "before", "the object from before versioning")
        let marker = try await s3.call("DELETE", "docs", "k")
        #expect(f.header(marker, "x-amz-delete-marker") == "true")
        await #expect(throws: ServiceError("NoSuchKey", "")) { try await s3.call("GET", "docs", "k") }
        // Removing the marker brings v2 back; removing v2 then brings v1.
        _ = try await s3.call("DELETE", "docs", "k", query: ["versionId": try #require(version(marker))])
        #expect(try await body(try await s3.call("GET", "docs", "k")) == "v2")
        _ = try await s3.call("DELETE", "docs", "k", query: ["versionId": v2])
        #expect(try await body(try await s3.call("GET", "docs", "k")) == "v1")
        await #expect(throws: ServiceError("NoSuchVersion", "")) { try await s3.call("GET", "docs", "k", query: ["versionId": v2]) }
        let listed = String(decoding: try await s3.call("GET", "docs", query: ["versions": ""]).body, as: UTF8.self)
        #expect(listed.components(separatedBy: "<Version>").count == 3, "v1 and the null version")
        // Suspended writes the null version, replacing the one from before.
        let suspend = Array("<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>".utf8)
        _ = try await s3.call("PUT", "docs", query: ["versioning": ""], body: suspend)
        #expect(version(try await s3.call("PUT", "docs", "k", body: Array("s".utf8))) == nil, "AWS names no version for a Suspended write")
        #expect(version(try await s3.call("HEAD", "docs", "k")) == "null")
        #expect(try await body(try await s3.call("GET", "docs", "k", query: ["versionId": "null"])) == "s")
        await #expect(throws: ServiceError("BucketNotEmpty", "")) { try await s3.call("DELETE", "docs") }
        for id in ["null", v1] { _ = try await s3.call("DELETE", "docs", "k", query: ["versionId": id]) }
        _ = try await s3.call("DELETE", "docs")
        #expect(try await f.blobs() == 0, "every version's bytes removed")
    }
}
