import CSQLite

/// A journal failure: a code (SQLite's, or ours), a message, and the statement that failed.
package struct JournalError: Error, Sendable, CustomStringConvertible {
    package enum Code: Sendable, Equatable {
        case sqlite(Int32)
        /// PostgreSQL's SQLSTATE (the PostgreSQL backend's failures).
        case postgres(String)
        case versionConflict
        case alreadyExists
        case notFound
        case corrupt
        case closed
        /// A node's step for a partition whose lease it no longer holds (many nodes on one database).
        case fenced
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "journal error \(code): \(message)" }
}

/// A thin wrapper over one SQLite connection. Not thread-safe: each connection is used by
/// one thread at a time (the journal's writer thread, or a reader under the journal's lock).
package final class SQLiteConnection {
    package let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    /// Turns SQLite's memory statistics off before the first connection initialises the
    /// library (see `baton_sqlite_disable_memstatus`).
    private static let configured: Void = { _ = baton_sqlite_disable_memstatus() }()

    init(path: String, readOnly: Bool = false) throws(JournalError) {
        Self.configured
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open \(path)"
            if let db { sqlite3_close_v2(db) }
            throw JournalError(.sqlite(rc), message)
        }
        handle = db
        sqlite3_busy_timeout(db, 5000)
    }

    deinit {
        for (_, s) in statements { sqlite3_finalize(s) }
        sqlite3_close_v2(handle)
    }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }

    /// The rowid of the last row this connection inserted.
    package var lastInsertRowId: Int64 { sqlite3_last_insert_rowid(handle) }
    /// Rows changed by the last INSERT, UPDATE or DELETE.
    package var changes: Int { Int(sqlite3_changes(handle)) }

    /// Resets every cached statement, ending the implicit read or write transaction a
    /// half-consumed statement would otherwise keep open (and with it a stale WAL snapshot).
    package func resetAll() {
        for (_, s) in statements { sqlite3_reset(s) }
    }

    package func execute(_ sql: String) throws(JournalError) {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? lastError
            sqlite3_free(error)
            throw JournalError(.sqlite(rc), "\(message) in: \(sql.prefix(200))")
        }
    }

    /// Runs a statement that binds nothing and returns no rows (SAVEPOINT, RELEASE, BEGIN,
    /// COMMIT), prepared once: `execute` parses its text again on every call, and a group
    /// commit runs two such statements for each of its steps.
    package func run(_ sql: String) throws(JournalError) {
        try statement(sql).run()
    }

    /// A cached prepared statement, reset and with bindings cleared.
    package func statement(_ sql: String) throws(JournalError) -> Statement {
        if let s = statements[sql] {
            sqlite3_reset(s)
            sqlite3_clear_bindings(s)
            return Statement(handle: s, connection: self)
        }
        var s: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &s, nil)
        guard rc == SQLITE_OK, let s else { throw JournalError(.sqlite(rc), "\(lastError) in: \(sql.prefix(200))") }
        statements[sql] = s
        return Statement(handle: s, connection: self)
    }

    /// Runs `body` in one transaction; rolls back when it throws.
    package func transaction<T>(_ body: () throws(JournalError) -> T) throws(JournalError) -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    func pragma(_ name: String) throws(JournalError) -> String? {
        let s = try statement("PRAGMA \(name)")
        guard try s.step() else { return nil }
        return s.string(0)
    }
}

/// A prepared statement: bind by 1-based index, step, read columns by 0-based index.
package struct Statement {
    let handle: OpaquePointer
    let connection: SQLiteConnection

    package func bind(_ index: Int32, _ value: String?) {
        if let value {
            sqlite3_bind_text(handle, index, value, -1, baton_sqlite_transient())
        } else {
            sqlite3_bind_null(handle, index)
        }
    }

    /// UTF-8 bytes bound as text without a copy: they must stay alive and unchanged until the
    /// statement has run (SQLITE_STATIC).
    package func bind(_ index: Int32, text: UnsafeBufferPointer<UInt8>) {
        guard let base = text.baseAddress else {
            sqlite3_bind_text(handle, index, "", 0, nil)
            return
        }
        base.withMemoryRebound(to: CChar.self, capacity: text.count) { p in
            _ = sqlite3_bind_text(handle, index, p, Int32(text.count), nil)
        }
    }

    package func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    package func bind(_ index: Int32, _ value: Int) { sqlite3_bind_int64(handle, index, Int64(value)) }

    package func bind(_ index: Int32, blob: [UInt8]?) {
        guard let blob else {
            sqlite3_bind_null(handle, index)
            return
        }
        blob.withUnsafeBytes { raw in
            _ = sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), baton_sqlite_transient())
        }
    }

    /// Steps once; true when a row is available.
    @discardableResult
    package func step() throws(JournalError) -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw JournalError(.sqlite(rc), connection.lastError)
    }

    /// Ends a read early, so the statement can be bound and stepped again.
    package func reset() { sqlite3_reset(handle) }

    package func run() throws(JournalError) {
        defer { sqlite3_reset(handle) }
        while try step() {}
    }

    /// Every row, mapped.
    package func all<T>(_ row: (Statement) -> T) throws(JournalError) -> [T] {
        var out: [T] = []
        while try step() { out.append(row(self)) }
        return out
    }

    package func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    package func string(_ column: Int32) -> String? {
        guard let p = sqlite3_column_text(handle, column) else { return nil }
        return String(cString: p)
    }

    package func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    package func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : sqlite3_column_int64(handle, column) }

    package func blob(_ column: Int32) -> [UInt8]? {
        guard !isNull(column) else { return nil }
        let n = Int(sqlite3_column_bytes(handle, column))
        guard n > 0, let p = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}
