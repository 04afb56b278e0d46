import CSQLite
import Engine
import Foundation
import Journal
import JournalPostgres
import StatesInterpreter
import StatesLanguage

/// Durable throughput: workflows through the engine with the SQLite journal, in FULL and
/// NORMAL, beside a bare SQLite append loop with the same batching on the same machine.
enum DurableBench {
    static let concurrency = 256

    static func run(budget: Double) async throws {
        print("journal   workload        executions  transitions/s  events/s   p50 ms   p99 ms")
        for sync in [SQLiteJournal.Synchronous.full, .normal] {
            let raw = try rawAppendLoop(sync, batch: 64, seconds: min(budget, 3))
            print("\(sync.rawValue.padded(8))  bare-sqlite-64  \("-".leftPad(10))  \("-".leftPad(13))  \(String(Int(raw)).leftPad(8))")
            for workload in ["pass10", "callback"] {
                let r = try await measure(sync, workload: workload, budget: budget)
                print("\(sync.rawValue.padded(8))  \(workload.padded(14))  \(String(r.executions).leftPad(10))  "
                    + "\(String(Int(r.transitionsPerSecond)).leftPad(13))  \(String(Int(r.eventsPerSecond)).leftPad(8))  "
                    + "\(format(r.p50).leftPad(7))  \(format(r.p99).leftPad(7))")
            }
        }
    }

    struct Result {
        var executions: Int
        var transitionsPerSecond: Double
        var eventsPerSecond: Double
        var p50: Double
        var p99: Double
    }

    static let pass10 = passChain(10)
    static let callback = """
        {"StartAt":"Wait for callback","States":{
          "Wait for callback":{"Type":"Task","Resource":"arn:aws:states:::baton:benchCallback.waitForTaskToken",
            "Parameters":{"execution.$":"$$.Execution.Id"},"TimeoutSeconds":300,"Next":"Done"},
          "Done":{"Type":"Pass","End":true}}}
        """

    static func measure(_ sync: SQLiteJournal.Synchronous, workload: String, budget: Double) async throws -> Result {
        let dir = NSTemporaryDirectory() + "baton-bench-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try SQLiteJournal(directory: dir, synchronous: sync)
        defer { journal.close() }
        return try await measure(journal, workload: workload, budget: budget)
    }

    /// pass10 and callback on SQLite (FULL) and on PostgreSQL (a fresh schema of `url`), one
    /// after the other in one run.
    static func runBoth(url: String, budget: Double) async throws {
        print("journal     workload   executions  transitions/s  events/s   p50 ms   p99 ms")
        for workload in ["pass10", "callback"] {
            let sqlite = try await measure(.full, workload: workload, budget: budget)
            print(row("sqlite", workload, sqlite))
            let postgres = try await PostgresJournal.isolated(url: url, poolSize: 8)
            let r = try await measure(postgres, workload: workload, budget: budget)
            await postgres.close()
            print(row("postgres", workload, r) + String(format: "   (%.0f %% of SQLite's)", r.transitionsPerSecond / sqlite.transitionsPerSecond * 100))
        }
    }

    static func row(_ journal: String, _ workload: String, _ r: Result) -> String {
        "\(journal.padded(10))  \(workload.padded(9))  \(String(r.executions).leftPad(10))  \(String(Int(r.transitionsPerSecond)).leftPad(13))  "
            + "\(String(Int(r.eventsPerSecond)).leftPad(8))  \(format(r.p50).leftPad(7))  \(format(r.p99).leftPad(7))"
    }

