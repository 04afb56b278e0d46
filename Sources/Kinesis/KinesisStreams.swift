import Engine
import Foundation
import Journal
import ServiceKit
import StatesLanguage

/// The streams (records in a document book, a copy in memory for the write path to read
/// without waiting on an actor) and their records in the journal's database. Other services
/// append to a stream inside their own write's transaction (a table's change and the Kinesis
/// record that describes it commit together), through `append(_:to:…)`.
package final class KinesisStreams: Sendable {
    let book: DocumentBook<KinesisStream>
    let db: SQLiteJournal
    private let byName: LockedValue<[String: KinesisStream]>
    private let nextId: LockedValue<Int64>
    /// Rung after every committed append (readers of a stream wait on it).
    package let bell: StreamBell

    package init(_ db: SQLiteJournal) async throws(ServiceError) {
        self.db = db
        do { try await db.migrate(component: "kinesis", Self.steps) } catch {
            throw ServiceError("InternalServerError", "the Kinesis streams cannot be opened: \(error)", kind: .server)
        }
        book = try await DocumentBook(owner: "kinesis.streams", store: db, encode: { $0.json }, decode: { KinesisStream(json: $0) })
        var streams: [String: KinesisStream] = [:]
        for (name, stream) in await book.all { streams[name] = stream }
        byName = LockedValue(streams)
        nextId = LockedValue(streams.values.map(\.id).max() ?? 0)
        bell = StreamBell()
    }

    /// Append, never edit: step i is version i + 1.
    static let steps = [
        """
        CREATE TABLE kinesis_records (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            stream_id INTEGER NOT NULL,
            shard INTEGER NOT NULL,
            arrival_ms INTEGER NOT NULL,
            partition_key TEXT NOT NULL,
            data BLOB NOT NULL
        );
        CREATE INDEX kinesis_records_by_shard ON kinesis_records (stream_id, shard, seq);
        """,
    ]

    func newId() -> Int64 { nextId.next() }

    package var all: [KinesisStream] { byName.value.values.sorted { $0.name < $1.name } }

    package func stream(named name: String) -> KinesisStream? { byName.value[name] }

    /// The stream an ARN names (`arn:aws:kinesis:REGION:ACCOUNT:stream/NAME`), if it exists.
    package func stream(arn: String) -> KinesisStream? {
        guard let name = Self.name(arn: arn), let s = byName.value[name], s.arn == arn else { return nil }
        return s
    }

    static func name(arn: String) -> String? {
        guard arn.hasPrefix("arn:"), let r = arn.range(of: ":stream/") else { return nil }
        return String(arn[r.upperBound...])
    }

    /// Changes a stream's record and the in-memory copy together; nil removes the stream.
    @discardableResult
    func update<R: Sendable>(_ name: String, _ change: sending (inout KinesisStream?) throws(ServiceError) -> R) async throws(ServiceError) -> R {
        let result = try await book.update(name, change)
        let stream = await book.get(name)
        byName.mutate { $0[name] = stream }
        return result
    }

    // MARK: records

    /// One stored record.
    package struct Record: Sendable {
        package var seq: Int64
        package var shard: Int
        package var arrivalMillis: Int64
        package var partitionKey: String
        package var data: [UInt8]
    }

    /// Appends a record on the writer `c`, inside the caller's savepoint; returns its shard and
    /// sequence number. The shard is the one whose hash range holds the explicit hash key, or
    /// else the MD5 of the partition key.
    @discardableResult
    package func append(_ c: SQLiteConnection, to stream: KinesisStream, partitionKey: String, explicitHashKey: UInt128? = nil,
                        data: [UInt8], now: Int64) throws(ServiceError) -> (shard: Int, seq: Int64) {
        let shard = stream.shard(for: explicitHashKey ?? KinesisStream.hash(partitionKey: partitionKey))
        do {
            let s = try c.statement("INSERT INTO kinesis_records (stream_id, shard, arrival_ms, partition_key, data) VALUES (?1, ?2, ?3, ?4, ?5)")
            s.bind(1, stream.id)
            s.bind(2, shard)
            s.bind(3, now)
            s.bind(4, partitionKey)
            s.bind(5, blob: data)
            try s.run()
            return (shard, c.lastInsertRowId)
        } catch {
            throw ServiceError("InternalServerError", "the record could not be stored: \(error)", kind: .server)
        }
    }

    /// A shard's records after `after` (a sequence number), up to `limit` records and 10 MiB.
    func records(_ stream: KinesisStream, shard: Int, after: Int64, limit: Int) throws(ServiceError) -> [Record] {
        try db.read("The stream") { (c) throws(ServiceError) in
            do {
                let s = try c.statement("SELECT seq, arrival_ms, partition_key, data FROM kinesis_records WHERE stream_id = ?1 AND shard = ?2 AND seq > ?3 ORDER BY seq LIMIT ?4")
                defer { s.reset() }
                s.bind(1, stream.id)
                s.bind(2, shard)
                s.bind(3, after)
                s.bind(4, limit)
                var out: [Record] = []
                var bytes = 0
                while bytes < 10 * 1024 * 1024, try s.step() {
                    let data = s.blob(3) ?? []
                    bytes += data.count
                    out.append(Record(seq: s.int64(0), shard: shard, arrivalMillis: s.int64(1), partitionKey: s.string(2) ?? "", data: data))
                }
                return out
            } catch {
                throw ServiceError("InternalServerError", "the stream could not be read: \(error)", kind: .server)
            }
        }
    }

    /// The latest sequence number in a shard (0: none yet), and the first at or after a time.
    func bounds(_ stream: KinesisStream, shard: Int, atOrAfter millis: Int64? = nil) throws(ServiceError) -> (latest: Int64, firstAt: Int64?) {
        try db.read("The stream") { (c) throws(ServiceError) in
            do {
                let s = try c.statement("SELECT MAX(seq) FROM kinesis_records WHERE stream_id = ?1 AND shard = ?2")
                defer { s.reset() }
                s.bind(1, stream.id)
                s.bind(2, shard)
                let latest = try s.step() ? (s.optionalInt64(0) ?? 0) : 0
                guard let millis else { return (latest, nil) }
                let t = try c.statement("SELECT MIN(seq) FROM kinesis_records WHERE stream_id = ?1 AND shard = ?2 AND arrival_ms >= ?3")
                defer { t.reset() }
                t.bind(1, stream.id)
                t.bind(2, shard)
                t.bind(3, millis)
                return (latest, try t.step() ? t.optionalInt64(0) : nil)
            } catch {
                throw ServiceError("InternalServerError", "the stream could not be read: \(error)", kind: .server)
            }
        }
    }

    /// Removes a stream's records older than `before` (all of them when nil).
    func trim(_ streamId: Int64, before: Int64?) async throws(ServiceError) {
        try await db.write("The trim") { (c) throws(ServiceError) in
            do {
                let s = try c.statement(before == nil ? "DELETE FROM kinesis_records WHERE stream_id = ?1"
                                                      : "DELETE FROM kinesis_records WHERE stream_id = ?1 AND arrival_ms < ?2")
                s.bind(1, streamId)
                if let before { s.bind(2, before) }
                try s.run()
            } catch {
                throw ServiceError("InternalServerError", "the records could not be trimmed: \(error)", kind: .server)
            }
        }
    }
}
