import CSQLite

/// A value a service's statement binds or reads, on either backend (nil: NULL).
package typealias SQLValue = SQLStatements.Value

extension SQLStatements.Value {
    package var int64: Int64? { if case .integer(let v) = self { return v }; return nil }
    package var bytes: [UInt8]? { if case .bytes(let v) = self { return v }; return nil }
    package var string: String? { if case .text(let v) = self { return v }; return nil }
}

/// A service's SQL inside one transaction, synchronously, whichever the backend: SQLite's
/// writer (or reader) connection, or a PostgreSQL connection held by a thread of its own.
/// Statements use `?1`, `?2`… placeholders and the SQL both dialects share (row values,
/// `COALESCE`, `CAST(… AS BIGINT)`); what differs (an upsert) asks `isPostgres`.
package protocol SQLExecutor {
    var isPostgres: Bool { get }
    /// Runs a statement and returns its rows, each column as its declared type gives it.
    func rows(_ sql: String, _ values: [SQLValue]) throws(JournalError) -> [[SQLValue]]
    /// Runs a statement; returns how many rows it changed.
    @discardableResult
    func run(_ sql: String, _ values: [SQLValue]) throws(JournalError) -> Int
}

extension SQLiteConnection: SQLExecutor {
    package var isPostgres: Bool { false }

    func prepared(_ sql: String, _ values: [SQLValue]) throws(JournalError) -> Statement {
        let s = try statement(sql)
        for (i, v) in values.enumerated() {
            let index = Int32(i + 1)
            switch v {
            case .text(let t): s.bind(index, t)
            case .integer(let n): s.bind(index, n)
            case .bytes(let b): s.bind(index, blob: b)
            }
        }
        return s
    }

    package func rows(_ sql: String, _ values: [SQLValue]) throws(JournalError) -> [[SQLValue]] {
        let s = try prepared(sql, values)
        defer { s.reset() }
        var out: [[SQLValue]] = []
        let columns = sqlite3_column_count(s.handle)
        while try s.step() {
            var row: [SQLValue] = []
            row.reserveCapacity(Int(columns))
            for c in 0..<columns {
                switch sqlite3_column_type(s.handle, c) {
                case SQLITE_INTEGER: row.append(.integer(s.int64(c)))
                case SQLITE_BLOB: row.append(.bytes(s.blob(c)))
                case SQLITE_TEXT: row.append(.text(s.string(c)))
                case SQLITE_FLOAT: row.append(.integer(Int64(sqlite3_column_double(s.handle, c))))
                default: row.append(.text(nil))
                }
            }
            out.append(row)
        }
        return out
    }

    @discardableResult
    package func run(_ sql: String, _ values: [SQLValue]) throws(JournalError) -> Int {
        try prepared(sql, values).run()
        return Int(sqlite3_changes(handle))
    }
}
