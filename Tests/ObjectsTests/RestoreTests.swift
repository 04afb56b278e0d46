import Engine
import Foundation
import ServiceKit
import StatesLanguage
import Testing
@testable import Objects

/// Archived objects on a manual clock: unreadable (and uncopyable) until restored, the
/// restored copy readable until its expiry, a second restore only moving that expiry.
@Suite struct RestoreTests {
    @Test func anArchivedObjectIsReadOnlyThroughItsRestoredCopy() async throws {
        let f = try await ObjectStoreTests.Fixture()
        let clock = try #require(f.s3.clock as? ManualEngineClock)
        _ = try await f.call("PUT", "bkt")
        _ = try await f.call("PUT", "bkt", "cold", headers: ["x-amz-storage-class": "DEEP_ARCHIVE"], body: Array("frozen".utf8))
        _ = try await f.call("PUT", "bkt", "warm", body: Array("w".utf8))
        await #expect(throws: ServiceError("InvalidObjectState", "")) { try await f.call("GET", "bkt", "cold") }
        await #expect(throws: ServiceError("InvalidObjectState", "")) {
            try await f.call("PUT", "bkt", "copy", headers: ["x-amz-copy-source": "bkt/cold"])
        }
        #expect(try await f.call("HEAD", "bkt", "cold").status == 200, "its metadata stays readable")
        await #expect(throws: ServiceError("InvalidObjectState", "")) { try await f.call("POST", "bkt", "warm", query: ["restore": ""]) }

        let request = Array("<RestoreRequest><Days>2</Days></RestoreRequest>".utf8)
        #expect(try await f.call("POST", "bkt", "cold", query: ["restore": ""], body: request).status == 202)
        #expect(try await f.call("POST", "bkt", "cold", query: ["restore": ""], body: request).status == 200, "already restored")
        let head = try await f.call("HEAD", "bkt", "cold")
        #expect(f.header(head, "x-amz-restore")?.hasPrefix("ongoing-request=\"false\", expiry-date=") == true)
        #expect(try await f.read(try await f.call("GET", "bkt", "cold")) == Array("frozen".utf8))
        clock.advance(seconds: 4 * 86_400)
        await #expect(throws: ServiceError("InvalidObjectState", "")) { try await f.call("GET", "bkt", "cold") }
    }
}
