import CSQLite
import Journal
import ServiceKit
import StatesLanguage

/// Items, index entries and stream records in the journal's database. Every change runs on
/// the one writer inside a group commit, its stream record in the same transaction: no change
/// without its record, no record without its change. Reads go to the reader connection.
final class ItemStore: Sendable {
    let db: SQLiteJournal

    init(_ db: SQLiteJournal) async throws(JournalError) {
        self.db = db
        try await db.migrate(component: "dynamodb", Self.steps)
    }

    /// Append, never edit: step i is version i + 1.
    static let steps = [
        """
        CREATE TABLE ddb_items (
            table_id INTEGER NOT NULL,
            pk BLOB NOT NULL,
            sk BLOB NOT NULL,
            item BLOB NOT NULL,
            size INTEGER NOT NULL,
            expires INTEGER,
            PRIMARY KEY (table_id, pk, sk)
        );
        CREATE INDEX ddb_items_expiry ON ddb_items (expires) WHERE expires IS NOT NULL;
        CREATE TABLE ddb_index_entries (
            table_id INTEGER NOT NULL,
            index_name TEXT NOT NULL,
            ipk BLOB NOT NULL,
            isk BLOB NOT NULL,
            pk BLOB NOT NULL,
            sk BLOB NOT NULL,
            PRIMARY KEY (table_id, index_name, ipk, isk, pk, sk)
        ) WITHOUT ROWID;
        CREATE TABLE ddb_stream_records (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            stream_arn TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            record BLOB NOT NULL
        );
        CREATE INDEX ddb_stream_records_by_stream ON ddb_stream_records (stream_arn, seq);
        """,
    ]

    /// Runs `body` on the writer, in one savepoint of a group commit; a ServiceError rolls it
    /// back and is thrown here. Returns once the commit is durable.
    func write<T: Sendable>(_ body: @escaping @Sendable (ItemWriter) throws(ServiceError) -> T) async throws(ServiceError) -> T {
        try await db.write("The change") { (c) throws(ServiceError) in try body(ItemWriter(c)) }
    }

    func read<T>(_ body: (ItemReader) throws(ServiceError) -> T) throws(ServiceError) -> T {
        try db.read("The table") { (c) throws(ServiceError) in try body(ItemReader(c)) }
    }
}

/// Reads on one connection (the reader, or the writer inside a write).
struct ItemReader {
    let c: SQLiteConnection

    init(_ c: SQLiteConnection) { self.c = c }

    func failure(_ e: JournalError) -> ServiceError { ServiceError("InternalServerError", "\(e)", kind: .server) }

    /// The stored text of one item.
    func raw(_ table: Int64, _ pk: [UInt8], _ sk: [UInt8]) throws(ServiceError) -> [UInt8]? {
        do {
            let s = try c.statement("SELECT item FROM ddb_items WHERE table_id = ?1 AND pk = ?2 AND sk = ?3")
            defer { s.reset() }
            s.bind(1, table)
            s.bind(2, blob: pk)
            s.bind(3, blob: sk)
            return try s.step() ? (s.blob(0) ?? []) : nil
        } catch { throw failure(error) }
    }

    func item(_ table: Int64, _ pk: [UInt8], _ sk: [UInt8]) throws(ServiceError) -> Item? {
        guard let raw = try raw(table, pk, sk) else { return nil }
        return try Self.decode(raw)
    }

    static func decode(_ raw: [UInt8]) throws(ServiceError) -> Item {
        do { return try Item(json: try JSONParser.parse(raw)) } catch {
            throw ServiceError("InternalServerError", "a stored item cannot be read", kind: .server)
        }
    }

    /// One page of a table (or an index) in key order: rows after `after`, up to `limit`
    /// items and about `budget` bytes. `partition` limits to one hash key; `range` bounds the
    /// sort key in SQL. Returns the rows with their stored key bytes.
    struct Row {
        var item: [UInt8]
        var size: Int
        var pk: [UInt8]
        var sk: [UInt8]
    }

