import CSQLite
import Foundation
import StatesInterpreter
import StatesLanguage

/// The execution rows. An execution's input and output are journaled once: the row refers to
/// the chunk that already holds the value for `ExecutionStarted`'s input (or
/// `ExecutionSucceeded`'s output) when that chunk spells the same text, byte for byte, and
/// keeps the text itself otherwise (a small value, or an input sent with spaces, which
/// DescribeExecution answers as sent). A 200 KiB input through a Pass chain is then written
/// once instead of three times (chunk, input column, output column).
extension SQLiteJournal {
    static let executionColumns = """
        arn, state_machine_arn, definition_id, name, status, input, output, error, cause, start_ms, stop_ms, last_event_id, snapshot,
        qualified_arn, redrive_count, redrive_ms, input_ref, output_ref, trace_header
        """

    /// A row read with `executionColumns`; referenced input and output are put back from their chunks.
    static func executionRecord(_ s: Statement) throws(JournalError) -> ExecutionRecord {
        let arn = s.string(0) ?? ""
        var record = ExecutionRecord(
            arn: arn, stateMachineArn: s.string(1) ?? "", definitionId: s.int64(2), name: s.string(3) ?? "",
            status: ExecutionStatus(rawValue: s.string(4) ?? "") ?? .failed, input: s.string(5) ?? "{}",
            output: s.string(6), error: s.string(7), cause: s.string(8), startMillis: s.int64(9),
            stopMillis: s.optionalInt64(10), lastEventId: Int(s.int64(11)), snapshot: s.blob(12),
            qualifiedArn: s.string(13), redriveCount: Int(s.int64(14)), redriveMillis: s.optionalInt64(15))
        record.traceHeader = s.string(18)
        let inputRef = s.optionalInt64(16)
        let outputRef = s.optionalInt64(17)
        if let inputRef { record.input = try chunkText(inputRef, execution: arn, db: s.connection) }
        if let outputRef { record.output = try chunkText(outputRef, execution: arn, db: s.connection) }
        return record
    }

    package func execution(arn: String) async throws(JournalError) -> ExecutionRecord? {
        if let row = committedRows.lookup(arn) { return row }
        return try read { (db) throws(JournalError) -> ExecutionRecord? in
            let s = try db.statement("SELECT \(Self.executionColumns) FROM executions WHERE arn = ?1")
            s.bind(1, arn)
            defer { sqlite3_reset(s.handle) }
            return try s.step() ? try Self.executionRecord(s) : nil
        }
    }

    package func executions(status: ExecutionStatus?) async throws(JournalError) -> [ExecutionRecord] {
        try read { (db) throws(JournalError) -> [ExecutionRecord] in
            let s = try db.statement(status == nil
                ? "SELECT \(Self.executionColumns) FROM executions ORDER BY start_ms"
                : "SELECT \(Self.executionColumns) FROM executions WHERE status = ?1 ORDER BY start_ms")
            if let status { s.bind(1, status.rawValue) }
            var out: [ExecutionRecord] = []
            while try s.step() { out.append(try Self.executionRecord(s)) }
            return out
        }
    }

    package func runningExecutions(startedBy: Int64, limit: Int) async throws(JournalError) -> [String] {
        try read { (db) throws(JournalError) -> [String] in
            let s = try db.statement("SELECT arn FROM executions WHERE status = 'RUNNING' AND start_ms <= ?1 ORDER BY start_ms LIMIT ?2")
            s.bind(1, startedBy)
            s.bind(2, limit)
            var out: [String] = []
            while try s.step() { out.append(s.string(0) ?? "") }
            return out
        }
    }