    static func measure(_ journal: any JournalStore, workload: String, budget: Double) async throws -> Result {
        let box = TokenBox()
        var registry = TaskRegistry()
        registry.register("arn:aws:states:::baton:benchCallback", ClosureTaskHandler { inv in
            await box.put(inv.parameters["execution"]?.stringValue ?? "", inv.taskToken ?? "")
            return .pending
        })
        let engine = Engine(journal: journal, registry: registry, partitions: 16)
        let sm = "arn:aws:states:us-east-1:000000000000:stateMachine:bench"
        let definition = try await engine.saveDefinition(stateMachineArn: sm, definition: workload == "pass10" ? pass10 : callback)
        let transitionsPerExecution = workload == "pass10" ? 10 : 2
        let eventsPerExecution = workload == "pass10" ? 22 : 9
        let deadline = monotonicSeconds() + budget
        let start = monotonicSeconds()
        let latencies: [[Double]] = await withTaskGroup(of: [Double].self) { group in
            group.addTask { await engine.run(); return [] }
            var workers = 0
            for w in 0..<concurrency {
                workers += 1
                group.addTask {
                    await timedCalls(until: deadline) { n in
                        let r = try await engine.startExecution(stateMachineArn: sm, definitionId: definition, name: "w\(w)-\(n)", input: #"{"order":{"id":"o-1","total":12.5}}"#)
                        if workload == "callback" {
                            let token = await box.take(r.arn)
                            try await engine.sendTaskSuccess(token: token, output: #"{"ok":true}"#)
                            _ = try await engine.waitForCompletion(r.arn)
                        }
                    }
                }
            }
            var all: [[Double]] = []
            for _ in 0..<workers { if let l = await group.next() { all.append(l) } }
            engine.shutdown()
            await group.waitForAll()
            return all
        }
        let elapsed = monotonicSeconds() - start
        let sorted = latencies.flatMap { $0 }.sorted()
        let n = sorted.count
        return Result(executions: n, transitionsPerSecond: Double(n * transitionsPerExecution) / elapsed,
                      eventsPerSecond: Double(n * eventsPerExecution) / elapsed,
                      p50: n > 0 ? sorted[n / 2] : 0, p99: n > 0 ? sorted[min(n - 1, n * 99 / 100)] : 0)
    }

    /// Bare SQLite: the events table's shape, rows appended in transactions of `batch` rows.
    static func rawAppendLoop(_ sync: SQLiteJournal.Synchronous, batch: Int, seconds: Double) throws -> Double {
        let path = NSTemporaryDirectory() + "baton-raw-\(UUID().uuidString).sqlite3"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        var db: OpaquePointer?
        sqlite3_open(path, &db)
        defer { sqlite3_close(db) }
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=\(sync.rawValue);", nil, nil, nil)
        sqlite3_exec(db, """
            CREATE TABLE events (execution_arn TEXT NOT NULL, id INTEGER NOT NULL, previous_id INTEGER NOT NULL, ts_ms INTEGER NOT NULL,
              type TEXT NOT NULL, details_key TEXT, details TEXT, PRIMARY KEY (execution_arn, id)) WITHOUT ROWID
            """, nil, nil, nil)
        var stmt: OpaquePointer?
        sqlite3_prepare_v2(db, "INSERT INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &stmt, nil)
        defer { sqlite3_finalize(stmt) }
        let details = #"{"name":"P3","output":{"step":3,"order":{"id":"o-1","total":12.5}},"outputDetails":{"truncated":false}}"#
        var rows = 0
        let start = monotonicSeconds()
        var execution = 0
        while monotonicSeconds() - start < seconds {
            sqlite3_exec(db, "BEGIN IMMEDIATE", nil, nil, nil)
            for i in 0..<batch {
                if i % 22 == 0 { execution += 1 }
                sqlite3_reset(stmt)
                sqlite3_bind_text(stmt, 1, "arn:aws:states:us-east-1:000000000000:execution:bench:e\(execution)", -1, baton_sqlite_transient())
                sqlite3_bind_int64(stmt, 2, Int64(i % 22 + 1))
                sqlite3_bind_int64(stmt, 3, Int64(i % 22))
                sqlite3_bind_int64(stmt, 4, 1_700_000_000_000)
                sqlite3_bind_text(stmt, 5, "PassStateExited", -1, baton_sqlite_transient())
                sqlite3_bind_text(stmt, 6, "stateExitedEventDetails", -1, baton_sqlite_transient())
                sqlite3_bind_text(stmt, 7, details, -1, baton_sqlite_transient())
                sqlite3_step(stmt)
                rows += 1
            }
            sqlite3_exec(db, "COMMIT", nil, nil, nil)
        }
        return Double(rows) / (monotonicSeconds() - start)
    }

    static func format(_ d: Double) -> String { String((d * 10).rounded() / 10) }
}

/// Tokens handed out by the callback handler, by execution.
actor TokenBox {
    private var tokens: [String: String] = [:]
    private var waiters: [String: CheckedContinuation<String, Never>] = [:]

    func put(_ arn: String, _ token: String) {
        if let w = waiters.removeValue(forKey: arn) { w.resume(returning: token) } else { tokens[arn] = token }
    }

    func take(_ arn: String) async -> String {
        if let t = tokens.removeValue(forKey: arn) { return t }
        return await withCheckedContinuation { waiters[arn] = $0 }
    }
}

extension String {
    func padded(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}
