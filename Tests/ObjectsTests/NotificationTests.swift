import Engine
import Foundation
import Journal
import ServiceKit
import StatesInterpreter
import StatesLanguage
import Testing
@testable import Objects

/// Bucket notifications: the configuration checked as AWS checks it, rules matched by event
/// family and key filter, each notification queued in the transaction of its change, and
/// delivered through the seam (a hand-written queue integration stands in for SQS).
@Suite struct NotificationTests {
    static let queue = "arn:aws:sqs:us-east-1:000000000000:uploads"

    static func document(_ inner: String) -> [UInt8] {
        Array(#"<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\#(inner)</NotificationConfiguration>"#.utf8)
    }

    static func rule(_ arn: String = queue, events: [String] = ["s3:ObjectCreated:*"], filter: [(String, String)] = [], id: String? = nil) -> String {
        var s = "<QueueConfiguration>"
        if let id { s += "<Id>\(id)</Id>" }
        s += "<Queue>\(arn)</Queue>" + events.map { "<Event>\($0)</Event>" }.joined()
        if !filter.isEmpty {
            s += "<Filter><S3Key>" + filter.map { "<FilterRule><Name>\($0.0)</Name><Value>\($0.1)</Value></FilterRule>" }.joined() + "</S3Key></Filter>"
        }
        return s + "</QueueConfiguration>"
    }

    static func parse(_ inner: String) throws(ServiceError) -> NotificationConfiguration {
        guard let root = XMLElementTree.parse(document(inner)) else { throw ServiceError("MalformedXML", "") }
        return try NotificationConfiguration(xml: root, newId: { "generated" })
    }

    /// (document, AWS's error code, its ArgumentName).
    static let refused: [(String, String, String?)] = [
        (rule("invalid-queue"), "InvalidArgument", "Queue"),
        (rule("arn:aws:sns:us-east-1:000000000000:topic"), "InvalidArgument", "Queue"),
        (rule(events: ["s3:ObjectCreated:Nope"]), "InvalidArgument", "Event"),
        (rule(events: []), "MalformedXML", nil),
        (rule(filter: [("infix", "a")]), "InvalidArgument", "FilterRule.Name"),
        (rule(filter: [("prefix", "a"), ("Prefix", "b")]), "InvalidArgument", "FilterRule.Name"),
        ("<QueueConfiguration><Queue>\(queue)</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name></FilterRule></S3Key></Filter></QueueConfiguration>",
         "MalformedXML", nil),
        (rule(filter: [("prefix", "in/")]) + rule(events: ["s3:ObjectCreated:Put"], filter: [("prefix", "in/deep/")]), "InvalidArgument", "Event"),
        ("<Unknown/>", "MalformedXML", nil),
    ]

    @Test(arguments: refused)
    func aConfigurationAWSRefusesIsRefused(_ inner: String, _ code: String, _ argument: String?) {
        #expect {
            _ = try Self.parse(inner)
        } throws: { error in
            guard let e = error as? ServiceError else { return false }
            return e.code == code && e.details?["ArgumentName"]?.stringValue == argument
        }
    }

    @Test func aConfigurationIsKeptWithAWSsNamesAndGeneratedIds() throws {
        let c = try Self.parse(Self.rule(filter: [("suffix", ".txt"), ("PREFIX", "notif-")]) + Self.rule(events: ["s3:ObjectRemoved:*"], id: "gone")
                               + "<EventBridgeConfiguration/>")
        #expect(c.rules.map(\.id) == ["generated", "gone"])
        #expect(c.rules[0].filter.map(\.name) == ["Suffix", "Prefix"])
        #expect(c.eventBridge)
        #expect(NotificationConfiguration(json: c.json) == c, "kept as JSON and read back unchanged")
        var w = XMLWriter()
        c.write(&w)
        let text = String(decoding: w.bytes, as: UTF8.self)
        #expect(text.contains("<Name>Suffix</Name><Value>.txt</Value>") && text.contains("<EventBridgeConfiguration>"))
    }

