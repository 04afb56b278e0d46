import Engine
import Foundation
import Journal
import ServiceKit
import StatesInterpreter
import StatesLanguage
import Testing
@testable import Messaging

/// SNS through its actions on a manual clock: fan-out to queues in one commit, filter policies,
/// raw delivery, FIFO numbering and deduplication, and bad input refused without a trace.
@Suite struct SNSServiceTests {
    struct Fixture {
        let dir: String
        let clock: ManualEngineClock
        let db: SQLiteJournal
        let sqs: SQSService
        let sns: SNSService

        init() async throws {
            dir = NSTemporaryDirectory() + "baton-sns-\(UUID().uuidString)"
            clock = ManualEngineClock()
            db = try SQLiteJournal(directory: dir, synchronous: .normal)
            let context = ServiceContext(engine: Engine(journal: db, clock: clock), database: db, dataDirectory: dir)
            sqs = try await SQSService(context)
            sns = try await SNSService(context, sqs: sqs)
        }

        @discardableResult
        func call(_ service: any BatonService, _ action: String, _ body: JSONObject) async throws -> JSON {
            let perform = try #require(service.actions[action])
            let reply = try await perform(ServiceCall(action: action, json: body))
            return try JSONParser.parse(reply.body)
        }

        /// A queue subscribed to `topic`; its URL.
        func subscribedQueue(_ name: String, to topic: JSON, attributes: JSONObject = [:], queueAttributes: JSONObject = [:]) async throws -> JSON {
            let url = try await call(sqs, "CreateQueue", ["QueueName": .string(name), "Attributes": .object(queueAttributes)])["QueueUrl"] ?? .null
            try await call(sns, "Subscribe", ["TopicArn": topic, "Protocol": "sqs", "Endpoint": .string("arn:aws:sqs:us-east-1:000000000000:\(name)"),
                                              "Attributes": .object(attributes)])
            return url
        }

        func bodies(_ url: JSON) async throws -> [String] {
            let got = try await call(sqs, "ReceiveMessage", ["QueueUrl": url, "MaxNumberOfMessages": 10, "MessageAttributeNames": ["All"]])
            return (got["Messages"]?.arrayValue ?? []).compactMap { $0["Body"]?.stringValue }
        }

