import Engine
import Foundation
import Journal
import JournalPostgres
import ServiceKit
import StatesLanguage
import Testing
@testable import Events

/// Nodes sharing one store: a scheduled rule fires on the node owning its key's partition
/// only, a node taking a partition over fires nothing its previous owner fired, and a rule
/// put through one node routes events on another.
@Suite struct ClusterScheduleTests {
    /// Owns the partitions of one parity, or every one once `all` is set (a lease taken over).
    final class ParityRouter: PartitionRouter, @unchecked Sendable {
        let parity: Int
        let all = LockedValue(false)
        init(parity: Int) { self.parity = parity }
        func owns(_ partition: Int) -> Bool { all.value || partition % 2 == parity }
        func forward(partition: Int, _ request: JSON) async throws(EngineError) -> JSON { [:] }
        func claim(activityTask token: String) async -> Bool { true }
        func announce(activity arn: String) async {}
    }

    static func call(_ service: EventsService, _ action: String, _ body: JSONObject) async throws -> JSON {
        let perform = try #require(service.actions[action])
        return try JSONParser.parse(try await perform(ServiceCall(action: action, json: body)).body)
    }

    @Test func eachScheduledRuleFiresOnItsPartitionsOwnerOnly() async throws {
        let dir = NSTemporaryDirectory() + "baton-cluster-schedule-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = ManualEngineClock()
        let db = try SQLiteJournal(directory: dir, synchronous: .normal)
        defer { db.close() }
        let engineA = Engine(journal: db, clock: clock), engineB = Engine(journal: db, clock: clock)
        let routerA = ParityRouter(parity: 0), routerB = ParityRouter(parity: 1)
        engineA.install(router: routerA)
        engineB.install(router: routerB)
        let a = try await EventsService(ServiceContext(engine: engineA, database: db, dataDirectory: dir))
        let names = (1...8).map { "tick\($0)" }
        for name in names {
            _ = try await Self.call(a, "PutRule", ["Name": .string(name), "ScheduleExpression": "rate(5 minutes)"])
            _ = try await Self.call(a, "PutTargets", ["Rule": .string(name), "Targets": [["Id": "t", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"]]])
        }
        // b starts after the rules exist (one store, no notices on SQLite): it reads them at start.
        let b = try await EventsService(ServiceContext(engine: engineB, database: db, dataDirectory: dir))
        let owned = names.filter { engineA.owns(EventBuses.ruleKey(bus: "default", name: $0)) }.count
        #expect(owned > 0 && owned < names.count, "the rules' keys fall on both nodes' partitions")
        clock.advance(seconds: 5 * 60)
        let firedA = await a.scheduler.fireDue(), firedB = await b.scheduler.fireDue()
        #expect(firedA == owned && firedB == names.count - owned)
        #expect(try await db.messages(queue: EventDelivery.queue).count == names.count)
        // a stops; b takes every partition over at the same moment: nothing fires twice.
        routerB.all.value = true
        #expect(await b.scheduler.fireDue() == 0)
        #expect(try await db.messages(queue: EventDelivery.queue).count == names.count)
        // The next period fires every rule, on b.
        clock.advance(seconds: 5 * 60)
        #expect(await b.scheduler.fireDue() == names.count)
        #expect(try await db.messages(queue: EventDelivery.queue).count == 2 * names.count)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["BATON_TEST_POSTGRES"].map { !$0.isEmpty } ?? false,
                   "BATON_TEST_POSTGRES is not set: rules across two nodes on PostgreSQL were not tried"))
    func aRulePutOnOneNodeRoutesEventsOnTheOther() async throws {
        var location = try PostgresLocation(url: ProcessInfo.processInfo.environment["BATON_TEST_POSTGRES"] ?? "")
        location.schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        location.poolSize = 2
        let ja = try await PostgresJournal(location: location), jb = try await PostgresJournal(location: location)
        let a = try await EventBuses(store: ja, region: "us-east-1", account: "1", now: 0)
        let b = try await EventBuses(store: jb, region: "us-east-1", account: "1", now: 0)
        let (changes, continuation) = AsyncStream.makeStream(of: String.self)
        await b.rules.watch { key, _ in continuation.yield(key) }
        _ = try await a.putRule(bus: "default", name: "orders") { (o: inout JSONObject) throws(ServiceError) in
            o["EventPattern"] = .string(#"{"source":["shop"]}"#)
            o["Targets"] = [["Id": "t", "Arn": "arn:aws:sqs:us-east-1:1:q"]]
        }
        let noticed = await Self.notices(changes, count: 1).first
        #expect(noticed == EventBuses.ruleKey(bus: "default", name: "orders"))
        #expect(await b.routes(bus: "default", event: ["source": "shop", "detail-type": "x", "detail": [:]]).count == 1)
        #expect(await b.routes(bus: "default", event: ["source": "other", "detail-type": "x", "detail": [:]]).isEmpty)
        // Deleted through b (its targets first): a stops routing.
        let (gone, ended) = AsyncStream.makeStream(of: String.self)
        await a.rules.watch { key, _ in ended.yield(key) }
        _ = try await b.updateRule(bus: "default", name: "orders") { (o: inout JSONObject) throws(ServiceError) in o["Targets"] = [] }
        try await b.deleteRule(bus: "default", name: "orders")
        #expect(await Self.notices(gone, count: 2).count == 2)
        #expect(await a.routes(bus: "default", event: ["source": "shop", "detail-type": "x", "detail": [:]]).isEmpty)
        await ja.close()
        await jb.close()
    }

    /// The first `count` keys the stream gives, or fewer if ten seconds pass first (a bound, not a measurement).
    static func notices(_ stream: AsyncStream<String>, count: Int) async -> [String] {
        await withTaskGroup(of: [String]?.self) { group in
            group.addTask {
                var keys: [String] = []
                for await key in stream {
                    keys.append(key)
                    if keys.count == count { break }
                }
                return keys
            }
            group.addTask { try? await Task.sleep(for: .seconds(10)); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? []
        }
    }
}
