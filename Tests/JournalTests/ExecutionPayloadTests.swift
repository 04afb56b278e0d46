import Foundation
@testable import Journal
import StatesInterpreter
import StatesLanguage
import Testing

/// An execution's input and output are stored once: the row refers to the chunk its event
/// already wrote, when that chunk spells the same text, and reads give the text back unchanged.
@Suite struct ExecutionPayloadTests {
    static func value() -> JSON {
        let blob = JSON.array((0..<600).map { i in ["k": .string("key-\(i)"), "v": .string(String(repeating: "x", count: 40)), "n": .int(Int64(i))] })
        return ["id": 7, "user": ["name": "ann"], "blob": blob]
    }

    static func started(_ input: JSON) -> HistoryEvent {
        HistoryEvent(id: 1, previousEventId: 0, timestamp: Timestamp(milliseconds: 1), type: "ExecutionStarted",
                     detailsKey: "executionStartedEventDetails", details: ["input": input, "roleArn": "r"])
    }

    static func succeeded(_ output: JSON) -> HistoryEvent {
        HistoryEvent(id: 2, previousEventId: 1, timestamp: Timestamp(milliseconds: 2), type: "ExecutionSucceeded",
                     detailsKey: "executionSucceededEventDetails", details: ["output": output])
    }

    static func column(_ j: SQLiteJournal, _ sql: String) throws -> Int64? {
        try j.read { (db) throws(JournalError) -> Int64? in
            let s = try db.statement(sql)
            defer { db.resetAll() }
            return try s.step() ? s.optionalInt64(0) : nil
        }
    }

    /// Starts execution "x" with `input` sent compactly, as its first step.
    static func start(_ j: SQLiteJournal, input: JSON) async throws -> ExecutionRecord {
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        var row = record("x", definition: def, lastEventId: 1)
        row.input = input.serialized
        var b = JournalBatch(execution: row, expectedVersion: nil)
        b.events = [Self.started(input)]
        try await j.append(b)
        return row
    }

    static func journal() throws -> (SQLiteJournal, String) {
        let dir = NSTemporaryDirectory() + "execution-payloads-" + UUID().uuidString
        return (try SQLiteJournal(directory: dir, synchronous: .normal), dir)
    }

    @Test func aCompactInputAndTheOutputAreStoredOnceAndReadBackExactly() async throws {
        let (j, dir) = try Self.journal()
        defer { j.close(); try? FileManager.default.removeItem(atPath: dir) }
        let input = Self.value()
        var row = try await Self.start(j, input: input)
        #expect(try await j.execution(arn: "x")?.input == input.serialized)
        #expect(try Self.column(j, "SELECT input_ref FROM executions WHERE arn = 'x'") != nil)
        #expect(try Self.column(j, "SELECT LENGTH(input) FROM executions WHERE arn = 'x'") == 0)

        // The output shares the input's large member: the row refers to the output's chunk.
        guard case .object(var o) = input else { Issue.record("fixture"); return }
        o["last"] = ["step": 10]
        let output = JSON.object(o)
        // As the engine sets it: the value itself, whose text nobody has made.
        row.setOutput(value: output)
        row.status = .succeeded
        row.lastEventId = 2
        var done = JournalBatch(execution: row, expectedVersion: 1)
        done.events = [Self.succeeded(output)]
        try await j.append(done)
        let read = try await j.execution(arn: "x")
        #expect(read?.input == input.serialized)
        #expect(read?.output == output.serialized)
        #expect(try Self.column(j, "SELECT output_ref FROM executions WHERE arn = 'x'") != nil)
        #expect(try Self.column(j, "SELECT COALESCE(LENGTH(output), 0) FROM executions WHERE arn = 'x'") == 0)
        // The blob once: the payloads hold little more than one copy of the input.
        let stored = try Self.column(j, "SELECT SUM(LENGTH(body)) FROM payloads WHERE execution_arn = 'x'") ?? 0
        #expect(stored < Int64(input.serialized.utf8.count + 400))
        #expect(try await j.executions(status: .succeeded).map(\.output) == [output.serialized])
    }

    @Test func anInputSentWithSpacesIsKeptAsSent() async throws {
        let (j, dir) = try Self.journal()
        defer { j.close(); try? FileManager.default.removeItem(atPath: dir) }
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        let input = Self.value()
        let sent = "{ " + String(input.serialized.dropFirst())
        var row = record("x", definition: def, lastEventId: 1)
        row.input = sent
        var b = JournalBatch(execution: row, expectedVersion: nil)
        b.events = [Self.started(input)]
        try await j.append(b)
        #expect(try await j.execution(arn: "x")?.input == sent)
        #expect(try Self.column(j, "SELECT input_ref FROM executions WHERE arn = 'x'") == nil)
        // An output the row states differently from its event is kept as the row states it.
        row.output = "{\"other\":true}"
        row.lastEventId = 2
        var done = JournalBatch(execution: row, expectedVersion: 1)
        done.events = [Self.succeeded(input)]
        try await j.append(done)
        #expect(try await j.execution(arn: "x")?.output == "{\"other\":true}")
    }

