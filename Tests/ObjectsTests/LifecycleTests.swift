import Engine
import Foundation
import ServiceKit
import StatesLanguage
import Testing
@testable import Objects

/// Lifecycle rules on a manual clock: the expiry an object is told (days rounded up to
/// midnight UTC, the rule's id), the sweep expiring what is due and nothing else, moving a
/// transitioned object's storage class, and aborting an upload left incomplete.
@Suite struct LifecycleTests {
    static let rules = """
        <LifecycleConfiguration>
        <Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>
        <Rule><ID>big</ID><Filter><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></Filter><Status>Enabled</Status>
          <Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>
        <Rule><ID>uploads</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>
          <AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>
        <Rule><ID>off</ID><Filter><Prefix>keep/</Prefix></Filter><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>
        </LifecycleConfiguration>
        """

    @Test func dueObjectsExpireAndTheRestStay() async throws {
        let f = try await ObjectStoreTests.Fixture()
        let clock = try #require(f.s3.clock as? ManualEngineClock)
        _ = try await f.call("PUT", "bkt")
        await #expect(throws: ServiceError("MalformedXML", "")) {
            try await f.call("PUT", "bkt", query: ["lifecycle": ""], body: Array("<LifecycleConfiguration><Rule><ID>x</ID></Rule></LifecycleConfiguration>".utf8))
        }
        _ = try await f.call("PUT", "bkt", query: ["lifecycle": ""], body: Array(Self.rules.utf8))
        let put = try await f.call("PUT", "bkt", "logs/a", body: Array("a".utf8))
        // 1,700,000,000 s is 2023-11-14T22:13:20Z: one day later, rounded up to midnight.
        #expect(f.header(put, "x-amz-expiration") == #"expiry-date="Thu, 16 Nov 2023 00:00:00 GMT", rule-id="logs""#)
        _ = try await f.call("PUT", "bkt", "keep/b", body: Array("b".utf8))
        _ = try await f.call("PUT", "bkt", "large", body: Array("more than ten bytes".utf8))
        #expect(f.header(try await f.call("HEAD", "bkt", "keep/b"), "x-amz-expiration") == nil, "a disabled rule")
        _ = try await f.call("POST", "bkt", "pending", query: ["uploads": ""])

        #expect(try await f.s3.applyLifecycle() == 0, "nothing is due yet")
        clock.advance(seconds: 86_400 + 7_000)
        #expect(try await f.s3.applyLifecycle() == 1)
        await #expect(throws: ServiceError("NoSuchKey", "")) { try await f.call("HEAD", "bkt", "logs/a") }
        #expect(try await f.call("HEAD", "bkt", "keep/b").status == 200)
        #expect(f.header(try await f.call("HEAD", "bkt", "large"), "x-amz-storage-class") == "GLACIER")
        #expect(String(decoding: try await f.call("GET", "bkt", query: ["uploads": ""]).body, as: UTF8.self).contains("<Key>pending</Key>"))
        clock.advance(seconds: 86_400)
        _ = try await f.s3.applyLifecycle()
        #expect(!String(decoding: try await f.call("GET", "bkt", query: ["uploads": ""]).body, as: UTF8.self).contains("<Key>pending</Key>"),
                "aborted two days after it began")
    }
}
