import Engine
import Foundation
import Journal
import ServiceKit
import StatesInterpreter
import StatesLanguage
import Testing
@testable import Messaging

/// A queue driving a function, one batch at a time through `deliver` (no pollers, no sleeps):
/// a hand-written function fake answers, and the queue shows what was deleted.
@Suite struct EventSourceMappingTests {
    final class Calls: @unchecked Sendable {
        private let lock = NSLock()
        private var batches: [[String]] = []
        func add(_ b: [String]) { lock.withLock { batches.append(b) } }
        var all: [[String]] { lock.withLock { batches } }
    }

    struct Fixture {
        let dir: String
        let db: SQLiteJournal
        let sqs: SQSService
        let esm: EventSourceMappings
        let calls = Calls()

        init(answer: @escaping @Sendable ([JSON]) -> TaskOutcome) async throws {
            dir = NSTemporaryDirectory() + "baton-esm-\(UUID().uuidString)"
            db = try SQLiteJournal(directory: dir, synchronous: .normal)
            let engine = Engine(journal: db, clock: ManualEngineClock())
            let context = ServiceContext(engine: engine, database: db, dataDirectory: dir)
            sqs = try await SQSService(context)
            esm = try await EventSourceMappings(context, sqs: sqs)
            var registry = TaskRegistry()
            let calls = self.calls
            registry.registerFunctions(ClosureTaskHandler { inv in
                let records = inv.parameters["Records"]?.arrayValue ?? []
                calls.add(records.compactMap { $0["body"]?.stringValue })
                return answer(records)
            })
            engine.install(registry)
        }

        func call(_ service: any BatonService, _ action: String, _ body: JSONObject) async throws -> JSON {
            let perform = try #require(service.actions[action])
            return try JSONParser.parse(try await perform(ServiceCall(action: action, json: body)).body)
        }

        /// Sends `bodies`, receives them as one batch and delivers it under a mapping made from `mapping`.
        func run(_ bodies: [String], mapping: JSONObject) async throws -> [String] {
            let url = try await call(sqs, "CreateQueue", ["QueueName": "work"])["QueueUrl"] ?? .null
            for b in bodies { _ = try await call(sqs, "SendMessage", ["QueueUrl": url, "MessageBody": .string(b)]) }
            var m: JSONObject = ["UUID": "m", "FunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:f",
                                 "EventSourceArn": "arn:aws:sqs:us-east-1:000000000000:work"]
            for (k, v) in mapping { m[k] = v }
            let q = try #require(sqs.queue(arn: "arn:aws:sqs:us-east-1:000000000000:work"))
            let batch = try await sqs.receive(q, max: 10, waitSeconds: 0, visibilityMillis: 0)
            await esm.deliver(batch, from: q, mapping: m)
            // What is left in the queue (visibility 0: everything not deleted is visible again).
            let left = try await call(sqs, "ReceiveMessage", ["QueueUrl": url, "MaxNumberOfMessages": 10])
            return (left["Messages"]?.arrayValue ?? []).compactMap { $0["Body"]?.stringValue }.sorted()
        }

        func close() {
            db.close()
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    @Test func aBatchTheFunctionTakesIsDeleted() async throws {
        let f = try await Fixture { _ in .succeeded([:]) }
        defer { f.close() }
        #expect(try await f.run(["a", "b"], mapping: [:]).isEmpty)
        #expect(f.calls.all.map { $0.sorted() } == [["a", "b"]])
    }

    @Test func aFailedBatchStaysWhole() async throws {
        let f = try await Fixture { _ in .failed(StatesError("Boom", nil)) }
        defer { f.close() }
        #expect(try await f.run(["a", "b"], mapping: [:]) == ["a", "b"])
    }

    @Test func reportedItemFailuresAloneStay() async throws {
        let f = try await Fixture { records in
            .succeeded(["batchItemFailures": .array(records.filter { $0["body"] == "bad" }.map { ["itemIdentifier": $0["messageId"] ?? .null] })])
        }
        defer { f.close() }
        #expect(try await f.run(["good", "bad"], mapping: ["FunctionResponseTypes": ["ReportBatchItemFailures"]]) == ["bad"])
    }

    @Test func filteredOutMessagesAreDeletedUnseen() async throws {
        let f = try await Fixture { _ in .succeeded([:]) }
        defer { f.close() }
        let mapping: JSONObject = ["FilterCriteria": ["Filters": [["Pattern": #"{"body": {"kind": ["order"]}}"#]]]]
        #expect(try await f.run([#"{"kind": "order"}"#, #"{"kind": "noise"}"#], mapping: mapping).isEmpty)
        #expect(f.calls.all == [[#"{"kind": "order"}"#]])
    }
}
