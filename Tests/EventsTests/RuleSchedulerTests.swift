import Engine
import Foundation
import Journal
import ServiceKit
import StatesLanguage
import Testing
@testable import Events

/// Scheduled rules on a manual clock: each occurrence fires once, a missed one fires once on
/// return, and a restart fires nothing twice.
@Suite struct RuleSchedulerTests {
    static func call(_ service: EventsService, _ action: String, _ body: JSONObject) async throws -> JSON {
        let perform = try #require(service.actions[action])
        let reply = try await perform(ServiceCall(action: action, json: body))
        return try JSONParser.parse(reply.body)
    }

    static func deliveries(_ db: SQLiteJournal) async throws -> Int {
        try await db.messages(queue: EventDelivery.queue).count
    }

    @Test func ratesFireOncePerOccurrenceAndOnceAfterAnOutage() async throws {
        let dir = NSTemporaryDirectory() + "baton-schedule-\(UUID().uuidString)"
        let clock = ManualEngineClock()
        let db = try SQLiteJournal(directory: dir, synchronous: .normal)
        let engine = Engine(journal: db, clock: clock)
        let service = try await EventsService(ServiceContext(engine: engine, database: db, dataDirectory: dir))
        _ = try await Self.call(service, "PutRule", ["Name": "tick", "ScheduleExpression": "rate(5 minutes)"])
        _ = try await Self.call(service, "PutTargets", ["Rule": "tick", "Targets": [
            ["Id": "a", "Arn": "arn:aws:states:us-east-1:000000000000:stateMachine:a"],
            ["Id": "b", "Arn": "arn:aws:states:us-east-1:000000000000:stateMachine:b"]]])
        clock.advance(seconds: 4 * 60)
        #expect(await service.scheduler.fireDue() == 0)
        clock.advance(seconds: 60)
        #expect(await service.scheduler.fireDue() == 1)
        #expect(try await Self.deliveries(db) == 2)
        #expect(await service.scheduler.fireDue() == 0)
        // Six periods pass unseen: the latest fires, once.
        clock.advance(seconds: 30 * 60)
        #expect(await service.scheduler.fireDue() == 1)
        #expect(await service.scheduler.fireDue() == 0)
        #expect(try await Self.deliveries(db) == 4)
        let event = try #require(try await db.messages(queue: EventDelivery.queue).last.flatMap { try JSONParser.parse($0.body)["event"] })
        #expect(event["source"] == "aws.events" && event["detail-type"] == "Scheduled Event")
        #expect(event["resources"]?.arrayValue?.first?.stringValue?.hasSuffix(":rule/tick") == true)
        db.close()
        // A restart at the same moment fires nothing again.
        let db2 = try SQLiteJournal(directory: dir, synchronous: .normal)
        let again = try await EventsService(ServiceContext(engine: Engine(journal: db2, clock: clock), database: db2, dataDirectory: dir))
        #expect(await again.scheduler.fireDue() == 0)
        clock.advance(seconds: 5 * 60)
        #expect(await again.scheduler.fireDue() == 1)
        #expect(try await Self.deliveries(db2) == 6)
    }

