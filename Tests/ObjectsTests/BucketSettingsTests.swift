import Foundation
import ServiceKit
import StatesLanguage
import Testing
@testable import Objects

/// Bucket settings and listings as AWS answers them (each rule below was recorded on AWS by
/// `../shared/conformance/aws`): the id-keyed configurations paged by 100, where a bucket may
/// be created from which region's endpoint, logging's target checks, and the markers of a
/// listing that rolls keys into common prefixes.
@Suite struct BucketSettingsTests {
    static func text(_ r: ServiceReply) -> String { String(decoding: r.body, as: UTF8.self) }

    static func signed(_ region: String) -> [String: String] {
        ["authorization": "AWS4-HMAC-SHA256 Credential=test/20261201/\(region)/s3/aws4_request, SignedHeaders=host, Signature=0"]
    }

    @Test(arguments: [("metrics", "MetricsConfiguration"), ("inventory", "InventoryConfiguration"),
                      ("intelligent-tiering", "IntelligentTieringConfiguration"), ("analytics", "AnalyticsConfiguration")])
    func idKeyedConfigurations(sub: String, element: String) async throws {
        let f = try await ObjectStoreTests.Fixture()
        _ = try await f.call("PUT", "bkt")
        func doc(_ id: String) -> [UInt8] { Array("<\(element)><Id>\(id)</Id><Filter><Prefix>logs/</Prefix></Filter></\(element)>".utf8) }
        // The document's Id must be the query's.
        await #expect(throws: ServiceError("MalformedXML", "")) { try await f.call("PUT", "bkt", query: [sub: "", "id": "other"], body: doc("one")) }
        for i in 0..<102 {
            let put = try await f.call("PUT", "bkt", query: [sub: "", "id": "c\(1000 + i)"], body: doc("c\(1000 + i)"))
            #expect(put.status == 204)
        }
        let one = Self.text(try await f.call("GET", "bkt", query: [sub: "", "id": "c1005"]))
        #expect(one.contains("<\(element)><Id>c1005</Id><Filter><Prefix>logs/</Prefix></Filter></\(element)>"))
        let page1 = Self.text(try await f.call("GET", "bkt", query: [sub: ""]))
        #expect(page1.components(separatedBy: "<\(element)>").count - 1 == 100)
        #expect(page1.contains("<IsTruncated>true</IsTruncated>"))
        let token = try #require(page1.components(separatedBy: "<NextContinuationToken>").last?.components(separatedBy: "<").first)
        let page2 = Self.text(try await f.call("GET", "bkt", query: [sub: "", "continuation-token": token]))
        #expect(page2.contains("<Id>c1100</Id>") && page2.contains("<Id>c1101</Id>") && !page2.contains("<Id>c1099</Id>"), "in Id order")
        #expect(page2.contains("<IsTruncated>false</IsTruncated>"))
        let deleted = try await f.call("DELETE", "bkt", query: [sub: "", "id": "c1005"])
        #expect(deleted.status == 204)
        await #expect(throws: ServiceError("NoSuchConfiguration", "")) { try await f.call("DELETE", "bkt", query: [sub: "", "id": "c1005"]) }
        await #expect(throws: ServiceError("NoSuchConfiguration", "")) { try await f.call("GET", "bkt", query: [sub: "", "id": "c1005"]) }
        await #expect(throws: ServiceError("NoSuchBucket", "")) { try await f.call("GET", "nope", query: [sub: "", "id": "x"]) }
    }

