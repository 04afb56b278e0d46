import Journal
import ServiceKit
import StatesLanguage

/// Items, index entries and stream records in the journal's database. Every change runs in one
/// transaction with its stream record: no change without its record, no record without its
/// change. On SQLite, the writer's group commit; on PostgreSQL, a connection of the tables'
/// own whose transaction locks each item it reads (two nodes' conditional writes of one item
/// go one after the other), shared by every node.
final class ItemStore: Sendable {
    let tables: ServiceTables

    init(_ context: ServiceContext) async throws(ServiceError) {
        tables = try await ServiceTables(context, component: "dynamodb", steps: Self.steps)
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

    /// Runs `body` in one transaction; a ServiceError rolls it back and is thrown here.
    /// Returns once the commit is durable.
    func write<T: Sendable>(_ body: @escaping @Sendable (ItemWriter) throws(ServiceError) -> T) async throws(ServiceError) -> T {
        let tables = self.tables
        return try await tables.write("The change") { (e) throws(ServiceError) in try body(ItemWriter(e, tables: tables)) }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (ItemReader) throws(ServiceError) -> T) async throws(ServiceError) -> T {
        try await tables.read("The table") { (e) throws(ServiceError) in try body(ItemReader(e, locking: false)) }
    }
}

/// Reads on one connection (the reader, or the writer inside a write).
struct ItemReader {
    let c: any SQLExecutor
    /// Inside a write on PostgreSQL: each item read is locked for the rest of the transaction.
    let locking: Bool

    init(_ c: any SQLExecutor, locking: Bool) {
        self.c = c
        self.locking = locking && c.isPostgres
    }

    func failure(_ e: JournalError) -> ServiceError { ServiceError("InternalServerError", "\(e)", kind: .server) }

    /// The stored text of one item.
    func raw(_ table: Int64, _ pk: [UInt8], _ sk: [UInt8]) throws(ServiceError) -> [UInt8]? {
        do {
            if locking {
                // A lock on the key, whether or not the item exists (a row lock needs a row).
                _ = try c.rows("SELECT pg_advisory_xact_lock(?1)", [.integer(Self.lockKey(table, pk, sk))])
            }
            return try c.rows("SELECT item FROM ddb_items WHERE table_id = ?1 AND pk = ?2 AND sk = ?3",
                              [.integer(table), .bytes(pk), .bytes(sk)]).first?.first?.bytes ?? nil
        } catch { throw failure(error) }
    }

    /// FNV-1a of the table and key: the advisory lock of one item.
    static func lockKey(_ table: Int64, _ pk: [UInt8], _ sk: [UInt8]) -> Int64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in String(table).utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        for part in [pk, [0xFF], sk] { for b in part { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 } }
        return Int64(bitPattern: h)
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
            var rows: [Row] = []
            var used = 0
            for r in try c.rows(sql, [.integer(table)] + binds.map { .bytes($0) }) where used < budget {
                let size = Int(r[1].int64 ?? 0)
                rows.append(Row(item: r[0].bytes ?? [], size: size, pk: r[2].bytes ?? [], sk: r[3].bytes ?? []))
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
            return try c.rows("SELECT seq, record FROM ddb_stream_records WHERE stream_arn = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
                              [.text(arn), .integer(after), .integer(Int64(limit))]).map { (seq: $0[0].int64 ?? 0, record: $0[1].bytes ?? []) }
        } catch { throw failure(error) }
    }

    /// The first and last sequence numbers of a stream's records (nil when it has none).
    func streamBounds(_ arn: String) throws(ServiceError) -> (first: Int64, last: Int64)? {
        do {
            guard let r = try c.rows("SELECT MIN(seq), MAX(seq) FROM ddb_stream_records WHERE stream_arn = ?1", [.text(arn)]).first,
                  let first = r[0].int64, let last = r[1].int64 else { return nil }
            return (first, last)
        } catch { throw failure(error) }
    }

    func itemCount(_ table: Int64) throws(ServiceError) -> (count: Int64, bytes: Int64) {
        do {
            let r = try c.rows("SELECT COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM ddb_items WHERE table_id = ?1", [.integer(table)]).first
            return (r?[0].int64 ?? 0, r?[1].int64 ?? 0)
        } catch { throw failure(error) }
    }
}

/// Changes, inside a write's transaction.
struct ItemWriter {
    let c: any SQLExecutor
    let tables: ServiceTables
    /// Reads inside the write: on PostgreSQL each item read is locked until the commit.
    var reader: ItemReader { ItemReader(c, locking: true) }

    init(_ c: any SQLExecutor, tables: ServiceTables) {
        self.c = c
        self.tables = tables
    }

    /// Notices of stream records appended through another node (the key: the stream's ARN).
    static let streamArrivals = "dynamodb.streams"

