import Foundation
import Journal
import ServiceKit

/// Objects' bytes in the shared database, so that every node serves what any node stored:
/// `s3_chunks` rows of 1 MiB (the last one shorter), each committed as the upload reaches it,
/// so an upload holds one chunk in memory whatever its size. A blob is named by its object's
/// row only after its last chunk committed; one freed by a change waits a minute in
/// `s3_garbage` before its chunks go, so a download that began before the change reads it to
/// its end.
package final class PostgresObjectBytes: ObjectBytes {
    let tables: ServiceTables
    let now: @Sendable () -> Int64

    static let chunkBytes = 1 << 20
    /// How long a freed blob stays readable (downloads that began before it was freed).
    static let graceMillis: Int64 = 60_000
    /// A blob no row names and not written to for this long was left by a crash mid-upload.
    static let abandonedMillis: Int64 = 3_600_000

    init(tables: ServiceTables, now: @escaping @Sendable () -> Int64) {
        self.tables = tables
        self.now = now
    }

    package func create() async throws(ServiceError) -> any BlobWriter { PostgresBlobWriter(self) }

    func insert(_ name: String, _ n: Int64, _ bytes: [UInt8]) async throws(ServiceError) {
        let at = now()
        try await tables.write("the object's bytes") { (c) throws(ServiceError) in
            do {
                try c.run("INSERT INTO s3_chunks (file, n, bytes, written_ms) VALUES (?1, ?2, ?3, ?4)",
                          [.text(name), .integer(n), .bytes(bytes), .integer(at)])
            } catch { throw ObjectStore.failure(error) }
        }
    }

    package func read(_ name: String, offset: Int64, length: Int64, _ piece: ([UInt8]) async throws(ServiceError) -> Void) async throws(ServiceError) {
        guard length > 0 else { return }
        let size = Int64(Self.chunkBytes)
        let lastChunk = (offset + length - 1) / size
        var n = offset / size
        var left = length
        while n <= lastChunk, left > 0 {
            // A few chunks a statement: round trips few, memory small.
            let upTo = min(lastChunk, n + 3)
            let from = n
            let rows = try await tables.read("the object's bytes") { (c) throws(ServiceError) in
                do {
                    return try c.rows("SELECT n, bytes FROM s3_chunks WHERE file = ?1 AND n >= ?2 AND n <= ?3 ORDER BY n",
                                      [.text(name), .integer(from), .integer(upTo)])
                } catch { throw ObjectStore.failure(error) }
            }
            for row in rows {
                guard row.count == 2, let index = row[0].int64, index == n, let bytes = row[1].bytes else { break }
                let start = index == offset / size ? Int(offset - index * size) : 0
                let take = min(Int64(bytes.count - start), left)
                guard take > 0 else { break }
                left -= take
                n += 1
                try await piece(Array(bytes[start..<(start + Int(take))]))
            }
            if left > 0 && n <= upTo { throw ObjectBytesErrors.missing }
        }
        if left > 0 { throw ObjectBytesErrors.missing }
    }

    package func reply(_ name: String, offset: Int64, length: Int64, into reply: inout ServiceReply) throws(ServiceError) {
        streamedReply(name, offset: offset, length: length, into: &reply)
    }

    package func copy(_ name: String) async throws(ServiceError) -> String {
        let copy = UUIDText.random()
        let at = now()
        // One statement in the database: no byte travels.
        try await tables.write("the object's copy") { (c) throws(ServiceError) in
            do {
                try c.run("INSERT INTO s3_chunks (file, n, bytes, written_ms) SELECT ?2, n, bytes, ?3 FROM s3_chunks WHERE file = ?1",
                          [.text(name), .text(copy), .integer(at)])
            } catch { throw ObjectStore.failure(error) }
        }
        return copy
    }

    package func remove(_ names: [String]) async {
        let at = now()
        let names = names.filter { !$0.isEmpty }
        _ = try? await tables.write("the freed bytes") { (c) throws(ServiceError) in
            do {
                for n in names {
                    try c.run("INSERT INTO s3_garbage (file, freed_ms) VALUES (?1, ?2) ON CONFLICT DO NOTHING", [.text(n), .integer(at)])
                }
                try Self.collect(before: at - Self.graceMillis, c)
            } catch { throw ObjectStore.failure(error) }
        }
    }

    /// Deletes the chunks of blobs freed before `before`.
    static func collect(before: Int64, _ c: any SQLExecutor) throws(JournalError) {
        try c.run("DELETE FROM s3_chunks WHERE file IN (SELECT file FROM s3_garbage WHERE freed_ms < ?1)", [.integer(before)])
        try c.run("DELETE FROM s3_garbage WHERE freed_ms < ?1", [.integer(before)])
    }

    package func sweep(named: @Sendable () async throws(ServiceError) -> Set<String>) async {
        let at = now()
        _ = try? await tables.write("the abandoned bytes") { (c) throws(ServiceError) in
            do {
                try Self.collect(before: at - Self.graceMillis, c)
                // Blobs no row names, not written to for an hour: uploads a crash cut short.
                try c.run("""
                    DELETE FROM s3_chunks WHERE file IN (
                        SELECT file FROM s3_chunks GROUP BY file HAVING MAX(written_ms) < ?1
                        EXCEPT SELECT file FROM s3_objects EXCEPT SELECT file FROM s3_parts EXCEPT SELECT file FROM s3_versions)
                    """, [.integer(at - Self.abandonedMillis)])
            } catch { throw ObjectStore.failure(error) }
        }
    }
}

/// A blob being written: a chunk in memory, committed as it fills.
final class PostgresBlobWriter: BlobWriter, @unchecked Sendable {
    // @unchecked Sendable: one upload writes it, in sequence.
    let name = UUIDText.random()
    private let bytes: PostgresObjectBytes
    private var pending: [UInt8] = []
    private var next: Int64 = 0

    init(_ bytes: PostgresObjectBytes) {
        self.bytes = bytes
        pending.reserveCapacity(PostgresObjectBytes.chunkBytes)
    }

    func write(_ chunk: [UInt8]) async throws(ServiceError) {
        var rest = chunk[...]
        while !rest.isEmpty {
            let take = min(rest.count, PostgresObjectBytes.chunkBytes - pending.count)
            pending += rest.prefix(take)
            rest = rest.dropFirst(take)
            if pending.count == PostgresObjectBytes.chunkBytes { try await flush() }
        }
    }

    private func flush() async throws(ServiceError) {
        guard !pending.isEmpty else { return }
        try await bytes.insert(name, next, pending)
        next += 1
        pending.removeAll(keepingCapacity: true)
    }

    func finish() async throws(ServiceError) { try await flush() }

    func finishKeepingSmall() async throws(ServiceError) -> [UInt8]? {
        guard next == 0, !pending.isEmpty else {
            try await flush()
            return nil
        }
        return pending
    }

    func abandon() async { await bytes.remove([name]) }
}
