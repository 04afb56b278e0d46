import Engine
import Foundation
import Journal
import ServiceKit
import StatesLanguage
import StepFunctions
import Testing
@testable import Events

/// PutEvents starts a state machine target's execution before it answers; a start that fails
/// goes to the durable queue, hidden for its first backoff, or to the dead letters when the
/// target allows no retry.
@Suite struct PutEventsDeliveryTests {
    struct Fixture {
        let dir = NSTemporaryDirectory() + "baton-putevents-\(UUID().uuidString)"
        let clock = ManualEngineClock()
        let db: SQLiteJournal
        let engine: Engine
        let events: EventsService
        let sfn: StepFunctionsService

        init() async throws {
            db = try SQLiteJournal(directory: dir, synchronous: .normal)
            engine = Engine(journal: db, clock: clock)
            let context = ServiceContext(engine: engine, database: db, dataDirectory: dir)
            sfn = StepFunctionsService(context)
            events = try await EventsService(context)
            engine.install(TaskRegistry(services: [sfn, events]))
        }

        func close() {
            db.close()
            try? FileManager.default.removeItem(atPath: dir)
        }

        func call(_ service: any BatonService, _ action: String, _ body: JSONObject) async throws -> JSON {
            let perform = try #require(service.actions[action])
            return try JSONParser.parse(try await perform(ServiceCall(action: action, json: body)).body)
        }

        func createMachine(_ name: String) async throws {
            _ = try await call(sfn, "CreateStateMachine", [
                "name": .string(name), "roleArn": "arn:aws:iam::000000000000:role/r",
                "definition": #"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}"#])
        }

        func executions(_ name: String) async throws -> [JSON] {
            try await call(sfn, "ListExecutions", ["stateMachineArn": .string("arn:aws:states:us-east-1:000000000000:stateMachine:\(name)")])["executions"]?
                .arrayValue ?? []
        }

        func rule(targeting machine: String, retry: JSON? = nil) async throws {
            _ = try await call(events, "PutRule", ["Name": "orders", "EventPattern": #"{"source":["shop"]}"#])
            var target: JSONObject = ["Id": "sm", "Arn": .string("arn:aws:states:us-east-1:000000000000:stateMachine:\(machine)"),
                                      "InputPath": "$.detail"]
            if let retry { target["RetryPolicy"] = retry }
            _ = try await call(events, "PutTargets", ["Rule": "orders", "Targets": [.object(target)]])
        }

        func put(_ detail: String) async throws -> JSON {
            try await call(events, "PutEvents", ["Entries": [["Source": "shop", "DetailType": "Order", "Detail": .string(detail)]]])
        }
    }

    @Test func theExecutionIsStartedBeforePutEventsAnswers() async throws {
        let f = try await Fixture()
        defer { f.close() }
        try await f.createMachine("orders")
        try await f.rule(targeting: "orders")
        let answer = try await f.put(#"{"n":1}"#)
        #expect(answer["FailedEntryCount"] == 0)
        let started = try await f.executions("orders")
        #expect(started.count == 1)
        #expect(try await f.db.messages(queue: EventDelivery.queue).isEmpty)
        let arn = try #require(started.first?["executionArn"]?.stringValue)
        #expect(try await f.engine.describe(arn).input == #"{"n":1}"#)
    }

    @Test func aStartThatFailsIsRetriedFromTheQueueAfterItsBackoff() async throws {
        let f = try await Fixture()
        defer { f.close() }
        try await f.rule(targeting: "later")
        #expect(try await f.put(#"{"n":2}"#)["FailedEntryCount"] == 0)
        let queued = try await f.db.messages(queue: EventDelivery.queue)
        #expect(queued.count == 1)
        #expect(queued.first?.receiveCount == 1)
        #expect(queued.first.map { $0.visibleAtMillis > f.clock.now().milliseconds } == true)
        try await f.createMachine("later")
        // Hidden for the first backoff: nothing is taken before it.
        await f.events.worker.drain()
        #expect(try await f.executions("later").isEmpty)
        // The backoff after a first failed try: 2 s.
        f.clock.advance(to: f.clock.now().adding(milliseconds: 1900))
        await f.events.worker.drain()
        #expect(try await f.executions("later").isEmpty)
        f.clock.advance(to: f.clock.now().adding(milliseconds: 100))
        await f.events.worker.drain()
        let started = try await f.executions("later")
        #expect(started.count == 1)
        // Under the delivery's id, so a second try would find it.
        #expect(started.first?["name"]?.stringValue == queued.first?.id)
        #expect(try await f.db.messages(queue: EventDelivery.queue).isEmpty)
    }

    @Test func aTargetWithoutRetriesIsDeadLetteredAtOnce() async throws {
        let f = try await Fixture()
        defer { f.close() }
        try await f.rule(targeting: "missing", retry: ["MaximumRetryAttempts": 0])
        #expect(try await f.put(#"{"n":3}"#)["FailedEntryCount"] == 0)
        #expect(try await f.db.messages(queue: EventDelivery.queue).isEmpty)
        let dead = try await f.db.documents(owner: "events.undelivered")
        #expect(dead.count == 1)
        #expect(dead.first.map { String(decoding: $0.body, as: UTF8.self).contains("StateMachineDoesNotExist") } == true)
    }
}