    package func deleteFinishedExecutions(stoppedBefore: Int64, limit: Int) async throws(JournalError) -> Int {
        let deleted = RowIdBox()
        try await perform { (db) throws(JournalError) in
            // executions_by_stop holds finished rows only: the oldest first, one page.
            let pick = try db.statement("SELECT arn FROM executions WHERE stop_ms IS NOT NULL AND stop_ms < ?1 AND status != 'RUNNING' ORDER BY stop_ms LIMIT ?2")
            pick.bind(1, stoppedBefore)
            pick.bind(2, limit)
            var arns: [String] = []
            while try pick.step() { arns.append(pick.string(0) ?? "") }
            pick.reset()
            // Forgotten before the delete commits: until then the kept row is still the row.
            self.committedRows.forget(arns)
            for arn in arns {
                for table in ["events", "payloads", "outbox", "timers", "task_tokens"] {
                    let s = try db.statement("DELETE FROM \(table) WHERE execution_arn = ?1")
                    s.bind(1, arn)
                    try s.run()
                }
                let s = try db.statement("DELETE FROM executions WHERE arn = ?1 AND status != 'RUNNING'")
                s.bind(1, arn)
                try s.run()
            }
            deleted.value = Int64(arns.count)
        }
        return Int(deleted.value)
    }

    package func listExecutions(_ q: ExecutionQuery) async throws(JournalError) -> [ExecutionSummary] {
        try read { (db) throws(JournalError) -> [ExecutionSummary] in
            // Served by executions_by_machine_status / executions_by_machine (both end in
            // start_ms, arn), or across machines by executions_by_status_start /
            // executions_by_start: a page reads the page's rows, newest first. A name prefix
            // is compared row by row (`substr`, so LIKE's wildcards mean nothing in it).
            var sql = "SELECT arn, state_machine_arn, name, status, start_ms, stop_ms, redrive_count FROM executions WHERE 1"
            if q.stateMachineArn != nil { sql += " AND state_machine_arn = ?1" }
            if q.status != nil { sql += " AND status = ?2" }
            if q.after != nil { sql += " AND (start_ms < ?3 OR (start_ms = ?3 AND arn < ?4))" }
            if q.qualifiedArn != nil { sql += " AND instr('|' || qualified_arn || '|', '|' || ?5 || '|') > 0" }
            if q.namePrefix != nil { sql += " AND substr(name, 1, length(?7)) = ?7" }
            if q.startedFrom != nil { sql += " AND start_ms >= ?8" }
            if q.startedUntil != nil { sql += " AND start_ms < ?9" }
            sql += " ORDER BY start_ms DESC, arn DESC LIMIT ?6"
            let s = try db.statement(sql)
            if let machine = q.stateMachineArn { s.bind(1, machine) }
            if let status = q.status { s.bind(2, status.rawValue) }
            if let after = q.after {
                s.bind(3, after.startMillis)
                s.bind(4, after.arn)
            }
            if let qualified = q.qualifiedArn { s.bind(5, qualified) }
            s.bind(6, q.limit)
            if let prefix = q.namePrefix { s.bind(7, prefix) }
            if let from = q.startedFrom { s.bind(8, from) }
            if let until = q.startedUntil { s.bind(9, until) }
            var out: [ExecutionSummary] = []
            while try s.step() {
                out.append(ExecutionSummary(arn: s.string(0) ?? "", stateMachineArn: s.string(1) ?? "", name: s.string(2) ?? "",
                                            status: ExecutionStatus(rawValue: s.string(3) ?? "") ?? .running, startMillis: s.int64(4),
                                            stopMillis: s.optionalInt64(5), redriveCount: Int(s.int64(6))))
            }
            return out
        }
    }