    func scan(table: Int64, index: String?, partition: [UInt8]?, range: (op: String, values: [[UInt8]])?, forward: Bool,
              after: (ipk: [UInt8], isk: [UInt8], pk: [UInt8], sk: [UInt8])?, limit: Int, budget: Int) throws(ServiceError) -> [Row] {
        var sql: String
        var binds: [[UInt8]] = []
        let desc = forward ? "" : " DESC"
        if let index {
            sql = "SELECT i.item, i.size, x.pk, x.sk, x.ipk, x.isk FROM ddb_index_entries x JOIN ddb_items i ON i.table_id = x.table_id AND i.pk = x.pk AND i.sk = x.sk WHERE x.table_id = ?1 AND x.index_name = '\(index.replacingOccurrences(of: "'", with: "''"))'"
            if let partition { binds.append(partition); sql += " AND x.ipk = ?\(binds.count + 1)" }
            if let range { sql += rangeSQL(range, column: "x.isk", &binds) }
            if let after {
                if partition != nil {
                    binds += [after.isk, after.pk, after.sk]
                    sql += " AND (x.isk, x.pk, x.sk) \(forward ? ">" : "<") (?\(binds.count - 1), ?\(binds.count), ?\(binds.count + 1))"
                } else {
                    binds += [after.ipk, after.isk, after.pk, after.sk]
                    sql += " AND (x.ipk, x.isk, x.pk, x.sk) > (?\(binds.count - 2), ?\(binds.count - 1), ?\(binds.count), ?\(binds.count + 1))"
                }
            }
            sql += partition != nil ? " ORDER BY x.isk\(desc), x.pk\(desc), x.sk\(desc)" : " ORDER BY x.ipk, x.isk, x.pk, x.sk"
        } else {
            sql = "SELECT item, size, pk, sk, pk, sk FROM ddb_items WHERE table_id = ?1"
            if let partition { binds.append(partition); sql += " AND pk = ?\(binds.count + 1)" }
            if let range { sql += rangeSQL(range, column: "sk", &binds) }
            if let after {
                if partition != nil {
                    binds.append(after.sk)
                    sql += " AND sk \(forward ? ">" : "<") ?\(binds.count + 1)"
                } else {
                    binds += [after.pk, after.sk]
                    sql += " AND (pk, sk) > (?\(binds.count), ?\(binds.count + 1))"
                }
            }
            sql += partition != nil ? " ORDER BY sk\(desc)" : " ORDER BY pk, sk"
        }
        sql += " LIMIT \(limit)"
        do {
            let s = try c.statement(sql)
            defer { s.reset() }
            s.bind(1, table)
            for (i, b) in binds.enumerated() { s.bind(Int32(i + 2), blob: b) }
            var rows: [Row] = []
            var used = 0
            while used < budget, try s.step() {
                let size = Int(s.int64(1))
                rows.append(Row(item: s.blob(0) ?? [], size: size, pk: s.blob(2) ?? [], sk: s.blob(3) ?? []))
                used += size
            }
            return rows
        } catch { throw failure(error) }
    }

    private func rangeSQL(_ range: (op: String, values: [[UInt8]]), column: String, _ binds: inout [[UInt8]]) -> String {
        switch range.op {
        case "BETWEEN":
            binds += range.values
            return " AND \(column) >= ?\(binds.count) AND \(column) <= ?\(binds.count + 1)"
        case "BEGINS_WITH":
            // Bytes from the prefix up to (not including) the prefix's successor.
            let prefix = range.values.first ?? []
            binds.append(prefix)
            var sql = " AND \(column) >= ?\(binds.count + 1)"
            if let upper = Self.successor(prefix) {
                binds.append(upper)
                sql += " AND \(column) < ?\(binds.count + 1)"
            }
            return sql
        default:
            binds.append(range.values.first ?? [])
            return " AND \(column) \(range.op) ?\(binds.count + 1)"
        }
    }

    /// The smallest byte string greater than every string starting with `prefix`.
    static func successor(_ prefix: [UInt8]) -> [UInt8]? {
        var p = prefix
        while let last = p.last {
            if last < 0xFF {
                p[p.count - 1] = last + 1
                return p
            }
            p.removeLast()
        }
        return nil
    }

    // MARK: streams

    func streamRecords(_ arn: String, after: Int64, limit: Int) throws(ServiceError) -> [(seq: Int64, record: [UInt8])] {
        do {
            let s = try c.statement("SELECT seq, record FROM ddb_stream_records WHERE stream_arn = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3")
            defer { s.reset() }
            s.bind(1, arn)
            s.bind(2, after)
            s.bind(3, limit)
            var out: [(Int64, [UInt8])] = []
            while try s.step() { out.append((s.int64(0), s.blob(1) ?? [])) }
            return out
        } catch { throw failure(error) }
    }

    /// The first and last sequence numbers of a stream's records (nil when it has none).
    func streamBounds(_ arn: String) throws(ServiceError) -> (first: Int64, last: Int64)? {
        do {
            let s = try c.statement("SELECT MIN(seq), MAX(seq) FROM ddb_stream_records WHERE stream_arn = ?1")
            defer { s.reset() }
            s.bind(1, arn)
            guard try s.step(), let first = s.optionalInt64(0), let last = s.optionalInt64(1) else { return nil }
            return (first, last)
        } catch { throw failure(error) }
    }

    func itemCount(_ table: Int64) throws(ServiceError) -> (count: Int64, bytes: Int64) {
        do {
            let s = try c.statement("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM ddb_items WHERE table_id = ?1")
            defer { s.reset() }
            s.bind(1, table)
            _ = try s.step()
            return (s.int64(0), s.int64(1))
        } catch { throw failure(error) }
    }
}

/// Changes, on the writer inside a group commit.
struct ItemWriter {
    let c: SQLiteConnection
    var reader: ItemReader { ItemReader(c) }

    init(_ c: SQLiteConnection) { self.c = c }

    func failure(_ e: JournalError) -> ServiceError { ServiceError("InternalServerError", "\(e)", kind: .server) }