        func close() {
            db.close()
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    @Test func aPublicationReachesEachMatchingQueueInAWSsEnvelopeOrRaw() async throws {
        let f = try await Fixture()
        defer { f.close() }
        let topic = try await f.call(f.sns, "CreateTopic", ["Name": "orders"])["TopicArn"] ?? .null
        let all = try await f.subscribedQueue("all", to: topic)
        let big = try await f.subscribedQueue("big", to: topic, attributes: ["FilterPolicy": #"{"total": [{"numeric": [">", 100]}]}"#])
        let raw = try await f.subscribedQueue("raw", to: topic, attributes: ["RawMessageDelivery": "true"])
        for total in [50, 500] {
            try await f.call(f.sns, "Publish", ["TopicArn": topic, "Message": .string("order \(total)"),
                                                "MessageAttributes": ["total": ["DataType": "Number", "StringValue": .string(String(total))]]])
        }
        let envelopes = try await f.bodies(all).map { try JSONParser.parse($0) }
        #expect(envelopes.map { $0["Message"] } == ["order 50", "order 500"])
        #expect(envelopes.first?["Type"] == "Notification" && envelopes.first?["TopicArn"] == topic)
        #expect(envelopes.first?["SignatureVersion"] == "1" && envelopes.first?["Signature"]?.stringValue?.isEmpty == false)
        #expect(try await f.bodies(big).map { try JSONParser.parse($0)["Message"] } == ["order 500"])
        #expect(try await f.bodies(raw) == ["order 50", "order 500"])
    }

    @Test func aFifoTopicNumbersAndDeduplicatesItsPublications() async throws {
        let f = try await Fixture()
        defer { f.close() }
        let topic = try await f.call(f.sns, "CreateTopic", ["Name": "ledger.fifo", "Attributes": ["FifoTopic": "true", "ContentBasedDeduplication": "true"]])["TopicArn"] ?? .null
        let queue = try await f.subscribedQueue("ledger.fifo", to: topic, attributes: ["RawMessageDelivery": "true"], queueAttributes: ["FifoQueue": "true"])
        let a = try await f.call(f.sns, "Publish", ["TopicArn": topic, "Message": "m1", "MessageGroupId": "g"])
        let b = try await f.call(f.sns, "Publish", ["TopicArn": topic, "Message": "m1", "MessageGroupId": "g"])
        let c = try await f.call(f.sns, "Publish", ["TopicArn": topic, "Message": "m2", "MessageGroupId": "g"])
        #expect(a["MessageId"] == b["MessageId"] && a["SequenceNumber"] == b["SequenceNumber"])
        #expect((a["SequenceNumber"]?.stringValue ?? "") < (c["SequenceNumber"]?.stringValue ?? ""))
        #expect(try await f.bodies(queue) == ["m1", "m2"])
        // Five minutes later the same content is a new publication.
        f.clock.advance(seconds: 301)
        let d = try await f.call(f.sns, "Publish", ["TopicArn": topic, "Message": "m1", "MessageGroupId": "g"])
        #expect(d["MessageId"] != a["MessageId"])
    }

    /// sns:publish from a Task state: its writes ride on the step's transaction (applied here as
    /// the journal applies attachments), and performing the task, twice, writes nothing more.
    @Test func aTaskStatesPublicationIsWrittenWithItsStepOnly() async throws {
        let f = try await Fixture()
        defer { f.close() }
        let topic = try await f.call(f.sns, "CreateTopic", ["Name": "from-workflow"])["TopicArn"] ?? .null
        let queue = try await f.subscribedQueue("sink", to: topic, attributes: ["RawMessageDelivery": "true"])
        let handler = SNSPublishTaskHandler(service: f.sns)
        let invocation = TaskInvocation(id: TaskID(1), stateName: "Announce", resource: "arn:aws:states:::sns:publish",
                                        parameters: ["TopicArn": topic, "Message": ["campaign": "c-1"]], timeoutSeconds: nil,
                                        heartbeatSeconds: nil, taskToken: nil, idempotencyKey: "execution/5")
        let attachments = handler.attachments(scheduling: invocation)
        #expect(attachments.count == 1)
        try await f.db.perform { (c) throws(JournalError) in for a in attachments { try a.apply(in: .sqlite(c)) } }
        guard case .succeeded(let first) = await handler.invoke(invocation), case .succeeded(let again) = await handler.invoke(invocation) else {
            Issue.record("the task did not succeed")
            return
        }
        #expect(first["MessageId"] == again["MessageId"])
        #expect(try await f.bodies(queue) == [#"{"campaign":"c-1"}"#])
    }

    @Test func badInputIsRefusedInSNSWordsAndChangesNothing() async throws {
        let f = try await Fixture()
        defer { f.close() }
        let topic = try await f.call(f.sns, "CreateTopic", ["Name": "strict"])["TopicArn"] ?? .null
        let queue = try await f.subscribedQueue("strict-q", to: topic)
        await #expect(throws: ServiceError("InvalidParameterException", "")) {
            try await f.call(f.sns, "Subscribe", ["TopicArn": topic, "Protocol": "sqs", "Endpoint": "arn:aws:sqs:us-east-1:000000000000:x",
                                                  "Attributes": ["FilterPolicy": "not json"]])
        }
        await #expect(throws: ServiceError("InvalidParameterValueException", "")) {
            try await f.call(f.sns, "Publish", ["TopicArn": topic, "Message": "m", "MessageAttributes": ["a": ["DataType": "String."]]])
        }
        await #expect(throws: ServiceError("NotFoundException", "")) {
            try await f.call(f.sns, "Publish", ["TopicArn": "arn:aws:sns:us-east-1:000000000000:missing", "Message": "m"])
        }
        #expect(try await f.bodies(queue).isEmpty)
        let subscriptions = try await f.call(f.sns, "ListSubscriptionsByTopic", ["TopicArn": topic])["Subscriptions"]?.arrayValue
        #expect(subscriptions?.count == 1)
    }
}
