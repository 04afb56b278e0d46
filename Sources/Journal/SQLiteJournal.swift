import CSQLite
import CoreMetrics
import Foundation
import StatesInterpreter
import StatesLanguage

/// The embedded journal: one SQLite database in WAL mode.
///
/// Group commit: appends from every execution queue up and a single writer thread commits
/// whatever is queued in one transaction (at most `maxBatch` steps), then wakes each waiting
/// append. Nothing is acknowledged before its transaction commits, except the writes that ask
/// for less (`performVisible`, `appendVisible`: answered once their savepoint is released).
package final class SQLiteJournal: JournalStore, @unchecked Sendable {
    // @unchecked Sendable: `queue`, `stopping` are guarded by `condition`; `readers` hands each
    // read connection to one thread at a time; `writer` is used only on the writer thread (after `init`).
    package enum Synchronous: String, Sendable {
        /// Durable on power loss: every commit is fsynced (the default).
        case full = "FULL"
        /// Durable on process crash; a power loss may lose the last commits.
        case normal = "NORMAL"
    }

    /// Whether the writer waits for work with no group open (guarded by `condition`): the one
    /// time a detached batch must wake it.
    private var writerIdle = false

    private struct Pending {
        /// A step, or (nil) a store's write on its own.
        var batch: JournalBatch?
        var documents: [DocumentWrite] = []
        /// A store's own write (the durable queue's), run on the writer connection in the step's savepoint.
        var custom: (@Sendable (SQLiteConnection) throws(JournalError) -> Void)?
        var resume: @Sendable (Result<Void, JournalError>) -> Void
        /// Resumed once its savepoint is released, before the transaction's fsync (see `performVisible`).
        var early = false
        /// Early, and its transaction need not commit at once (see `appendVisible`).
        var lazy = false
    }

    package let path: String
    package let maxBatch: Int
    let writer: SQLiteConnection
    /// Payload chunks the writer has stored, by value identity (writer thread only).
    let chunks = PayloadChunks()
    private let readers: ReaderPool
    /// State machines by ARN, read by every start (see `RecordCache`).
    let machines = RecordCache<StateMachineRecord>()
    /// Every activity, under one key (see `RecordCache`).
    let activityList = RecordCache<[ActivityRecord]>()
    /// The execution rows committed last, read by DescribeExecution (see `CommittedExecutions`).
    let committedRows = CommittedExecutions()
    /// Checkpoints the WAL beside the writer (see `WALCheckpointer`).
    private let checkpointer: WALCheckpointer
    /// The frames each background checkpoint copied.
    package var checkpoints: AsyncStream<Int32> { checkpointer.copies }
    private let condition = NSCondition()
    private var queue: [Pending] = []
    private var stopping = false
    private var thread: Thread?
    /// The writer connection's `PRAGMA synchronous` as SQLite reports it (2 = FULL, 1 = NORMAL).
    package let writerSynchronous: String?
    /// The writer's `PRAGMA temp_store` as SQLite reports it (2 = MEMORY: sub-journals of its
    /// savepoints never spill to temporary files).
    package let writerTempStore: String?

    /// Opens (creating if needed) `directory/baton.sqlite3` and migrates it.
    package init(directory: String, synchronous: Synchronous = .full, maxBatch: Int = 512) throws(JournalError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw JournalError(.sqlite(SQLITE_CANTOPEN), "cannot create the data directory \(directory): \(error)")
        }
        path = directory + "/baton.sqlite3"
        self.maxBatch = maxBatch
        writer = try SQLiteConnection(path: path)
        try writer.execute("PRAGMA journal_mode=WAL")
        try writer.execute("PRAGMA synchronous=\(synchronous.rawValue)")
        // Read back, not assumed: a wrapper that enables WAL may quietly lower it (GRDB does).
        writerSynchronous = try writer.pragma("synchronous")
        writer.resetAll()
        try writer.execute("PRAGMA foreign_keys=ON")
        // Each step of a group commit is a savepoint, and a savepoint's undo pages go to a
        // sub-journal that SQLite spills to a temporary file past 64 KiB: a group commit then
        // created, wrote and deleted a file (open, pwrite, close evicting its pages were a
        // sixth of the writer thread's time). In memory, pass10 over HTTP ran 15-19 % faster.
        try writer.execute("PRAGMA temp_store=MEMORY")
        writerTempStore = try writer.pragma("temp_store")
        writer.resetAll()
        try Migrations.run(on: writer)
        // Each reader keeps as many pages as the writer: a small object's bytes are overflow
        // pages of its row, and reading them from the OS again on every GET cost a tenth of
        // GetObject's rate (a read-mostly spell keeps them; SQLite drops a connection's cache
        // when another connection commits).
        readers = try ReaderPool(path: path, count: ReaderPool.defaultCount) { (c) throws(JournalError) in
            try c.execute("PRAGMA cache_size=-16384")
        }
        // The writer keeps more pages than SQLite's default 2 MiB: a large payload spans
        // hundreds of overflow pages, and re-reading them from the OS on every commit and
        // checkpoint cost a quarter of large_payload's throughput (67 -> 88 executions/s).
        try writer.execute("PRAGMA cache_size=-16384")
        checkpointer = try WALCheckpointer(path: path)
        checkpointer.install(on: writer)
        // After a checkpoint lets the log start over, its file is cut back to 64 MiB.
        try writer.execute("PRAGMA journal_size_limit=67108864")
        // The writer thread keeps the journal alive until `close()` lets it finish.
        let t = Thread { self.writerLoop() }
        t.name = "baton-journal-writer"
        thread = t
        t.start()
    }

    /// Stops the writer after it commits what is queued.
    package func close() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    /// The connection's settings, for tests that prove durability settings.
    package func pragma(_ name: String) throws(JournalError) -> String? {
        try readers.with { (c) throws(JournalError) in try c.pragma(name) }
    }


    // MARK: appends

    package func append(_ batch: JournalBatch) async throws(JournalError) {
        try await enqueue(Pending(batch: batch, resume: { _ in }))
    }

    /// Answered when the batch's savepoint is released, before the group's fsync (see
    /// `performVisible`): later writes commit after it, so none becomes durable without it.
    /// Nor does it start a commit of its own: its transaction stays open for up to
    /// `lazyCommitWindow` for more such batches, and commits at once when a write that waits
    /// for durability joins it. A stream of them then costs one commit (and one fsync) per
    /// window, not one per batch.
    package func appendVisible(_ batch: JournalBatch) async throws(JournalError) {
        try await enqueue(Pending(batch: batch, resume: { _ in }, early: true, lazy: true))
    }

    /// Queued, not waited for (see `JournalStore.appendDetached`). It does not wake the writer
    /// unless the writer is idle: a writer holding a group of lazy batches open takes it when
    /// the window closes, so a stream of them costs one wake-up per window instead of one per
    /// batch (a wake-up, the futex and the context switches on both sides, was about a third
    /// of the writer's CPU per synchronous Express run).
    package func appendDetached(_ batch: JournalBatch) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        // Bounded: a writer this far behind makes its callers wait (back-pressure) again.
        guard !stopping, queue.count < maxDetachedQueue else { return false }
        queue.append(Pending(batch: batch, resume: { _ in }, early: true, lazy: true))
        if writerIdle { condition.signal() }
        return true
    }

    /// Beyond this many queued writes, `appendDetached` declines.
    var maxDetachedQueue: Int { maxBatch * 4 }

    /// How long a transaction of `appendVisible` batches alone waits for company before it commits.
    package static let lazyCommitWindow: TimeInterval = 0.005

    /// Writes a service's documents through the one writer, in one savepoint of a group commit.
    package func write(_ documents: [DocumentWrite]) async throws(JournalError) {
        guard !documents.isEmpty else { return }
        try await enqueue(Pending(batch: nil, documents: documents, resume: { _ in }))
    }

    /// Documents and queue messages in one savepoint: a schedule's occurrence is recorded as
    /// fired together with the deliveries it makes, or neither is.
    package func write(_ documents: [DocumentWrite], enqueueing messages: [QueuedMessage]) async throws(JournalError) {
        try await perform { (db) throws(JournalError) in
            for m in messages { try Self.insert(m, db) }
            try self.writeDocuments(documents, on: db)
        }
    }

    package func documents(owner: String) async throws(JournalError) -> [(key: String, body: [UInt8])] {
        try read { (db) throws(JournalError) -> [(key: String, body: [UInt8])] in
            let s = try db.statement("SELECT key, body FROM documents WHERE owner = ?1 ORDER BY key")
            s.bind(1, owner)
            var out: [(key: String, body: [UInt8])] = []
            while try s.step() { out.append((s.string(0) ?? "", s.blob(1) ?? [])) }
            return out
        }
    }

    package func document(owner: String, key: String) async throws(JournalError) -> [UInt8]? {
        try read { (db) throws(JournalError) -> [UInt8]? in
            let s = try db.statement("SELECT body FROM documents WHERE owner = ?1 AND key = ?2")
            s.bind(1, owner)
            s.bind(2, key)
            return try s.step() ? (s.blob(0) ?? []) : nil
        }
    }

    private func writeDocuments(_ writes: [DocumentWrite]) throws(JournalError) { try writeDocuments(writes, on: writer) }

    private func writeDocuments(_ writes: [DocumentWrite], on writer: SQLiteConnection) throws(JournalError) {
        for w in writes {
            if let body = w.body {
                let s = try writer.statement("INSERT INTO documents (owner, key, body) VALUES (?1, ?2, ?3) ON CONFLICT (owner, key) DO UPDATE SET body = ?3")
                s.bind(1, w.owner)
                s.bind(2, w.key)
                s.bind(3, blob: body)
                try s.run()
            } else {
                let s = try writer.statement("DELETE FROM documents WHERE owner = ?1 AND key = ?2")
                s.bind(1, w.owner)
                s.bind(2, w.key)
                try s.run()
            }
        }
    }

    /// Runs a store's own write on the writer connection, in a group commit, and waits for it.
    /// A service's store writes only through here, so the one writer orders every write.
    package func perform(_ work: @escaping @Sendable (SQLiteConnection) throws(JournalError) -> Void) async throws(JournalError) {
        try await enqueue(Pending(batch: nil, custom: work, resume: { _ in }))
    }

    /// Runs a store's write in the next group commit and returns as soon as it has run, before
    /// the commit is durable: for changes that may be lost in a crash without breaking a
    /// promise (an SQS receive hiding messages: lost, they are delivered again, as at-least-once
    /// delivery allows). Every later write of any caller is committed after it, so a change
    /// that builds on it (a delete of what it received) never becomes durable without it.
    package func performVisible(_ work: @escaping @Sendable (SQLiteConnection) throws(JournalError) -> Void) async throws(JournalError) {
        try await enqueue(Pending(batch: nil, custom: work, resume: { _ in }, early: true))
    }

    /// Queues work for the writer thread and waits for its commit.
    private func enqueue(_ work: Pending) async throws(JournalError) {
        let result: Result<Void, JournalError> = await withCheckedContinuation { continuation in
            condition.lock()
            if stopping {
                condition.unlock()
                continuation.resume(returning: .failure(JournalError(.closed, "the journal is closed")))
                return
            }
            var p = work
            p.resume = { continuation.resume(returning: $0) }
            queue.append(p)
            condition.signal()
            condition.unlock()
        }
        try result.get()
    }

    private func writerLoop() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping {
                writerIdle = true
                condition.wait()
                writerIdle = false
            }
            if queue.isEmpty && stopping {
                condition.unlock()
                checkpointer.stop()
                return
            }
            let work = takeQueued(at: maxBatch)
            // The writer connection is used by this thread alone, holding no lock.
            condition.unlock()
            var group = Group(began: ContinuousClock.now)
            guard begin(work) else { continue }
            run(&group, work)
            // A group of lazy batches only stays open for more, up to the window; any other
            // write (or a close) ends the wait and commits them all with it.
            if group.allLazy {
                let deadline = Date(timeIntervalSinceNow: Self.lazyCommitWindow)
                while group.allLazy && group.work.count < maxBatch {
                    condition.lock()
                    while queue.isEmpty && !stopping && condition.wait(until: deadline) {}
                    if queue.isEmpty || stopping {
                        condition.unlock()
                        break
                    }
                    let more = takeQueued(at: maxBatch - group.work.count)
                    condition.unlock()
                    run(&group, more)
                }
            }
            finish(group)
        }
    }

    /// Removes up to `most` of the queued writes (the condition lock held).
    private func takeQueued(at most: Int) -> [Pending] {
        // Usually all of it: the array changes hands, no element is copied or moved.
        if queue.count <= most {
            var work: [Pending] = []
            swap(&work, &queue)
            return work
        }
        let work = Array(queue.prefix(most))
        queue.removeFirst(most)
        return work
    }

    /// One group commit under way: its writes, their results, and those answered already.
    private struct Group {
        var began: ContinuousClock.Instant
        var work: [Pending] = []
        var results: [Result<Void, JournalError>] = []
        var answered: Set<Int> = []
        var allLazy = true
    }

    /// BEGIN IMMEDIATE; on failure every write of `work` is answered with the error.
    private func begin(_ work: [Pending]) -> Bool {
        writer.resetAll()
        do {
            try writer.run("BEGIN IMMEDIATE")
            return true
        } catch {
            try? writer.execute("ROLLBACK")
            writer.resetAll()
            for p in work { p.resume(.failure(error)) }
            return false
        }
    }

    /// Runs each write in a savepoint of the open transaction.
    private func run(_ group: inout Group, _ work: [Pending]) {
        for p in work {
            group.work.append(p)
            if !p.lazy { group.allLazy = false }
            // A write of one statement needs no savepoint: a statement that fails undoes
            // itself. A savepoint is not free: the first change of a page within it copies the
            // page aside (SQLite's sub-journal), and a group of synchronous Express rows changes
            // the same few pages (each index's last one) again for every row.
            let alone = p.batch.map { $0.writesTheRowAlone } ?? false && p.documents.isEmpty && p.custom == nil
            do {
                if !alone { try writer.run("SAVEPOINT step") }
                if let batch = p.batch { try write(batch) }
                try writeDocuments(p.documents)
                if let custom = p.custom { try custom(writer) }
                if !alone { try writer.run("RELEASE step") }
                chunks.stepSucceeded()
                group.results.append(.success(()))
                if p.early {
                    p.resume(.success(()))
                    group.answered.insert(group.results.count - 1)
                }
            } catch {
                if !alone {
                    try? writer.execute("ROLLBACK TO step")
                    try? writer.execute("RELEASE step")
                }
                chunks.stepRolledBack()
                group.results.append(.failure(error))
            }
        }
    }

    /// COMMIT, then answers every write not answered yet.
    private func finish(_ group: Group) {
        defer { writer.resetAll() }
        var results = group.results
        do {
            let committing = ContinuousClock.now
            try writer.run("COMMIT")
            chunks.transactionCommitted()
            // Before any write is answered: its caller's next read finds its row. Not the
            // synchronous Express rows (`lazy`): each is written once, new, and seldom read.
            var steps: [JournalBatch] = []
            for (p, r) in zip(group.work, results) {
                if let b = p.batch, !p.lazy, case .success = r { steps.append(b) }
            }
            committedRows.committed(steps)
            if MetricHandles.enabled { Self.recordCommit(steps: group.work.count, began: group.began, committing: committing) }
        } catch {
            try? writer.execute("ROLLBACK")
            chunks.transactionRolledBack()
            results = group.work.map { _ in .failure(error) }
        }
        for (i, (p, r)) in zip(group.work, results).enumerated() {
            // An early write that ran was answered already (even if the transaction then
            // failed: what it hid is simply visible again).
            if group.answered.contains(i) { continue }
            p.resume(r)
        }
    }

    /// A group commit's size and time, and its COMMIT's (the WAL write and, at FULL, the fsync).
    static func recordCommit(steps: Int, began: ContinuousClock.Instant, committing: ContinuousClock.Instant) {
        let now = ContinuousClock.now
        let handles = MetricHandles.shared
        handles.recorder("baton_journal_commit_steps").record(steps)
        handles.timer("baton_journal_commit_seconds").record(elapsed: now - began)
        handles.timer("baton_journal_fsync_seconds").record(elapsed: now - committing)
    }

    private func write(_ b: JournalBatch) throws(JournalError) {
        try writeExecution(b)
        let e = b.execution
        for o in b.outboxAdds {
            let s = try writer.statement("INSERT OR REPLACE INTO outbox (key, execution_arn, payload) VALUES (?1, ?2, ?3)")
            s.bind(1, o.key)
            s.bind(2, o.executionArn)
            s.bind(3, o.payload)
            try s.run()
        }
        for k in b.outboxRemovals {
            let s = try writer.statement("DELETE FROM outbox WHERE key = ?1")
            s.bind(1, k)
            try s.run()
        }
        for t in b.timerAdds {
            let s = try writer.statement("INSERT OR REPLACE INTO timers (execution_arn, timer_id, due_ms) VALUES (?1, ?2, ?3)")
            s.bind(1, t.executionArn)
            s.bind(2, t.timerId)
            s.bind(3, t.dueMillis)
            try s.run()
        }
        for id in b.timerRemovals {
            let s = try writer.statement("DELETE FROM timers WHERE execution_arn = ?1 AND timer_id = ?2")
            s.bind(1, e.arn)
            s.bind(2, id)
            try s.run()
        }
        for t in b.tokenAdds {
            let s = try writer.statement(
                "INSERT INTO task_tokens (token, execution_arn, task_id, activity_arn, input, correlation) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            s.bind(1, t.token)
            s.bind(2, t.executionArn)
            s.bind(3, t.taskId)
            s.bind(4, t.activityArn)
            s.bind(5, t.input)
            s.bind(6, t.correlation)
            try s.run()
            if let c = t.correlation {
                let k = try writer.statement("INSERT OR REPLACE INTO correlation_keys (correlation, execution_arn) VALUES (?1, ?2)")
                k.bind(1, c)
                k.bind(2, t.executionArn)
                try k.run()
            }
        }
        for a in b.attachments { try a.apply(in: .sqlite(writer)) }
        for t in b.tokenRemovals {
            let s = try writer.statement("DELETE FROM task_tokens WHERE token = ?1")
            s.bind(1, t)
            try s.run()
        }
        if b.clearsWaits {
            for sql in ["DELETE FROM timers WHERE execution_arn = ?1", "DELETE FROM task_tokens WHERE execution_arn = ?1",
                        "DELETE FROM outbox WHERE execution_arn = ?1"] {
                let s = try writer.statement(sql)
                s.bind(1, e.arn)
                try s.run()
            }
        }
    }

    // MARK: reads

    /// Runs a read on the read connection (under its lock).
    package func read<T>(_ body: (SQLiteConnection) throws(JournalError) -> T) throws(JournalError) -> T {
        try readers.with(body)
    }

    package func saveDefinition(stateMachineArn: String, definition: String) async throws(JournalError) -> Int64 {
        // Through the one writer, like every write: committed before the execution that
        // references it can be appended (the writer commits in order).
        let id = RowIdBox()
        try await perform { (db) throws(JournalError) in
            let s = try db.statement("INSERT INTO definitions (state_machine_arn, definition) VALUES (?1, ?2)")
            s.bind(1, stateMachineArn)
            s.bind(2, definition)
            try s.run()
            id.value = sqlite3_last_insert_rowid(db.handle)
        }
        return id.value
    }

    package func definition(id: Int64) async throws(JournalError) -> String? {
        try read { (db) throws(JournalError) -> String? in
            let s = try db.statement("SELECT definition FROM definitions WHERE id = ?1")
            s.bind(1, id)
            return try s.step() ? s.string(0) : nil
        }
    }


    package func history(arn: String) async throws(JournalError) -> [HistoryEvent] {
        try await history(arn: arn, after: 0, limit: Int.max)
    }

    package func history(arn: String, after: Int, limit: Int) async throws(JournalError) -> [HistoryEvent] {
        try read { (db) throws(JournalError) -> [HistoryEvent] in
            let s = try db.statement(
                "SELECT id, previous_id, ts_ms, type, details_key, details, refs FROM events WHERE execution_arn = ?1 AND id > ?2 ORDER BY id LIMIT ?3")
            s.bind(1, arn)
            s.bind(2, Int64(after))
            s.bind(3, Int64(min(limit, Int(Int64.max))))
            var out: [HistoryEvent] = []
            var payloads: [Int64: JSON] = [:]
            while try s.step() {
                var details = JSONObject()
                if let text = s.string(5) {
                    guard case .object(let o)? = try? JSONParser.parse(text) else {
                        throw JournalError(.corrupt, "event \(s.int64(0)) of \(arn) has unreadable details")
                    }
                    details = o
                }
                if let refs = s.string(6) {
                    try Self.restorePayloads(&details, refs: refs, execution: arn, db: db, cache: &payloads)
                }
                out.append(HistoryEvent(id: Int(s.int64(0)), previousEventId: Int(s.int64(1)),
                                        timestamp: Timestamp(milliseconds: s.int64(2)), type: s.string(3) ?? "",
                                        detailsKey: s.string(4), details: details))
            }
            return out
        }
    }

    package func timers(dueBefore: Int64?) async throws(JournalError) -> [TimerRecord] {
        try read { (db) throws(JournalError) -> [TimerRecord] in
            let s = try db.statement("SELECT execution_arn, timer_id, due_ms FROM timers WHERE due_ms <= ?1 ORDER BY due_ms")
            s.bind(1, dueBefore ?? Int64.max)
            return try s.all { s in TimerRecord(executionArn: s.string(0) ?? "", timerId: Int(s.int64(1)), dueMillis: s.int64(2)) }
        }
    }

    package func outbox() async throws(JournalError) -> [OutboxEntry] {
        try read { (db) throws(JournalError) -> [OutboxEntry] in
            let s = try db.statement("SELECT key, execution_arn, payload FROM outbox")
            return try s.all { s in OutboxEntry(key: s.string(0) ?? "", executionArn: s.string(1) ?? "", payload: s.string(2) ?? "") }
        }
    }

    static func tokenRecord(_ s: Statement) -> TaskTokenRecord {
        TaskTokenRecord(token: s.string(0) ?? "", executionArn: s.string(1) ?? "", taskId: Int(s.int64(2)),
                        activityArn: s.string(3), input: s.string(4), correlation: s.string(5))
    }

    package func token(_ token: String) async throws(JournalError) -> TaskTokenRecord? {
        try read { (db) throws(JournalError) -> TaskTokenRecord? in
            let s = try db.statement("SELECT token, execution_arn, task_id, activity_arn, input, correlation FROM task_tokens WHERE token = ?1")
            s.bind(1, token)
            return try s.step() ? Self.tokenRecord(s) : nil
        }
    }

    package func callbackTokens() async throws(JournalError) -> [TaskTokenRecord] {
        try read { (db) throws(JournalError) -> [TaskTokenRecord] in
            let s = try db.statement("SELECT token, execution_arn, task_id, activity_arn, input, correlation FROM task_tokens WHERE activity_arn IS NULL")
            return try s.all { s in Self.tokenRecord(s) }
        }
    }

    package func schemaVersion() throws(JournalError) -> Int {
        try read { (db) throws(JournalError) -> Int in
            let s = try db.statement("SELECT MAX(version) FROM schema_version")
            _ = try s.step()
            return Int(s.int64(0))
        }
    }

    package func tokens(activityArn: String) async throws(JournalError) -> [TaskTokenRecord] {
        try read { (db) throws(JournalError) -> [TaskTokenRecord] in
            let s = try db.statement("SELECT token, execution_arn, task_id, activity_arn, input, correlation FROM task_tokens WHERE activity_arn = ?1")
            s.bind(1, activityArn)
            return try s.all { s in Self.tokenRecord(s) }
        }
    }
}