    /// (events of the rule, prefix, suffix, event, key, taken).
    static let matching: [([String], String, String, String, String, Bool)] = [
        (["s3:ObjectCreated:*"], "", "", "ObjectCreated:Put", "a", true),
        (["s3:ObjectCreated:*"], "", "", "ObjectCreated:CompleteMultipartUpload", "a", true),
        (["s3:ObjectCreated:Put"], "", "", "ObjectCreated:Copy", "a", false),
        (["s3:ObjectCreated:*"], "", "", "ObjectRemoved:Delete", "a", false),
        (["s3:ObjectRemoved:Delete"], "", "", "ObjectRemoved:Delete", "a", true),
        (["s3:ObjectTagging:*"], "", "", "ObjectTagging:Delete", "a", true),
        (["s3:ObjectCreated:*"], "in/", ".txt", "ObjectCreated:Put", "in/a.txt", true),
        (["s3:ObjectCreated:*"], "in/", ".txt", "ObjectCreated:Put", "in/a.jpg", false),
        (["s3:ObjectCreated:*"], "in/", ".txt", "ObjectCreated:Put", "/in/a.txt", false),
    ]

    @Test(arguments: matching)
    func aRuleTakesItsEventsAndKeys(_ events: [String], _ prefix: String, _ suffix: String, _ event: String, _ key: String, _ taken: Bool) {
        var filter: [(name: String, value: String)] = []
        if !prefix.isEmpty { filter.append(("Prefix", prefix)) }
        if !suffix.isEmpty { filter.append(("Suffix", suffix)) }
        let rule = NotificationConfiguration.Rule(kind: .queue, id: "r", arn: Self.queue, events: events, filter: filter)
        #expect(rule.matches(event: event, key: key) == taken)
    }

    @Test func aRecordHasAWSsShapeAndAURLEncodedKey() {
        let e = ObjectEvent(name: "ObjectCreated:Put", bucket: "b", key: "in/a b+c=d.txt", size: 5, etag: "5d41402abc4b2a76b9719d911017c592",
                            requestId: "r1", timeMillis: 0, sequencer: "000000000000000001", region: "us-east-1", account: "000000000000")
        let r = e.record(configurationId: "c")["Records"]?.arrayValue?.first
        #expect(r?["eventVersion"] == "2.1" && r?["eventSource"] == "aws:s3" && r?["eventTime"] == "1970-01-01T00:00:00.000Z")
        #expect(r?["s3"]?["object"]?["key"] == "in/a+b%2Bc%3Dd.txt")
        #expect(r?["s3"]?["object"]?["size"] == 5 && r?["s3"]?["bucket"]?["arn"] == "arn:aws:s3:::b" && r?["s3"]?["configurationId"] == "c")
        var deleted = e
        deleted.name = "ObjectRemoved:Delete"
        let d = deleted.record(configurationId: "c")["Records"]?.arrayValue?.first?["s3"]?["object"]
        #expect(d?["size"] == nil && d?["eTag"] == nil && d?["sequencer"] != nil, "AWS: no size or eTag for a delete")
        let entry = e.eventBridgeEntry
        #expect(entry?["Source"] == "aws.s3" && entry?["DetailType"] == "Object Created")
        let detail = entry?["Detail"]?.stringValue.flatMap { try? JSONParser.parse($0) }
        #expect(detail?["reason"] == "PutObject" && detail?["object"]?["key"] == "in/a b+c=d.txt")
    }

    // MARK: through the service

    final class Fixture {
        let dir = NSTemporaryDirectory() + "baton-s3n-\(UUID().uuidString)"
        let db: SQLiteJournal
        let s3: S3Service
        let sent = LockedValue<[JSON]>([])

        /// `missing`: queues the stand-in SQS says do not exist.
        init(missing: Set<String> = []) async throws {
            db = try SQLiteJournal(directory: dir, synchronous: .normal)
            let engine = Engine(journal: db, clock: ManualEngineClock())
            s3 = try await S3Service(ServiceContext(engine: engine, database: db, dataDirectory: dir))
            var registry = TaskRegistry()
            let sent = self.sent
            registry.register("arn:aws:states:::sqs:sendMessage", ClosureTaskHandler { inv in
                if missing.contains(inv.parameters["QueueUrl"]?.stringValue ?? "") {
                    return .failed(StatesError("SQS.QueueDoesNotExistException", "The specified queue does not exist."))
                }
                sent.mutate { $0.append(inv.parameters) }
                return .succeeded(["MessageId": "m"])
            })
            engine.install(registry)
        }

        deinit {
            db.close()
            try? FileManager.default.removeItem(atPath: dir)
        }

