import Engine
import Foundation
import Journal
import ServiceKit
import StatesLanguage
import Testing
@testable import Messaging

/// SQS's semantics on a manual clock, through the service's actions (no HTTP, no sleeps):
/// visibility, FIFO order and deduplication, dead-letter queues, retention, long polling.
@Suite struct SQSServiceTests {
    struct Fixture {
        let dir: String
        let clock: ManualEngineClock
        let db: SQLiteJournal
        let service: SQSService

        init() async throws {
            dir = NSTemporaryDirectory() + "baton-sqs-\(UUID().uuidString)"
            clock = ManualEngineClock()
            db = try SQLiteJournal(directory: dir, synchronous: .normal)
            service = try await SQSService(ServiceContext(engine: Engine(journal: db, clock: clock), database: db, dataDirectory: dir))
        }

        @discardableResult
        func call(_ action: String, _ body: JSONObject) async throws -> JSON {
            let perform = try #require(service.actions[action])
            let reply = try await perform(ServiceCall(action: action, json: body))
            return try JSONParser.parse(reply.body)
        }

        func queue(_ name: String, _ attributes: JSONObject = [:]) async throws -> String {
            try #require(try await call("CreateQueue", ["QueueName": .string(name), "Attributes": .object(attributes)])["QueueUrl"]?.stringValue)
        }

        func receive(_ url: String, max: Int = 10, visibility: Int? = nil, wait: Int = 0) async throws -> [JSON] {
            var body: JSONObject = ["QueueUrl": .string(url), "MaxNumberOfMessages": .int(Int64(max)), "WaitTimeSeconds": .int(Int64(wait)),
                                    "MessageSystemAttributeNames": ["All"], "MessageAttributeNames": ["All"]]
            if let visibility { body["VisibilityTimeout"] = .int(Int64(visibility)) }
            return try await call("ReceiveMessage", body)["Messages"]?.arrayValue ?? []
        }

        func bodies(_ messages: [JSON]) -> [String] { messages.compactMap { $0["Body"]?.stringValue } }

        func close() {
            db.close()
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    @Test func aReceivedMessageIsHiddenUntilItsVisibilityEndsThenComesBackCounted() async throws {
        let f = try await Fixture()
        defer { f.close() }
        let url = try await f.queue("plain", ["VisibilityTimeout": "30"])
        try await f.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "one"])
        let first = try await f.receive(url)
        #expect(f.bodies(first) == ["one"])
        #expect(first.first?["Attributes"]?["ApproximateReceiveCount"] == "1")
        #expect(try await f.receive(url).isEmpty)
        let attributes = try await f.call("GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["All"]])["Attributes"]
        #expect(attributes?["ApproximateNumberOfMessagesNotVisible"] == "1" && attributes?["ApproximateNumberOfMessages"] == "0")
        f.clock.advance(seconds: 30)
        let again = try await f.receive(url)
        #expect(again.first?["Attributes"]?["ApproximateReceiveCount"] == "2")
        // The latest receipt deletes it; nothing is left.
        let receipt = try #require(again.first?["ReceiptHandle"])
        try await f.call("DeleteMessage", ["QueueUrl": .string(url), "ReceiptHandle": receipt])
        f.clock.advance(seconds: 60)
        #expect(try await f.receive(url).isEmpty)
    }