    @Test func whereABucketMayBeCreated() async throws {
        let f = try await ObjectStoreTests.Fixture()
        func create(_ name: String, from region: String, _ constraint: String?) async throws -> ServiceReply {
            let body = constraint.map { "<CreateBucketConfiguration><LocationConstraint>\($0)</LocationConstraint></CreateBucketConfiguration>" } ?? ""
            return try await f.call("PUT", name, headers: Self.signed(region), body: Array(body.utf8))
        }
        // us-east-1's endpoint: any other region, and us-east-1 only by naming none.
        #expect(try await create("east", from: "us-east-1", nil).status == 200)
        let west = try await create("west", from: "us-east-1", "us-west-2")
        #expect(west.headers.contains { $0 == ("Location", "http://west.s3.amazonaws.com/") })
        await #expect(throws: ServiceError("InvalidLocationConstraint", "")) { try await create("xx1", from: "us-east-1", "us-east-1") }
        // Another region's endpoint: only its own, `EU` being eu-west-1's.
        await #expect(throws: ServiceError("IllegalLocationConstraintException", "")) { try await create("xx2", from: "us-east-2", nil) }
        await #expect(throws: ServiceError("IllegalLocationConstraintException", "")) { try await create("xx3", from: "us-west-1", "us-east-2") }
        #expect(try await create("europe", from: "eu-west-1", "EU").status == 200)
        #expect(Self.text(try await f.call("GET", "europe", query: ["location": ""])).contains(">EU</LocationConstraint>"))
        let listed = Self.text(try await f.call("GET", nil, query: ["prefix": "europe"]))
        #expect(listed.contains("<BucketRegion>eu-west-1</BucketRegion>") && !listed.contains("<Name>east</Name>"))
        // Paged by MaxBuckets, in name order.
        let first = Self.text(try await f.call("GET", nil, query: ["max-buckets": "1"]))
        #expect(first.contains("<Name>east</Name>") && first.contains("<ContinuationToken>"))
        // Logging goes to a bucket of the same region.
        let logging = "<BucketLoggingStatus><LoggingEnabled><TargetBucket>west</TargetBucket><TargetPrefix>log</TargetPrefix></LoggingEnabled></BucketLoggingStatus>"
        await #expect(throws: ServiceError("CrossLocationLoggingProhibitted", "")) {
            try await f.call("PUT", "east", query: ["logging": ""], body: Array(logging.utf8))
        }
        let same = logging.replacingOccurrences(of: ">west<", with: ">east<")
        _ = try await f.call("PUT", "east", query: ["logging": ""], body: Array(same.utf8))
        #expect(Self.text(try await f.call("GET", "east", query: ["logging": ""])).contains("<TargetBucket>east</TargetBucket>"))
    }

    @Test func markersPastACommonPrefix() async throws {
        let f = try await ObjectStoreTests.Fixture()
        _ = try await f.call("PUT", "bkt")
        for key in ["folder/aSubfolder/subFile1", "folder/aSubfolder/subFile2", "folder/file1", "folder/file2"] {
            _ = try await f.call("PUT", "bkt", key, body: Array("x".utf8))
            _ = try await f.call("POST", "bkt", key, query: ["uploads": ""])
        }
        func page(_ marker: String) async throws -> String {
            Self.text(try await f.call("GET", "bkt", query: ["prefix": "folder/", "delimiter": "/", "max-keys": "1", "marker": marker]))
        }
        // The marker is the common prefix itself, or a key inside it: the page goes on after it.
        for marker in ["folder/aSubfolder/", "folder/aSubfolder/subFile1"] {
            let next = try await page(marker)
            #expect(next.contains("<Key>folder/file1</Key>") && !next.contains("<CommonPrefixes>"), "after \(marker)")
        }
        #expect(try await page("folder/file1").contains("<IsTruncated>false</IsTruncated>"))
        // Uploads page the same way; a page ending on a common prefix gives empty next markers.
        let start = Self.text(try await f.call("GET", "bkt", query: ["uploads": "", "prefix": "folder/", "delimiter": "/", "max-uploads": "1"]))
        #expect(start.contains("<Prefix>folder/aSubfolder/</Prefix>") && start.contains("<NextKeyMarker></NextKeyMarker>"))
        let next = Self.text(try await f.call("GET", "bkt", query: ["uploads": "", "prefix": "folder/", "delimiter": "/", "max-uploads": "1",
                                                                  "key-marker": "folder/aSubfolder/subFile1"]))
        #expect(next.contains("<Key>folder/file1</Key>") && next.contains("<NextKeyMarker>folder/file1</NextKeyMarker>"))
    }
}
