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
    let tables: ServiceTables
    private let byName: LockedValue<[String: KinesisStream]>
    private let nextId: LockedValue<Int64>
    /// Rung after every committed append (readers of a stream wait on it).
    package let bell: StreamBell

    package init(_ context: ServiceContext) async throws(ServiceError) {
        tables = try await ServiceTables(context, component: "kinesis", steps: Self.steps)
        book = try await DocumentBook(owner: "kinesis.streams", store: context.store, encode: { $0.json }, decode: { KinesisStream(json: $0) })
        var streams: [String: KinesisStream] = [:]
        for (name, stream) in await book.all { streams[name] = stream }
        byName = LockedValue(streams)
        nextId = LockedValue(streams.values.map(\.id).max() ?? 0)
        bell = StreamBell()
        // Streams changed and records appended through another node.
        let byName = self.byName, bell = self.bell
        await book.watch { name, stream in byName.mutate { $0[name] = stream } }
        tables.observe(owner: Self.arrivals) { _ in bell.ring() }
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


    /// A new stream's id: the next of this node's, or a random one when other nodes share the
    /// store (see `TableCatalog.newId`).
    func newId() -> Int64 { tables.shared ? Int64.random(in: 1 << 32 ..< 1 << 62) : nextId.next() }

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

    /// Appends a record inside the caller's transaction (`c`: a write of these tables, or of
    /// another service's on the same backend); returns its shard and sequence number. The shard
    /// is the one whose hash range holds the explicit hash key, or else the MD5 of the partition key.
    @discardableResult
    package func append(_ c: any SQLExecutor, to stream: KinesisStream, partitionKey: String, explicitHashKey: UInt128? = nil,
                        data: [UInt8], now: Int64) throws(ServiceError) -> (shard: Int, seq: Int64) {
        let shard = stream.shard(for: explicitHashKey ?? KinesisStream.hash(partitionKey: partitionKey))
        do {
            // Writers on several connections: a shard's records commit in the order of their numbers.
            try tables.serialize("kinesis|\(stream.id)|\(shard)", on: c)
            let rows = try c.rows("""
                INSERT INTO kinesis_records (stream_id, shard, arrival_ms, partition_key, data) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING seq
                """, [.integer(stream.id), .integer(Int64(shard)), .integer(now), .text(partitionKey), .bytes(data)])
            guard let seq = rows.first?.first?.int64 else { throw JournalError(.corrupt, "a record got no sequence number") }
            try tables.notice(owner: Self.arrivals, key: String(stream.id), on: c)
            return (shard, seq)
        } catch {
            throw ServiceError("InternalServerError", "the record could not be stored: \(error)", kind: .server)
        }
    }

    /// Notices of records appended through another node (the key: the stream's id).
    static let arrivals = "kinesis.arrivals"

    /// A shard's records after `after` (a sequence number), up to `limit` records and 10 MiB.
    func records(_ stream: KinesisStream, shard: Int, after: Int64, limit: Int) async throws(ServiceError) -> [Record] {
        let id = stream.id
        return try await tables.read("The stream") { (c) throws(ServiceError) in
            do {
                var out: [Record] = []
                var bytes = 0
                for r in try c.rows("SELECT seq, arrival_ms, partition_key, data FROM kinesis_records WHERE stream_id = ?1 AND shard = ?2 AND seq > ?3 ORDER BY seq LIMIT ?4",
                                    [.integer(id), .integer(Int64(shard)), .integer(after), .integer(Int64(limit))]) where bytes < 10 * 1024 * 1024 {
                    let data = r[3].bytes ?? []
                    bytes += data.count
                    out.append(Record(seq: r[0].int64 ?? 0, shard: shard, arrivalMillis: r[1].int64 ?? 0, partitionKey: r[2].string ?? "", data: data))
                }
                return out
            } catch {
                throw ServiceError("InternalServerError", "the stream could not be read: \(error)", kind: .server)
            }
        }
    }

    /// The latest sequence number in a shard (0: none yet), and the first at or after a time.
    func bounds(_ stream: KinesisStream, shard: Int, atOrAfter millis: Int64? = nil) async throws(ServiceError) -> (latest: Int64, firstAt: Int64?) {
        let id = stream.id
        return try await tables.read("The stream") { (c) throws(ServiceError) in
            do {
                let latest = try c.rows("SELECT MAX(seq) FROM kinesis_records WHERE stream_id = ?1 AND shard = ?2",
                                        [.integer(id), .integer(Int64(shard))]).first?.first?.int64 ?? 0
                guard let millis else { return (latest, nil) }
                let first = try c.rows("SELECT MIN(seq) FROM kinesis_records WHERE stream_id = ?1 AND shard = ?2 AND arrival_ms >= ?3",
                                       [.integer(id), .integer(Int64(shard)), .integer(millis)]).first?.first?.int64
                return (latest, first)
            } catch {
                throw ServiceError("InternalServerError", "the stream could not be read: \(error)", kind: .server)
            }
        }
    }

    /// Removes a stream's records older than `before` (all of them when nil).
    func trim(_ streamId: Int64, before: Int64?) async throws(ServiceError) {
        try await tables.write("The trim") { (c) throws(ServiceError) in
            do {
                if let before {
                    try c.run("DELETE FROM kinesis_records WHERE stream_id = ?1 AND arrival_ms < ?2", [.integer(streamId), .integer(before)])
                } else {
                    try c.run("DELETE FROM kinesis_records WHERE stream_id = ?1", [.integer(streamId)])
                }
            } catch {
                throw ServiceError("InternalServerError", "the records could not be trimmed: \(error)", kind: .server)
            }
        }
    }
}