    @Test func aFifoGroupIsDeliveredInOrderAndHeldWhileOneOfItsMessagesIsInFlight() async throws {
        let f = try await Fixture()
        defer { f.close() }
        let url = try await f.queue("orders.fifo", ["FifoQueue": "true", "ContentBasedDeduplication": "true"])
        for (group, body) in [("g1", "a"), ("g1", "b"), ("g2", "c")] {
            try await f.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": .string(body), "MessageGroupId": .string(group)])
        }
        let first = try await f.receive(url, max: 1)
        #expect(f.bodies(first) == ["a"])
        // g1 is held while "a" is in flight: only g2 comes.
        #expect(f.bodies(try await f.receive(url)) == ["c"])
        try await f.call("DeleteMessage", ["QueueUrl": .string(url), "ReceiptHandle": try #require(first.first?["ReceiptHandle"])])
        #expect(f.bodies(try await f.receive(url)) == ["b"])
    }

    /// AWS's recorded order: a receive takes a group's messages together, and a group served
    /// goes behind the groups not yet served.
    @Test func fifoGroupsTakeTurnsAsAWSRecorded() async throws {
        let f = try await Fixture()
        defer { f.close() }
        let url = try await f.queue("turns.fifo", ["FifoQueue": "true", "ContentBasedDeduplication": "true"])
        for (group, body) in [("g1", "g1-m1"), ("g2", "g2-m1"), ("g2", "g2-m2"), ("g3", "g3-m1"), ("g1", "g1-m2")] {
            try await f.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": .string(body), "MessageGroupId": .string(group)])
        }
        #expect(f.bodies(try await f.receive(url, max: 3, visibility: 0)) == ["g1-m1", "g1-m2", "g2-m1"])
        #expect(f.bodies(try await f.receive(url, max: 10, visibility: 0)) == ["g3-m1", "g1-m1", "g1-m2", "g2-m1", "g2-m2"])
    }

    @Test func aFifoDeduplicationIdIsRememberedForFiveMinutes() async throws {
        let f = try await Fixture()
        defer { f.close() }
        let url = try await f.queue("dedup.fifo", ["FifoQueue": "true"])
        let send: JSONObject = ["QueueUrl": .string(url), "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d1"]
        let a = try await f.call("SendMessage", send)
        let b = try await f.call("SendMessage", send)
        #expect(a["MessageId"] == b["MessageId"])
        #expect(try await f.receive(url).count == 1)
        f.clock.advance(seconds: 301)
        let c = try await f.call("SendMessage", send)
        #expect(c["MessageId"] != a["MessageId"])
    }

    @Test func aMessageReceivedMaxReceiveCountTimesMovesToTheDeadLetterQueue() async throws {
        let f = try await Fixture()
        defer { f.close() }
        let dlq = try await f.queue("dead")
        let arn = "arn:aws:sqs:us-east-1:000000000000:dead"
        let url = try await f.queue("work", ["RedrivePolicy": .string("{\"deadLetterTargetArn\":\"\(arn)\",\"maxReceiveCount\":2}")])
        try await f.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "poison"])
        #expect(try await f.receive(url, visibility: 0).count == 1)
        #expect(try await f.receive(url, visibility: 0).count == 1)
        #expect(try await f.receive(url, visibility: 0).isEmpty)
        let dead = try await f.receive(dlq)
        #expect(f.bodies(dead) == ["poison"])
        #expect(dead.first?["Attributes"]?["DeadLetterQueueSourceArn"] == "arn:aws:sqs:us-east-1:000000000000:work")
        let sources = try await f.call("ListDeadLetterSourceQueues", ["QueueUrl": .string(dlq)])
        #expect(sources["queueUrls"]?.arrayValue?.count == 1)
    }

