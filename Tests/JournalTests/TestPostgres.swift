import Foundation
import Journal
import JournalPostgres
import Testing

/// The PostgreSQL the backend's tests run against: `BATON_TEST_POSTGRES` (a URL; `.ci/run`
/// starts a throwaway cluster with `Scripts/test-postgres.sh` and sets it). Unset, the
/// PostgreSQL cases are left out and `postgresBackendIsTested` reports itself skipped.
enum TestPostgres {
    static let url: String? = ProcessInfo.processInfo.environment["BATON_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }

    /// A journal in a schema of its own, so tests running at once never see each other's rows.
    static func journal() async throws -> PostgresJournal {
        guard let url else { throw JournalError(.closed, "BATON_TEST_POSTGRES is not set") }
        return try await PostgresJournal.isolated(url: url)
    }

    /// A journal in a given schema (several nodes sharing one), with a node's lease fence.
    static func journal(schema: String, fence: LeaseFence? = nil) async throws -> PostgresJournal {
        guard let url else { throw JournalError(.closed, "BATON_TEST_POSTGRES is not set") }
        var location = try PostgresLocation(url: url)
        location.schema = schema
        location.poolSize = 2
        return try await PostgresJournal(location: location, fence: fence)
    }
}

@Suite struct PostgresBackendTests {
    @Test(.enabled(if: TestPostgres.url != nil, "BATON_TEST_POSTGRES is not set: the PostgreSQL backend's contract cases did not run"))
    func postgresBackendIsTested() async throws {
        let j = try await TestPostgres.journal()
        #expect(try await j.schemaVersion() == PostgresJournal.latestSchemaVersion)
        await j.close()
    }