    /// Stores `new` in place of `old` (either may be nil) and keeps the indexes in step.
    func replace(_ schema: TableSchema, pk: [UInt8], sk: [UInt8], old: Item?, new: Item?, expires: Int64?) throws(ServiceError) {
        do {
            if let new {
                let text = new.json.serializedBytes
                let s = try c.statement("INSERT OR REPLACE INTO ddb_items (table_id, pk, sk, item, size, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                s.bind(1, schema.id)
                s.bind(2, blob: pk)
                s.bind(3, blob: sk)
                s.bind(4, blob: text)
                s.bind(5, new.itemSize)
                s.bind(6, expires)
                try s.run()
            } else if old != nil {
                let s = try c.statement("DELETE FROM ddb_items WHERE table_id = ?1 AND pk = ?2 AND sk = ?3")
                s.bind(1, schema.id)
                s.bind(2, blob: pk)
                s.bind(3, blob: sk)
                try s.run()
            }
            for index in schema.indexes {
                let before = old.flatMap { schema.indexKey(index, of: $0) }
                let after = new.flatMap { schema.indexKey(index, of: $0) }
                if let before, before.ipk != after?.ipk || before.isk != after?.isk {
                    try indexEntry(delete: true, schema.id, index.name, before, pk, sk)
                }
                if let after, before?.ipk != after.ipk || before?.isk != after.isk {
                    try indexEntry(delete: false, schema.id, index.name, after, pk, sk)
                }
            }
        } catch { throw failure(error) }
    }

    func indexEntry(delete: Bool, _ table: Int64, _ index: String, _ key: (ipk: [UInt8], isk: [UInt8]), _ pk: [UInt8], _ sk: [UInt8]) throws(JournalError) {
        let s = try c.statement(delete
            ? "DELETE FROM ddb_index_entries WHERE table_id = ?1 AND index_name = ?2 AND ipk = ?3 AND isk = ?4 AND pk = ?5 AND sk = ?6"
            : "INSERT OR REPLACE INTO ddb_index_entries (table_id, index_name, ipk, isk, pk, sk) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        s.bind(1, table)
        s.bind(2, index)
        s.bind(3, blob: key.ipk)
        s.bind(4, blob: key.isk)
        s.bind(5, blob: pk)
        s.bind(6, blob: sk)
        try s.run()
    }

    /// Appends a stream record (its SequenceNumber is added when it is read: the row's id,
    /// which AUTOINCREMENT never hands out twice, even after old records are trimmed).
    func appendRecord(stream: String, now: Int64, record: [UInt8]) throws(ServiceError) {
        do {
            let s = try c.statement("INSERT INTO ddb_stream_records (stream_arn, created_ms, record) VALUES (?1, ?2, ?3)")
            s.bind(1, stream)
            s.bind(2, now)
            s.bind(3, blob: record)
            try s.run()
        } catch { throw failure(error) }
    }

    func dropTable(_ id: Int64) throws(ServiceError) {
        do {
            for sql in ["DELETE FROM ddb_items WHERE table_id = ?1", "DELETE FROM ddb_index_entries WHERE table_id = ?1"] {
                let s = try c.statement(sql)
                s.bind(1, id)
                try s.run()
            }
        } catch { throw failure(error) }
    }

    func dropIndex(_ id: Int64, _ name: String) throws(ServiceError) {
        do {
            let s = try c.statement("DELETE FROM ddb_index_entries WHERE table_id = ?1 AND index_name = ?2")
            s.bind(1, id)
            s.bind(2, name)
            try s.run()
        } catch { throw failure(error) }
    }

    /// Builds a new index's entries from the items already stored (AWS's backfill).
    func backfill(_ schema: TableSchema, _ index: TableSchema.Index) throws(ServiceError) {
        var rows: [([UInt8], [UInt8], [UInt8])] = []
        do {
            let s = try c.statement("SELECT item, pk, sk FROM ddb_items WHERE table_id = ?1")
            s.bind(1, schema.id)
            while try s.step() { rows.append((s.blob(0) ?? [], s.blob(1) ?? [], s.blob(2) ?? [])) }
            s.reset()
        } catch { throw failure(error) }
        for (raw, pk, sk) in rows {
            guard let k = schema.indexKey(index, of: try ItemReader.decode(raw)) else { continue }
            do { try indexEntry(delete: false, schema.id, index.name, k, pk, sk) } catch { throw failure(error) }
        }
    }

    /// Items whose TTL has passed, up to `limit`: (table, pk, sk).
    func expired(before seconds: Int64, limit: Int) throws(ServiceError) -> [(Int64, [UInt8], [UInt8])] {
        do {
            let s = try c.statement("SELECT table_id, pk, sk FROM ddb_items WHERE expires IS NOT NULL AND expires < ?1 LIMIT ?2")
            defer { s.reset() }
            s.bind(1, seconds)
            s.bind(2, limit)
            var out: [(Int64, [UInt8], [UInt8])] = []
            while try s.step() { out.append((s.int64(0), s.blob(1) ?? [], s.blob(2) ?? [])) }
            return out
        } catch { throw failure(error) }
    }

    func trimStreams(before millis: Int64) throws(ServiceError) {
        do {
            let s = try c.statement("DELETE FROM ddb_stream_records WHERE created_ms < ?1")
            s.bind(1, millis)
            try s.run()
        } catch { throw failure(error) }
    }
}
