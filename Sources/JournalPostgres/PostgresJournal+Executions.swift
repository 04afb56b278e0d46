import Journal
import Logging
import NIOCore
import PostgresNIO
import StatesInterpreter
import StatesLanguage

/// Steps, executions and their histories.
extension PostgresJournal {
    package func append(_ batch: JournalBatch) async throws(JournalError) {
        // The step travels as data: one statement for the whole group; services' statements after it.
        try await commit(EncodedStep(batch, fence: fence), attachments: batch.attachments)
    }

    /// An attachment's statement with its values bound.
    package static func query(_ sql: String, _ values: [SQLStatements.Value]) -> PostgresQuery {
        var binds = PostgresBindings(capacity: values.count)
        for v in values {
            switch v {
            case .text(let t): binds.append(t)
            case .integer(let i): binds.append(i)
            case .bytes(let b): binds.append(buffer(b))
            }
        }
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    static let executionColumns = """
        arn, state_machine_arn, definition_id, name, status, input, output, error, cause, start_ms, stop_ms, last_event_id, snapshot,
        qualified_arn, redrive_count, redrive_ms, trace_header
        """

    static func executionRecord(_ row: PostgresRow) throws -> ExecutionRecord {
        let (arn, machine, definition, name, status, input, output, error, cause, start, stop, last, snapshot) =
            try row.decode((String, String, Int64, String, String, String, String?, String?, String?, Int64, Int64?, Int64, ByteBuffer?).self)
        let r = PostgresRandomAccessRow(row)
        var record = ExecutionRecord(arn: arn, stateMachineArn: machine, definitionId: definition, name: name,
                                     status: ExecutionStatus(rawValue: status) ?? .failed, input: input, output: output, error: error,
                                     cause: cause, startMillis: start, stopMillis: stop, lastEventId: Int(last), snapshot: bytes(snapshot),
                                     qualifiedArn: try r[13].decode(String?.self), redriveCount: Int(try r[14].decode(Int64.self)),
                                     redriveMillis: try r[15].decode(Int64?.self))
        record.traceHeader = try r[16].decode(String?.self)
        return record
    }

    package func execution(arn: String) async throws(JournalError) -> ExecutionRecord? {
        try await all("SELECT \(unescaped: Self.executionColumns) FROM executions WHERE arn = \(arn)", "execution \(arn)", Self.executionRecord).first
    }

    package func executions(status: ExecutionStatus?) async throws(JournalError) -> [ExecutionRecord] {
        if let status {
            return try await all("SELECT \(unescaped: Self.executionColumns) FROM executions WHERE status = \(status.rawValue) ORDER BY start_ms, arn",
                                 "executions", Self.executionRecord)
        }
        return try await all("SELECT \(unescaped: Self.executionColumns) FROM executions ORDER BY start_ms, arn", "executions", Self.executionRecord)
    }

    package func runningExecutions(startedBy: Int64, limit: Int) async throws(JournalError) -> [String] {
        try await all("SELECT arn FROM executions WHERE status = 'RUNNING' AND start_ms <= \(startedBy) ORDER BY start_ms, arn LIMIT \(Int64(limit))",
                      "running executions") { try $0.decode(String.self) }
    }

    package func history(arn: String) async throws(JournalError) -> [HistoryEvent] {
        try await history(arn: arn, after: 0, limit: Int.max)
    }

    package func history(arn: String, after: Int, limit: Int) async throws(JournalError) -> [HistoryEvent] {
        let rows = try await all("""
            SELECT id, previous_id, ts_ms, type, details_key, details FROM events WHERE execution_arn = \(arn) AND id > \(Int64(after))
            ORDER BY id LIMIT \(Int64(min(limit, Int(Int64.max))))
            """, "the history of \(arn)") { try $0.decode((Int64, Int64, Int64, String, String?, String?).self) }
        var out: [HistoryEvent] = []
        out.reserveCapacity(rows.count)
        for (id, previous, ts, type, key, text) in rows {
            var details = JSONObject()
            if let text {
                guard case .object(let o)? = try? JSONParser.parse(text) else {
                    throw JournalError(.corrupt, "event \(id) of \(arn) has unreadable details")
                }
                details = o
            }
            out.append(HistoryEvent(id: Int(id), previousEventId: Int(previous), timestamp: Timestamp(milliseconds: ts), type: type,
                                    detailsKey: key, details: details))
        }
        return out
    }

    package func deleteFinishedExecutions(stoppedBefore: Int64, limit: Int) async throws(JournalError) -> Int {
        let logger = self.logger
        return try await transaction("the retention sweep") { c in
            let arns = try await Self.rows(c, """
                SELECT arn FROM executions WHERE stop_ms IS NOT NULL AND stop_ms < \(stoppedBefore) AND status != 'RUNNING'
                ORDER BY stop_ms, arn LIMIT \(Int64(limit)) FOR UPDATE SKIP LOCKED
                """, logger: logger) { try $0.decode(String.self) }
            guard !arns.isEmpty else { return 0 }
            for table in ["events", "outbox", "timers", "task_tokens"] {
                try await c.query("DELETE FROM \(unescaped: table) WHERE execution_arn = ANY(\(arns))", logger: logger)
            }
            try await c.query("DELETE FROM executions WHERE arn = ANY(\(arns)) AND status != 'RUNNING'", logger: logger)
            return arns.count
        }
    }

    package func listExecutions(_ q: ExecutionQuery) async throws(JournalError) -> [ExecutionSummary] {
        // The same indexes as SQLite's serve each filter; a name prefix is compared with
        // left(), so LIKE's wildcards mean nothing in it.
        var sql = "SELECT arn, state_machine_arn, name, status, start_ms, stop_ms, redrive_count FROM executions WHERE TRUE"
        var binds = PostgresBindings()
        func bind(_ v: some PostgresDynamicTypeEncodable) -> String {
            binds.append(v)
            return "$\(binds.count)"
        }
        if let m = q.stateMachineArn { sql += " AND state_machine_arn = \(bind(m))" }
        if let s = q.status { sql += " AND status = \(bind(s.rawValue))" }
        if let a = q.after {
            let start = bind(a.startMillis)
            sql += " AND (start_ms < \(start) OR (start_ms = \(start) AND arn < \(bind(a.arn))))"
        }
        if let qa = q.qualifiedArn { sql += " AND strpos('|' || qualified_arn || '|', '|' || \(bind(qa)) || '|') > 0" }
        if let p = q.namePrefix { sql += " AND left(name, char_length(\(bind(p)))) = $\(binds.count)" }
        if let f = q.startedFrom { sql += " AND start_ms >= \(bind(f))" }
        if let u = q.startedUntil { sql += " AND start_ms < \(bind(u))" }
        sql += " ORDER BY start_ms DESC, arn DESC LIMIT \(bind(Int64(q.limit)))"
        return try await all(PostgresQuery(unsafeSQL: sql, binds: binds), "executions") { row in
            let (arn, machine, name, status, start, stop, redrives) = try row.decode((String, String, String, String, Int64, Int64?, Int64).self)
            return ExecutionSummary(arn: arn, stateMachineArn: machine, name: name, status: ExecutionStatus(rawValue: status) ?? .running,
                                    startMillis: start, stopMillis: stop, redriveCount: Int(redrives))
        }
    }

    // MARK: waits

    package func timers(dueBefore: Int64?) async throws(JournalError) -> [TimerRecord] {
        try await all("""
            SELECT execution_arn, timer_id, due_ms FROM timers WHERE due_ms <= \(dueBefore ?? Int64.max) ORDER BY due_ms, execution_arn, timer_id
            """, "timers") { row in
            let (arn, id, due) = try row.decode((String, Int64, Int64).self)
            return TimerRecord(executionArn: arn, timerId: Int(id), dueMillis: due)
        }
    }

    package func outbox() async throws(JournalError) -> [OutboxEntry] {
        try await all("SELECT key, execution_arn, payload FROM outbox ORDER BY key", "the outbox") { row in
            let (key, arn, payload) = try row.decode((String, String, String).self)
            return OutboxEntry(key: key, executionArn: arn, payload: payload)
        }
    }

    static let tokenColumns = "token, execution_arn, task_id, activity_arn, input, correlation"

    static func tokenRecord(_ row: PostgresRow) throws -> TaskTokenRecord {
        let (token, arn, task, activity, input, correlation) = try row.decode((String, String, Int64, String?, String?, String?).self)
        return TaskTokenRecord(token: token, executionArn: arn, taskId: Int(task), activityArn: activity, input: input, correlation: correlation)
    }

    package func token(_ token: String) async throws(JournalError) -> TaskTokenRecord? {
        try await all("SELECT \(unescaped: Self.tokenColumns) FROM task_tokens WHERE token = \(token)", "a task token", Self.tokenRecord).first
    }

    package func tokens(activityArn: String) async throws(JournalError) -> [TaskTokenRecord] {
        try await all("SELECT \(unescaped: Self.tokenColumns) FROM task_tokens WHERE activity_arn = \(activityArn) ORDER BY token",
                      "an activity's tasks", Self.tokenRecord)
    }

    package func callbackTokens() async throws(JournalError) -> [TaskTokenRecord] {
        try await all("SELECT \(unescaped: Self.tokenColumns) FROM task_tokens WHERE activity_arn IS NULL ORDER BY token", "callback tokens",
                      Self.tokenRecord)
    }

    package func tokens(correlation: String) async throws(JournalError) -> [TaskTokenRecord] {
        try await all("SELECT \(unescaped: Self.tokenColumns) FROM task_tokens WHERE correlation = \(correlation) ORDER BY execution_arn, task_id",
                      "tokens by correlation", Self.tokenRecord)
    }

    package func correlationOwner(_ correlation: String) async throws(JournalError) -> String? {
        try await all("SELECT execution_arn FROM correlation_keys WHERE correlation = \(correlation)", "a correlation key") {
            try $0.decode(String.self)
        }.first
    }
}