    func failure(_ e: JournalError) -> ServiceError { ServiceError("InternalServerError", "\(e)", kind: .server) }

    /// Stores `new` in place of `old` (either may be nil) and keeps the indexes in step.
    func replace(_ schema: TableSchema, pk: [UInt8], sk: [UInt8], old: Item?, new: Item?, expires: Int64?) throws(ServiceError) {
        do {
            if let new {
                let values: [SQLValue] = [.integer(schema.id), .bytes(pk), .bytes(sk), .bytes(new.json.serializedBytes),
                                          .integer(Int64(new.itemSize)), .integer(expires)]
                try c.run(c.isPostgres
                    ? """
                      INSERT INTO ddb_items (table_id, pk, sk, item, size, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                      ON CONFLICT (table_id, pk, sk) DO UPDATE SET item = EXCLUDED.item, size = EXCLUDED.size, expires = EXCLUDED.expires
                      """
                    : "INSERT OR REPLACE INTO ddb_items (table_id, pk, sk, item, size, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", values)
            } else if old != nil {
                try c.run("DELETE FROM ddb_items WHERE table_id = ?1 AND pk = ?2 AND sk = ?3", [.integer(schema.id), .bytes(pk), .bytes(sk)])
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
        let values: [SQLValue] = [.integer(table), .text(index), .bytes(key.ipk), .bytes(key.isk), .bytes(pk), .bytes(sk)]
        if delete {
            try c.run("DELETE FROM ddb_index_entries WHERE table_id = ?1 AND index_name = ?2 AND ipk = ?3 AND isk = ?4 AND pk = ?5 AND sk = ?6",
                      values)
        } else {
            try c.run(c.isPostgres
                ? "INSERT INTO ddb_index_entries (table_id, index_name, ipk, isk, pk, sk) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING"
                : "INSERT OR REPLACE INTO ddb_index_entries (table_id, index_name, ipk, isk, pk, sk) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", values)
        }
    }

    /// Appends a stream record (its SequenceNumber is added when it is read: the row's id,
    /// which is never handed out twice, even after old records are trimmed).
    func appendRecord(stream: String, now: Int64, record: [UInt8]) throws(ServiceError) {
        do {
            // Writers on several connections: a stream's records commit in the order of their numbers.
            try tables.serialize("ddb-stream|" + stream, on: c)
            try c.run("INSERT INTO ddb_stream_records (stream_arn, created_ms, record) VALUES (?1, ?2, ?3)", [.text(stream), .integer(now), .bytes(record)])
            try tables.notice(owner: Self.streamArrivals, key: stream, on: c)
        } catch { throw failure(error) }
    }

    func dropTable(_ id: Int64) throws(ServiceError) {
        do {
            for sql in ["DELETE FROM ddb_items WHERE table_id = ?1", "DELETE FROM ddb_index_entries WHERE table_id = ?1"] {
                try c.run(sql, [.integer(id)])
            }
        } catch { throw failure(error) }
    }

    func dropIndex(_ id: Int64, _ name: String) throws(ServiceError) {
        do { try c.run("DELETE FROM ddb_index_entries WHERE table_id = ?1 AND index_name = ?2", [.integer(id), .text(name)]) } catch {
            throw failure(error)
        }
    }

    /// Builds a new index's entries from the items already stored (AWS's backfill).
    func backfill(_ schema: TableSchema, _ index: TableSchema.Index) throws(ServiceError) {
        let rows: [[SQLValue]]
        do { rows = try c.rows("SELECT item, pk, sk FROM ddb_items WHERE table_id = ?1", [.integer(schema.id)]) } catch { throw failure(error) }
        for r in rows {
            guard let k = schema.indexKey(index, of: try ItemReader.decode(r[0].bytes ?? [])) else { continue }
            do { try indexEntry(delete: false, schema.id, index.name, k, r[1].bytes ?? [], r[2].bytes ?? []) } catch { throw failure(error) }
        }
    }

    /// Items whose TTL has passed, up to `limit`: (table, pk, sk).
    func expired(before seconds: Int64, limit: Int) throws(ServiceError) -> [(Int64, [UInt8], [UInt8])] {
        do {
            return try c.rows("SELECT table_id, pk, sk FROM ddb_items WHERE expires IS NOT NULL AND expires < ?1 LIMIT ?2",
                              [.integer(seconds), .integer(Int64(limit))]).map { ($0[0].int64 ?? 0, $0[1].bytes ?? [], $0[2].bytes ?? []) }
        } catch { throw failure(error) }
    }

    func trimStreams(before millis: Int64) throws(ServiceError) {
        do { try c.run("DELETE FROM ddb_stream_records WHERE created_ms < ?1", [.integer(millis)]) } catch { throw failure(error) }
    }
}