    @Test func retentionEndsAMessageEvenBeforeTheSweep() async throws {
        let f = try await Fixture()
        defer { f.close() }
        let url = try await f.queue("short", ["MessageRetentionPeriod": "60"])
        try await f.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "old"])
        f.clock.advance(seconds: 61)
        #expect(try await f.receive(url).isEmpty)
    }

    @Test func aDelayedMessageAppearsWhenItsDelayEnds() async throws {
        let f = try await Fixture()
        defer { f.close() }
        let url = try await f.queue("later")
        try await f.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "soon", "DelaySeconds": 10])
        #expect(try await f.receive(url).isEmpty)
        let attributes = try await f.call("GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["ApproximateNumberOfMessagesDelayed"]])
        #expect(attributes["Attributes"]?["ApproximateNumberOfMessagesDelayed"] == "1")
        f.clock.advance(seconds: 10)
        #expect(f.bodies(try await f.receive(url)) == ["soon"])
    }

    /// A long poll returns on the send's commit: the clock never moves, so only the wake-up can end it.
    @Test func aLongPollWakesOnArrivalNotAtItsDeadline() async throws {
        let f = try await Fixture()
        defer { f.close() }
        let url = try await f.queue("poll")
        let start = f.clock.now()
        let receiver = Task { try await f.receive(url, wait: 20) }
        // Send only once the receiver is parked, so that its first look cannot have found the message.
        while await f.service.waiters.parked("poll") == 0 { await Task.yield() }
        try await f.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "wake"])
        let got = try await receiver.value
        #expect(f.bodies(got) == ["wake"])
        #expect(f.clock.now() == start)
    }

    @Test(arguments: [
        (["Foo": ["DataType": "String", "StringValue": "Bar"]] as JSONObject, "ae7155c6026991b6d54b11589678bf9c"),
    ])
    func messageAttributeDigestsMatchWhatAWSRecorded(_ attributes: JSONObject, _ digest: String) {
        #expect(MessageAttributes.md5(attributes) == digest)
    }

    @Test func badInputIsRefusedInSQSWordsAndChangesNothing() async throws {
        let f = try await Fixture()
        defer { f.close() }
        let url = try await f.queue("strict")
        await #expect(throws: ServiceError("InvalidParameterValueException", "")) {
            try await f.call("ReceiveMessage", ["QueueUrl": .string(url), "MaxNumberOfMessages": 11])
        }
        await #expect(throws: ServiceError("QueueDoesNotExist", "")) {
            try await f.call("SendMessage", ["QueueUrl": "http://x/000000000000/nope", "MessageBody": "x"])
        }
        await #expect(throws: ServiceError("ReceiptHandleIsInvalid", "")) {
            try await f.call("DeleteMessage", ["QueueUrl": .string(url), "ReceiptHandle": "garbage"])
        }
        await #expect(throws: ServiceError("TooManyEntriesInBatchRequest", "")) {
            try await f.call("SendMessageBatch", ["QueueUrl": .string(url), "Entries": .array((0..<11).map { i in
                ["Id": .string("m\(i)"), "MessageBody": "x"] })])
        }
        await #expect(throws: ServiceError("InvalidAttributeValue", "")) {
            try await f.call("SetQueueAttributes", ["QueueUrl": .string(url), "Attributes": ["VisibilityTimeout": "43201"]])
        }
        let attributes = try await f.call("GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["VisibilityTimeout"]])
        #expect(attributes["Attributes"]?["VisibilityTimeout"] == "30")
        #expect(try await f.receive(url).isEmpty)
    }

    @Test func aRedriveMovesTheDeadLettersBackToTheirSource() async throws {
        let f = try await Fixture()
        defer { f.close() }
        let dlq = try await f.queue("dead")
        let arn = "arn:aws:sqs:us-east-1:000000000000:dead"
        let url = try await f.queue("work", ["RedrivePolicy": .string("{\"deadLetterTargetArn\":\"\(arn)\",\"maxReceiveCount\":1}")])
        try await f.call("SendMessage", ["QueueUrl": .string(url), "MessageBody": "retry me"])
        _ = try await f.receive(url, visibility: 0)
        #expect(try await f.receive(url, visibility: 0).isEmpty)
        let handle = try await f.call("StartMessageMoveTask", ["SourceArn": .string(arn)])["TaskHandle"]
        #expect(handle?.stringValue != nil)
        // The move runs on its own task: wait for it to say COMPLETED.
        var status: JSON?
        for _ in 0..<1000 {
            status = try await f.call("ListMessageMoveTasks", ["SourceArn": .string(arn)])["Results"]?.arrayValue?.first?["Status"]
            if status == "COMPLETED" { break }
            await Task.yield()
        }
        #expect(status == "COMPLETED")
        #expect(f.bodies(try await f.receive(url)) == ["retry me"])
        #expect(try await f.receive(dlq).isEmpty)
    }
}