    @Test func aFlexibleWindowDelaysTheDeliveryWithinItTheSameWayEveryTime() async throws {
        let dir = NSTemporaryDirectory() + "baton-schedule-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = ManualEngineClock()
        let db = try SQLiteJournal(directory: dir, synchronous: .normal)
        defer { db.close() }
        let context = ServiceContext(engine: Engine(journal: db, clock: clock), database: db, dataDirectory: dir)
        let scheduler = try await SchedulerService(context, events: try await EventsService(context))
        let create = try #require(scheduler.actions["CreateSchedule"])
        for (name, window) in [("flexible", ["Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15] as JSON), ("exact", ["Mode": "OFF"])] {
            var call = ServiceCall(action: "CreateSchedule", json: ["ScheduleExpression": "rate(1 hour)", "FlexibleTimeWindow": window,
                                                                      "Target": ["Arn": "arn:aws:states:us-east-1:000000000000:stateMachine:a",
                                                                                 "RoleArn": "arn:aws:iam::000000000000:role/r"]])
            call.parameters = ["Name": name]
            _ = try await create(call)
        }
        let t0 = clock.now().milliseconds
        clock.advance(seconds: 3600)
        #expect(await scheduler.runner.fireDue() == 2)
        let messages = try await db.messages(queue: EventDelivery.queue)
        let flexible = try #require(messages.first { $0.id.contains("|flexible|") })
        let exact = try #require(messages.first { $0.id.contains("|exact|") })
        #expect(exact.visibleAtMillis == t0 + 3_600_000)
        #expect(flexible.visibleAtMillis >= t0 + 3_600_000 && flexible.visibleAtMillis < t0 + 3_600_000 + 15 * 60_000)
        #expect(ScheduleRunner.offset("default|flexible", occurrence: t0 + 3_600_000, window: ["Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15])
            == flexible.visibleAtMillis - (t0 + 3_600_000))
        // FLEXIBLE needs its window's length.
        var bad = ServiceCall(action: "CreateSchedule", json: ["ScheduleExpression": "rate(1 hour)", "FlexibleTimeWindow": ["Mode": "FLEXIBLE"],
                                                               "Target": ["Arn": "arn:aws:states:us-east-1:000000000000:stateMachine:a",
                                                                          "RoleArn": "arn:aws:iam::000000000000:role/r"]])
        bad.parameters = ["Name": "bad"]
        await #expect(throws: ServiceError.self) { _ = try await create(bad) }
    }

    @Test(arguments: [
        ("cron(0 12 * * ? *)", "2026-03-01T10:00:00.000Z", "2026-03-01T12:00:00.000Z"),
        ("cron(0 12 * * ? *)", "2026-03-01T12:00:00.000Z", "2026-03-02T12:00:00.000Z"),
        ("cron(0/15 * * * ? *)", "2026-03-01T10:07:00.000Z", "2026-03-01T10:15:00.000Z"),
        ("cron(0 18 ? * MON-FRI *)", "2026-02-27T19:00:00.000Z", "2026-03-02T18:00:00.000Z"),
        ("cron(0 2 ? * SAT#3 *)", "2026-03-01T00:00:00.000Z", "2026-03-21T02:00:00.000Z"),
        ("cron(0 8 L * ? *)", "2026-02-10T00:00:00.000Z", "2026-02-28T08:00:00.000Z"),
        ("cron(15 10 ? * 6L 2026)", "2026-03-01T00:00:00.000Z", "2026-03-27T10:15:00.000Z"),
    ])
    func cronFindsItsNextOccurrence(_ expression: String, _ after: String, _ expected: String) throws {
        let e = try #require(ScheduleExpression(expression))
        let from = try #require(Timestamp(iso8601: after)).milliseconds
        let next = try #require(e.next(after: from, anchor: 0))
        #expect(Timestamp(milliseconds: next).iso8601 == expected)
    }
}

@Suite struct SchedulerExpressionTests {
    @Test(arguments: [
        ("at(2026-12-24T18:00:00)", "Europe/Paris", "2026-01-01T00:00:00.000Z", "2026-12-24T17:00:00.000Z"),
        ("at(2026-12-24T18:00:00)", "UTC", "2026-12-24T18:00:00.000Z", nil),
        ("cron(0 9 * * ? *)", "America/New_York", "2026-07-01T00:00:00.000Z", "2026-07-01T13:00:00.000Z"),
        ("cron(0 9 * * ? *)", "America/New_York", "2026-12-01T00:00:00.000Z", "2026-12-01T14:00:00.000Z"),
    ])
    func expressionsAreReadInTheirTimeZone(_ text: String, _ zone: String, _ after: String, _ expected: String?) throws {
        let e = try #require(SchedulerExpression(text, zone: zone))
        let from = try #require(Timestamp(iso8601: after)).milliseconds
        #expect(e.next(after: from, anchor: 0).map { Timestamp(milliseconds: $0).iso8601 } == expected)
    }

    @Test(arguments: ["at(tomorrow)", "at(2026-12-24 18:00:00)", "at(2026-12-24T18:00)", "rate(1 minutes)"])
    func invalidExpressionsAreRefused(_ text: String) {
        #expect(SchedulerExpression(text, zone: "UTC") == nil)
    }
}