    @Test func anOutputValueOtherThanTheEventsIsKeptAsItsOwnText() async throws {
        let (j, dir) = try Self.journal()
        defer { j.close(); try? FileManager.default.removeItem(atPath: dir) }
        let input = Self.value()
        var row = try await Self.start(j, input: input)
        guard case .object(var o) = input else { Issue.record("fixture"); return }
        o["id"] = 8
        row.setOutput(value: .object(o))
        row.lastEventId = 2
        var done = JournalBatch(execution: row, expectedVersion: 1)
        done.events = [Self.succeeded(input)]
        try await j.append(done)
        #expect(try await j.execution(arn: "x")?.output == JSON.object(o).serialized)
        #expect(try Self.column(j, "SELECT output_ref FROM executions WHERE arn = 'x'") == nil)
    }

    @Test func aDatabaseFromTheLastSchemaKeepsItsRowsWhenMigrated() async throws {
        let dir = NSTemporaryDirectory() + "execution-payloads-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let big = Self.value().serialized
        do {
            let db = try SQLiteConnection(path: dir + "/baton.sqlite3")
            try db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
            for (i, sql) in Migrations.all.prefix(12).enumerated() {
                try db.execute(sql)
                try db.execute("INSERT INTO schema_version (version) VALUES (\(i + 1))")
            }
            try db.execute("INSERT INTO definitions (state_machine_arn, definition) VALUES ('sm', '{}')")
            let s = try db.statement("""
                INSERT INTO executions (arn, state_machine_arn, definition_id, name, status, input, output, start_ms, last_event_id)
                VALUES ('old', 'sm', 1, 'old', 'SUCCEEDED', ?1, ?1, 5, 3)
                """)
            s.bind(1, big)
            try s.run()
            let q = try db.statement("INSERT INTO queue_messages (queue, id, body, enqueued_ms, visible_ms, receive_count) VALUES ('q', 'm', ?1, 1, 1, 0)")
            q.bind(1, blob: Array(big.utf8))
            try q.run()
        }
        let j = try SQLiteJournal(directory: dir, synchronous: .normal)
        defer { j.close() }
        #expect(try j.schemaVersion() == Migrations.latestVersion)
        let old = try await j.execution(arn: "old")
        #expect(old?.input == big && old?.output == big && old?.status == .succeeded && old?.lastEventId == 3)
        #expect(try await j.messages(queue: "q").map(\.body) == [Array(big.utf8)])
    }
}

/// Two processes opening one database at once (the CLI beside `baton serve`): the one that read
/// the schema's version before the other migrated applies nothing twice.
@Suite struct ConcurrentMigrationTests {
    @Test func aStaleVersionAppliesNothingTwice() async throws {
        let (j, dir) = try ExecutionPayloadTests.journal()
        defer { j.close(); try? FileManager.default.removeItem(atPath: dir) }
        let other = try SQLiteConnection(path: dir + "/baton.sqlite3")
        // This process read version 12; the journal has since migrated to the latest.
        try Migrations.run(on: other, after: 12)
        let s = try other.statement("SELECT COUNT(*), MAX(version) FROM schema_version")
        _ = try s.step()
        #expect(Int(s.int64(0)) == Migrations.latestVersion && Int(s.int64(1)) == Migrations.latestVersion)
    }
}

/// The WAL is copied back into the database by a thread of its own, not by the writer.
@Suite struct CheckpointTests {
    @Test(.timeLimit(.minutes(1))) func aGrowingLogIsCheckpointedBesideTheWriter() async throws {
        let (j, dir) = try ExecutionPayloadTests.journal()
        defer { j.close(); try? FileManager.default.removeItem(atPath: dir) }
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        // ~30 KiB per execution, 200 executions: well past the 1,000 frames that wake the checkpointer.
        let input = ExecutionPayloadTests.value()
        for i in 0..<200 {
            var row = record("x\(i)", definition: def, lastEventId: 1)
            row.input = input.serialized
            var b = JournalBatch(execution: row, expectedVersion: nil)
            b.events = [ExecutionPayloadTests.started(input)]
            try await j.append(b)
        }
        var copied: Int32 = 0
        for await frames in j.checkpoints {
            copied = frames
            break
        }
        #expect(copied > 0)
        #expect(try await j.execution(arn: "x199")?.input == input.serialized)
    }
}