    /// Writes a step's execution row and events (writer thread, inside the step's savepoint).
    func writeExecution(_ b: JournalBatch) throws(JournalError) {
        let e = b.execution
        if let expected = b.expectedVersion {
            let s = try writer.statement("SELECT last_event_id FROM executions WHERE arn = ?1")
            s.bind(1, e.arn)
            defer { sqlite3_reset(s.handle) }
            guard try s.step() else { throw JournalError(.notFound, "no execution \(e.arn)") }
            let current = Int(s.int64(0))
            guard current == expected else {
                throw JournalError(.versionConflict, "execution \(e.arn) is at event \(current), not \(expected)")
            }
        } else {
            let exists = try writer.statement("SELECT 1 FROM executions WHERE arn = ?1")
            exists.bind(1, e.arn)
            defer { sqlite3_reset(exists.handle) }
            if try exists.step() { throw JournalError(.alreadyExists, "execution \(e.arn) already exists") }
        }
        // The events first: their chunks are what the row can refer to.
        var inputRef: Int64?
        var outputRef: Int64?
        var outputValue: JSON?
        for ev in b.events {
            var details: String?
            var refs = JSONObject()
            if ev.detailsKey != nil { (details, refs) = try internPayloads(ev.details, execution: e.arn) }
            if ev.type == "ExecutionStarted" { inputRef = Self.valueChunk(refs["input"]) }
            if ev.type == "ExecutionSucceeded" {
                outputRef = Self.valueChunk(refs["output"])
                outputValue = ev.details["output"]
            }
            let s = try writer.statement(
                "INSERT INTO events (execution_arn, id, previous_id, ts_ms, type, details_key, details, refs) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
            s.bind(1, e.arn)
            s.bind(2, ev.id)
            s.bind(3, ev.previousEventId)
            s.bind(4, ev.timestamp.milliseconds)
            s.bind(5, ev.type)
            s.bind(6, ev.detailsKey)
            s.bind(7, details)
            s.bind(8, refs.isEmpty ? nil : JSON.object(refs).serialized)
            try s.run()
        }
        // A reference only where the chunk spells exactly the row's text.
        if let id = inputRef, try !chunk(id, execution: e.arn, spells: e.input) { inputRef = nil }
        if let id = outputRef, !(e.outputValue.map { Self.sameStorage($0, outputValue) } ?? false),
           try !chunk(id, execution: e.arn, spells: e.output) {
            outputRef = nil
        }
        if b.expectedVersion != nil {
            let u = try writer.statement("""
                UPDATE executions SET status = ?2, output = ?3, error = ?4, cause = ?5, stop_ms = ?6,
                    last_event_id = ?7, snapshot = ?8, redrive_count = ?9, redrive_ms = ?10, output_ref = ?11 WHERE arn = ?1
                """)
            u.bind(1, e.arn)
            u.bind(2, e.status.rawValue)
            u.bind(3, outputRef == nil ? e.output : nil)
            u.bind(4, e.error)
            u.bind(5, e.cause)
            u.bind(6, e.stopMillis)
            u.bind(7, e.lastEventId)
            u.bind(8, blob: e.snapshot)
            u.bind(9, e.redriveCount)
            u.bind(10, e.redriveMillis)
            u.bind(11, outputRef)
            try u.run()
        } else {
            let i = try writer.statement("""
                INSERT INTO executions (arn, state_machine_arn, definition_id, name, status, input, output, error, cause,
                    start_ms, stop_ms, last_event_id, snapshot, qualified_arn, input_ref, output_ref, trace_header)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
                """)
            i.bind(1, e.arn)
            i.bind(2, e.stateMachineArn)
            i.bind(3, e.definitionId)
            i.bind(4, e.name)
            i.bind(5, e.status.rawValue)
            i.bind(6, inputRef == nil ? e.input : "")
            i.bind(7, outputRef == nil ? e.output : nil)
            i.bind(8, e.error)
            i.bind(9, e.cause)
            i.bind(10, e.startMillis)
            i.bind(11, e.stopMillis)
            i.bind(12, e.lastEventId)
            i.bind(13, blob: e.snapshot)
            i.bind(14, e.qualifiedArn)
            i.bind(15, inputRef)
            i.bind(16, outputRef)
            i.bind(17, e.traceHeader)
            try i.run()
        }
    }

    /// Whether the row's output value is the event's very value (the same storage): then the
    /// chunk written for the event spells the row's text by construction, with nothing to compare.
    static func sameStorage(_ a: JSON, _ b: JSON?) -> Bool {
        guard let b, let x = a.storageIdentity, let y = b.storageIdentity else { return false }
        return x == y
    }

    /// The chunk id of a reference to a JSON value (`j<id>`); strings (`s<id>`) are not values' texts.
    static func valueChunk(_ ref: JSON?) -> Int64? {
        guard let r = ref?.stringValue, r.first == "j" else { return nil }
        return Int64(r.dropFirst())
    }

    /// Whether the chunk's text, its parts put back, is exactly `text`.
    func chunk(_ id: Int64, execution arn: String, spells text: String?) throws(JournalError) -> Bool {
        guard var text else { return false }
        let spelled = try Self.chunkText(bytes: id, execution: arn, db: writer)
        return text.withUTF8 { mine in
            guard mine.count == spelled.count else { return false }
            return spelled.withUnsafeBufferPointer { theirs in
                guard let a = mine.baseAddress, let b = theirs.baseAddress else { return true }
                return memcmp(a, b, mine.count) == 0
            }
        }
    }

    static func chunkText(_ id: Int64, execution arn: String, db: SQLiteConnection) throws(JournalError) -> String {
        String(decoding: try chunkText(bytes: id, execution: arn, db: db), as: UTF8.self)
    }

    /// A chunk's JSON text with its parts spliced in: leaves are copied as stored, and only the
    /// (small) chunks that hold parts are parsed, to find where the parts go.
    static func chunkText(bytes id: Int64, execution arn: String, db: SQLiteConnection) throws(JournalError) -> [UInt8] {
        var out: [UInt8] = []
        try appendChunkText(id, execution: arn, db: db, to: &out, depth: 0)
        return out
    }

    private static func appendChunkText(_ id: Int64, execution arn: String, db: SQLiteConnection, to out: inout [UInt8],
                                        depth: Int) throws(JournalError) {
        guard depth < 64 else { throw JournalError(.corrupt, "payload \(id) of \(arn) refers to itself") }
        let s = try db.statement("SELECT body, parts FROM payloads WHERE execution_arn = ?1 AND id = ?2")
        s.bind(1, arn)
        s.bind(2, id)
        guard try s.step() else {
            sqlite3_reset(s.handle)
            throw JournalError(.corrupt, "payload \(id) of \(arn) is missing")
        }
        guard let partsText = s.string(1) else {
            let n = Int(sqlite3_column_bytes(s.handle, 0))
            if n > 0, let p = sqlite3_column_text(s.handle, 0) {
                out.append(contentsOf: UnsafeBufferPointer<UInt8>(start: p, count: n))
            }
            sqlite3_reset(s.handle)
            return
        }
        let body = s.string(0) ?? ""
        sqlite3_reset(s.handle)
        guard let envelope = try? JSONParser.parse(body), case .array(let list)? = try? JSONParser.parse(partsText) else {
            throw JournalError(.corrupt, "payload \(id) of \(arn) is not JSON")
        }
        var parts: [String: Int64] = [:]
        var prefixes: Set<String> = []
        for part in list {
            guard let pair = part.arrayValue, pair.count == 2, let path = pair[0].stringValue, let child = pair[1].integerValue else {
                throw JournalError(.corrupt, "payload \(id) of \(arn) has a bad part")
            }
            parts[path] = Int64(child)
            var prefix = path
            while let slash = prefix.lastIndex(of: "/") {
                prefix = String(prefix[..<slash])
                prefixes.insert(prefix)
            }
        }
        func write(_ v: JSON, _ path: String, _ out: inout [UInt8]) throws(JournalError) {
            if let child = parts[path] {
                try appendChunkText(child, execution: arn, db: db, to: &out, depth: depth + 1)
            } else if prefixes.contains(path) {
                try writeContainer(v, path: path, into: &out, write)
            } else {
                v.write(to: &out)
            }
        }
        try write(envelope, "", &out)
    }
}