        @discardableResult
        func call(_ method: String, _ bucket: String?, _ key: String? = nil, query: [String: String] = [:], headers: [String: String] = [:],
                  body: [UInt8] = []) async throws -> ServiceReply {
            try await s3.call(method, bucket, key, query: query, headers: headers, body: body)
        }

        /// The notifications waiting for delivery.
        func queued() async throws -> [QueuedMessage] {
            try await db.receive(queue: ObjectStore.notificationQueue, limit: 100, now: Int64.max / 2, visibilityMillis: 0)
        }
    }

    @Test func aChangeAndItsNotificationCommitTogetherAndAreDelivered() async throws {
        let f = try await Fixture()
        try await f.call("PUT", "docs")
        try await f.call("PUT", "docs", query: ["notification": ""], body: Self.document(Self.rule(filter: [("prefix", "in/")])))
        #expect(f.sent.value.count == 1, "the configuration's test event")
        #expect(f.sent.value.first?["MessageBody"]?.stringValue?.contains("s3:TestEvent") == true)
        try await f.call("PUT", "docs", "in/a b.txt", body: Array("hello".utf8))
        try await f.call("PUT", "docs", "out/x", body: Array("hello".utf8))
        // A write refused by its condition is not a change: nothing to tell.
        await #expect(throws: ServiceError("PreconditionFailed", "")) {
            try await f.call("PUT", "docs", "in/a b.txt", headers: ["if-none-match": "*"], body: [1])
        }
        let queued = try await f.queued()
        #expect(queued.count == 1)
        let notifier = ObjectNotifier(engine: f.s3.engine, store: f.db, clock: ManualEngineClock())
        #expect(await notifier.handle(try #require(queued.first)) == .done)
        let body = try JSONParser.parse(try #require(f.sent.value.last?["MessageBody"]?.stringValue))
        #expect(body["Records"]?.arrayValue?.first?["eventName"] == "ObjectCreated:Put")
        #expect(body["Records"]?.arrayValue?.first?["s3"]?["object"]?["key"] == "in/a+b.txt")
        #expect(f.sent.value.last?["QueueUrl"]?.stringValue == Self.queue)
    }

    @Test func deletesAndTagsAreToldOnlyWhenSomethingChanged() async throws {
        let f = try await Fixture()
        try await f.call("PUT", "docs")
        try await f.call("PUT", "docs", query: ["notification": ""],
                         body: Self.document(Self.rule(events: ["s3:ObjectRemoved:*", "s3:ObjectTagging:*"])))
        try await f.call("PUT", "docs", "k", body: [1])
        try await f.call("DELETE", "docs", "never-was")
        try await f.call("PUT", "docs", "k", query: ["tagging": ""],
                         body: Array("<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>".utf8))
        try await f.call("DELETE", "docs", "k")
        let names = try await f.queued().compactMap { m in
            (try? JSONParser.parse(m.body))?["payload"]?["Records"]?.arrayValue?.first?["eventName"]?.stringValue
        }
        #expect(names.sorted() == ["ObjectRemoved:Delete", "ObjectTagging:Put"])
    }

    @Test func aMissingDestinationIsListedAndNothingIsKept() async throws {
        let other = "arn:aws:sqs:us-east-1:000000000000:gone"
        let f = try await Fixture(missing: [Self.queue, other])
        try await f.call("PUT", "docs")
        let document = Self.document(Self.rule() + Self.rule(other, events: ["s3:ObjectRemoved:*"]))
        await #expect {
            try await f.call("PUT", "docs", query: ["notification": ""], body: document)
        } throws: { error in
            let e = error as? ServiceError
            return e?.code == "InvalidArgument" && e?.details?["ArgumentName1"]?.stringValue == Self.queue
                && e?.details?["ArgumentValue2"]?.stringValue == "The destination queue does not exist"
        }
        let kept = try await f.call("GET", "docs", query: ["notification": ""])
        #expect(!String(decoding: kept.body, as: UTF8.self).contains("QueueConfiguration"))
        // Skipping validation keeps it as given.
        try await f.call("PUT", "docs", query: ["notification": ""], headers: ["x-amz-skip-destination-validation": "true"], body: document)
        let now = try await f.call("GET", "docs", query: ["notification": ""])
        #expect(String(decoding: now.body, as: UTF8.self).contains("<Queue>\(other)</Queue>"))
    }
}