    /// Nodes that start together migrate once: the advisory lock serialises them and the
    /// second finds the steps applied.
    @Test(.enabled(if: TestPostgres.url != nil))
    func nodesStartingTogetherMigrateOnce() async throws {
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let journals = try await withThrowingTaskGroup(of: PostgresJournal.self) { group in
            for _ in 0..<4 { group.addTask { try await TestPostgres.journal(schema: schema) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for j in journals { #expect(try await j.schemaVersion() == PostgresJournal.latestSchemaVersion) }
        let def = try await journals[0].saveDefinition(stateMachineArn: "sm", definition: "{}")
        #expect(try await journals[3].definition(id: def) == "{}")
        for j in journals { await j.close() }
    }

    /// A service's attachment hands its statements to the step: they commit with it, and a
    /// refused step runs none of them.
    @Test(.enabled(if: TestPostgres.url != nil))
    func anAttachmentsStatementsCommitWithTheStepOnly() async throws {
        let j = try await TestPostgres.journal()
        let note = { (key: String) in
            StepAttachment(store: "notes") { (t) throws(JournalError) in
                guard case .statements(let list) = t else { throw JournalError(.corrupt, "not a networked backend") }
                list.add("INSERT INTO documents (owner, key, body) VALUES ($1, $2, $3)", [.text("notes"), .text(key), .bytes([1])])
            }
        }
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        var first = JournalBatch(execution: record("x1", definition: def, lastEventId: 1), expectedVersion: nil)
        first.events = [event(1, "ExecutionStarted")]
        first.attachments = [note("a")]
        try await j.append(first)
        var stale = JournalBatch(execution: record("x1", definition: def, lastEventId: 2), expectedVersion: 0)
        stale.events = [event(2)]
        stale.attachments = [note("b")]
        await #expect(throws: JournalError.self) { try await j.append(stale) }
        #expect(try await j.documents(owner: "notes").map(\.key) == ["a"])
        await j.close()
    }

    @Test(arguments: [
        ("postgres://baton@db:6543/jobs?schema=prod&pool=16", "postgres://baton@db:6543/jobs?schema=prod&pool=16"),
        ("postgresql://u:secret@h/d", "postgres://u:***@h:5432/d?schema=public&pool=8"),
        ("postgres://u@h", "postgres://u@h:5432/u?schema=public&pool=8"),
    ])
    func parsesAURL(_ url: String, _ shown: String) throws {
        #expect(try PostgresLocation(url: url).description == shown)
    }

    @Test(arguments: ["mysql://u@h/d", "postgres://h/d", "postgres://u@h/d?schema=a-b", "postgres://u@h/d?pool=0",
                      "postgres://u@h/d?sslmode=require", "postgres://u@h/d?timeout=3"])
    func refusesABadURL(_ url: String) {
        #expect(throws: JournalError.self) { try PostgresLocation(url: url) }
    }
}

/// Leases and fencing on one database shared by two nodes (two journals with their own fences).
@Suite struct PartitionLeaseTests {
    /// An Express run's row names the node running it; once that node stops heartbeating, the
    /// other nodes find it (and fail it); while it lives, they do not.
    @Test(.enabled(if: TestPostgres.url != nil))
    func anExpressRunsRowNamesItsNodeAndIsOrphanedWhenTheNodeStops() async throws {
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let fenceA = LeaseFence(node: "a", partitions: 1), fenceB = LeaseFence(node: "b", partitions: 1)
        let a = try await TestPostgres.journal(schema: schema, fence: fenceA)
        let b = try await TestPostgres.journal(schema: schema, fence: fenceB)
        _ = try await a.preparePartitions(1)
        fenceA.hold(try await a.renewLeases(node: "a", ttlMillis: 60_000, target: 1))
        let def = try await a.saveDefinition(stateMachineArn: "sm", definition: "{}")
        // Begun on a: RUNNING, no snapshot (held in a's memory).
        var express = record("x:express:1", definition: def)
        express.snapshot = nil
        try await a.append(JournalBatch(execution: express, expectedVersion: nil))
        _ = try await a.heartbeat(node: "a", address: "a", ttlMillis: 60_000)
        _ = try await b.heartbeat(node: "b", address: "b", ttlMillis: 60_000)
        #expect(try await b.orphanedExpress(node: "b", ttlMillis: 60_000, startedMillis: 0).isEmpty)
        // a restarted: what it began before is lost.
        #expect(try await a.orphanedExpress(node: "a", ttlMillis: 60_000, startedMillis: Int64.max).map(\.arn) == ["x:express:1"])
        // a stops heartbeating: with a short lease, b finds the run.
        #expect(try await b.orphanedExpress(node: "b", ttlMillis: -1, startedMillis: 0).map(\.arn) == ["x:express:1"])
        await a.close()
        await b.close()
    }

    @Test(.enabled(if: TestPostgres.url != nil))
    func aNodeThatLostItsLeaseCannotCommitAndTheTakerCan() async throws {
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let fenceA = LeaseFence(node: "a", partitions: 4), fenceB = LeaseFence(node: "b", partitions: 4)
        let a = try await TestPostgres.journal(schema: schema, fence: fenceA)
        let b = try await TestPostgres.journal(schema: schema, fence: fenceB)
        #expect(try await a.preparePartitions(4) == 4)
        // The cluster's count is the first node's, whatever a later node asks for.
        #expect(try await b.preparePartitions(16) == 4)
        fenceA.hold(try await a.renewLeases(node: "a", ttlMillis: 60_000, target: 4))
        #expect(fenceA.held.keys.sorted() == [0, 1, 2, 3])
        // b finds nothing free while a's leases are valid.
        fenceB.hold(try await b.renewLeases(node: "b", ttlMillis: 60_000, target: 2))
        #expect(fenceB.held.isEmpty)
        // Without a lease, b cannot even start an execution.
        let def = try await a.saveDefinition(stateMachineArn: "sm", definition: "{}")
        let p = fenceA.partition(of: "x1")
        var first = JournalBatch(execution: record("x1", definition: def, lastEventId: 1), expectedVersion: nil)
        first.events = [event(1, "ExecutionStarted")]
        await #expect(throws: JournalError.self) { try await b.append(first) }
        try await a.append(first)
        // a is paused past its lease on x1's partition (its lease runs out); b takes it over.
        let before = try #require(fenceA.token(p))
        try await a.releaseLeases(node: "a", partitions: [p])
        fenceB.hold(try await b.renewLeases(node: "b", ttlMillis: 60_000, target: 1))
        #expect(fenceB.token(p) == before + 1)
        // a wakes up still believing it holds the partition: its late step is refused, nothing written.
        var late = JournalBatch(execution: record("x1", definition: def, lastEventId: 2), expectedVersion: 1)
        late.events = [event(2)]
        do {
            try await a.append(late)
            Issue.record("a fenced node's step was committed")
        } catch {
            #expect(error.code == .fenced)
        }
        #expect(try await b.history(arn: "x1").count == 1)
        // The new owner goes on from where the journal is.
        try await b.append(late)
        #expect(try await a.execution(arn: "x1")?.lastEventId == 2)
        // a's next heartbeat renews only what is still its own.
        fenceA.hold(try await a.renewLeases(node: "a", ttlMillis: 60_000, target: 4))
        #expect(fenceA.token(p) == nil && fenceA.held.count == 3)
        #expect(try await a.leases().filter { $0.owner == "b" }.map(\.partition) == [p])
        await a.close()
        await b.close()
    }
}
