import Engine
import Foundation
import ServiceKit
import StatesLanguage
import Testing
@testable import Objects

/// Object Lock on a manual clock: a retained version cannot be deleted before its date
/// (governance yielding to the bypass header, compliance to nothing), a retention only
/// grows, a legal hold keeps a version until it is lifted, and the bucket stays versioned.
@Suite struct ObjectLockTests {
    static let lockedBucket = ["x-amz-bucket-object-lock-enabled": "true"]

    static func retention(_ mode: String, _ until: Timestamp) -> [UInt8] {
        Array("<Retention><Mode>\(mode)</Mode><RetainUntilDate>\(until.iso8601)</RetainUntilDate></Retention>".utf8)
    }

    @Test func retentionAndLegalHoldKeepAVersion() async throws {
        let f = try await ObjectStoreTests.Fixture()
        let clock = try #require(f.s3.clock as? ManualEngineClock)
        _ = try await f.call("PUT", "vault", headers: Self.lockedBucket)
        let suspend = Array("<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>".utf8)
        await #expect(throws: ServiceError("InvalidBucketState", "")) { try await f.call("PUT", "vault", query: ["versioning": ""], body: suspend) }

        let soon = clock.now().adding(seconds: 600)
        let put = try await f.call("PUT", "vault", "k", headers: ["x-amz-object-lock-mode": "GOVERNANCE",
                                                                   "x-amz-object-lock-retain-until-date": soon.iso8601], body: Array("v1".utf8))
        let v1 = try #require(f.header(put, "x-amz-version-id"))
        #expect(f.header(try await f.call("HEAD", "vault", "k"), "x-amz-object-lock-mode") == "GOVERNANCE")
        await #expect(throws: ServiceError("AccessDenied", "")) { try await f.call("DELETE", "vault", "k", query: ["versionId": v1]) }
        // A delete without a version only adds a marker: allowed.
        #expect(try await f.call("DELETE", "vault", "k").status == 204)
        // Shortening needs the bypass; extending does not.
        await #expect(throws: ServiceError("AccessDenied", "")) {
            try await f.call("PUT", "vault", "k", query: ["retention": "", "versionId": v1], body: Self.retention("GOVERNANCE", soon.adding(seconds: -60)))
        }
        _ = try await f.call("PUT", "vault", "k", query: ["retention": "", "versionId": v1], body: Self.retention("COMPLIANCE", soon.adding(seconds: 60)))
        // Compliance yields to nothing, not even the bypass header, until its date passes.
        await #expect(throws: ServiceError("AccessDenied", "")) {
            try await f.call("DELETE", "vault", "k", query: ["versionId": v1], headers: ["x-amz-bypass-governance-retention": "true"])
        }
        clock.advance(seconds: 661)
        #expect(try await f.call("DELETE", "vault", "k", query: ["versionId": v1]).status == 204)

        // A legal hold keeps a version whatever its retention, until it is lifted.
        let held = try await f.call("PUT", "vault", "h", headers: ["x-amz-object-lock-legal-hold": "ON"], body: Array("h".utf8))
        let hv = try #require(f.header(held, "x-amz-version-id"))
        let deleted = try await f.call("POST", "vault", query: ["delete": ""],
                                       body: Array("<Delete><Object><Key>h</Key><VersionId>\(hv)</VersionId></Object></Delete>".utf8))
        #expect(String(decoding: deleted.body, as: UTF8.self).contains("<Error><Key>h</Key><VersionId>\(hv)</VersionId><Code>AccessDenied</Code>"))
        _ = try await f.call("PUT", "vault", "h", query: ["legal-hold": "", "versionId": hv], body: Array("<LegalHold><Status>OFF</Status></LegalHold>".utf8))
        #expect(try await f.call("DELETE", "vault", "h", query: ["versionId": hv]).status == 204)
    }

    @Test func lockSettingsNeedALockedBucket() async throws {
        let f = try await ObjectStoreTests.Fixture()
        _ = try await f.call("PUT", "plain")
        _ = try await f.call("PUT", "plain", "k", body: Array("x".utf8))
        await #expect(throws: ServiceError("InvalidRequest", "")) {
            try await f.call("PUT", "plain", "k", query: ["legal-hold": ""], body: Array("<LegalHold><Status>ON</Status></LegalHold>".utf8))
        }
        await #expect(throws: ServiceError("InvalidArgument", "")) {
            try await f.call("DELETE", "plain", "k", headers: ["x-amz-bypass-governance-retention": "true"])
        }
        await #expect(throws: ServiceError("InvalidArgument", "")) {
            try await f.call("PUT", "plain", "k", headers: ["x-amz-object-lock-mode": "BAD"], body: Array("x".utf8))
        }
        // A configuration needs versioning first; then a default retention applies to new versions.
        let config = Array("<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>".utf8)
        await #expect(throws: ServiceError("InvalidBucketState", "")) { try await f.call("PUT", "plain", query: ["object-lock": ""], body: config) }
        _ = try await f.call("PUT", "plain", query: ["versioning": ""], body: Array("<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>".utf8))
        _ = try await f.call("PUT", "plain", query: ["object-lock": ""], body: config)
        let put = try await f.call("PUT", "plain", "n", body: Array("n".utf8))
        let head = try await f.call("HEAD", "plain", "n", query: ["versionId": try #require(f.header(put, "x-amz-version-id"))])
        #expect(f.header(head, "x-amz-object-lock-mode") == "GOVERNANCE" && f.header(head, "x-amz-object-lock-retain-until-date") != nil)
    }
}
