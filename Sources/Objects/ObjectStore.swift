import Engine
import Foundation
import Journal
import ServiceKit
import StatesLanguage

/// Buckets and objects: their rows in the journal's database (component `s3`: SQLite's, or
/// PostgreSQL's shared by every node), their bytes where `bytes` keeps them (files in the data
/// directory with SQLite, rows with PostgreSQL). An upload's bytes are durable before its row
/// is committed, so an object is visible only once whole; what a crash mid-upload left is
/// removed at the next start, with any bytes no row names.
package final class ObjectStore: Sendable {
    let tables: ServiceTables
    package let bytes: any ObjectBytes
    let region: String
    let account: String
    /// Below the millisecond in notification sequencers.
    let sequence = LockedValue<Int64>(0)
    /// Called after a write that queued notifications committed (wakes their worker).
    let queued: @Sendable () -> Void
    /// Each bucket's configurations as last read (versioning, lifecycle, CORS, …, read by
    /// nearly every request): a change made here or announced by another node drops its
    /// bucket's entry.
    let configurationCache = ConfigurationCache()

    package init(_ context: ServiceContext, region: String = "us-east-1", account: String = "000000000000",
                 queued: @escaping @Sendable () -> Void = {}) async throws(ServiceError) {
        tables = try await ServiceTables(context, component: "s3", steps: Self.steps)
        if tables.shared {
            let clock = context.engine.clock
            bytes = PostgresObjectBytes(tables: tables, now: { clock.now().milliseconds })
        } else {
            bytes = try FileObjectBytes(directory: context.dataDirectory + "/objects", tables: tables)
        }
        self.region = region
        self.account = account
        self.queued = queued
        let cache = configurationCache
        tables.observe(owner: Self.configurationNotice) { bucket in cache.drop(bucket) }
        await sweep()
    }

    static let configurationNotice = "s3.configurations"

    /// Append, never edit: step i is version i + 1.
    static let steps = [
        """
        CREATE TABLE s3_buckets (name TEXT PRIMARY KEY, region TEXT NOT NULL, created_ms INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE s3_objects (
            bucket TEXT NOT NULL, key TEXT NOT NULL, file TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
            modified_ms INTEGER NOT NULL, headers TEXT NOT NULL,
            PRIMARY KEY (bucket, key)
        ) WITHOUT ROWID;
        CREATE TABLE s3_uploads (
            upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, initiated_ms INTEGER NOT NULL, headers TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE s3_parts (
            upload_id TEXT NOT NULL, part INTEGER NOT NULL, file TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
            modified_ms INTEGER NOT NULL,
            PRIMARY KEY (upload_id, part)
        ) WITHOUT ROWID;
        """,
        """
        CREATE TABLE s3_bucket_configurations (bucket TEXT NOT NULL, name TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (bucket, name)) WITHOUT ROWID;
        """,
        // Every version of a key in a bucket that has had versioning, newest (highest seq)
        // first; the current one is also the key's row in s3_objects.
        """
        CREATE TABLE s3_versions (
            bucket TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL, version_id TEXT NOT NULL, file TEXT NOT NULL,
            size INTEGER NOT NULL, etag TEXT NOT NULL, modified_ms INTEGER NOT NULL, headers TEXT NOT NULL, delete_marker INTEGER NOT NULL,
            PRIMARY KEY (bucket, key, seq)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX s3_versions_by_id ON s3_versions (bucket, key, version_id);
        """,
        // A part's checksum as `ALGORITHM:base64` (a multipart upload's composite checksum is
        // made of them).
        """
        ALTER TABLE s3_parts ADD COLUMN checksum TEXT;
        """,
        // Bytes kept in the database (PostgreSQL: every object's, shared by every node; SQLite:
        // small objects', the others being files).
        """
        CREATE TABLE s3_chunks (file TEXT NOT NULL, n INTEGER NOT NULL, bytes BLOB NOT NULL, written_ms INTEGER NOT NULL,
                                PRIMARY KEY (file, n)) WITHOUT ROWID;
        CREATE TABLE s3_garbage (file TEXT PRIMARY KEY, freed_ms INTEGER NOT NULL) WITHOUT ROWID;
        """,
    ]

    /// An object's metadata (its bytes are in `file`).
    package struct Object: Sendable {
        package var bucket: String
        package var key: String
        package var file: String
        package var size: Int64
        /// The hex digest without quotes (a multipart object's ends in `-N`).
        package var etag: String
        package var modifiedMillis: Int64
        /// Content-Type and the other system headers, `x-amz-meta-*`, checksums, tags.
        package var headers: JSONObject
        /// Bytes to be written with the row, in its transaction (a small upload; see
        /// `BlobWriter.finishKeepingSmall`). Not stored as a column.
        package var inline: [UInt8]? = nil
    }

    package struct Part: Sendable {
        package var number: Int
        package var file: String
        package var size: Int64
        package var etag: String
        package var modifiedMillis: Int64
        /// `ALGORITHM:base64`, when the part was sent or computed with one.
        package var checksum: String? = nil

        /// The checksum's algorithm and value.
        var checksumParts: (algorithm: Checksum.Algorithm, value: String)? {
            guard let checksum, let colon = checksum.firstIndex(of: ":"),
                  let a = Checksum.Algorithm(rawValue: String(checksum[..<colon])) else { return nil }
            return (a, String(checksum[checksum.index(after: colon)...]))
        }
    }

    package struct Upload: Sendable {
        package var id: String
        package var bucket: String
        package var key: String
        package var initiatedMillis: Int64
        package var headers: JSONObject
    }

    /// Removes what a crash left: bytes being written then, and bytes no object or part names.
    func sweep() async {
        let tables = self.tables
        await bytes.sweep { () throws(ServiceError) -> Set<String> in
            try await tables.read("the object files") { (c) throws(ServiceError) -> Set<String> in
                do {
                    var out: Set<String> = []
                    for sql in ["SELECT file FROM s3_objects", "SELECT file FROM s3_parts", "SELECT file FROM s3_versions"] {
                        for r in try c.rows(sql, []) { if let f = r.first?.string { out.insert(f) } }
                    }
                    return out
                } catch { throw Self.failure(error) }
            }
        }
    }

    /// Bytes no row names any more (once the change that freed them committed).
    package func removeFiles(_ files: [String]) async {
        await bytes.remove(files)
    }

    /// Runs `body` in one transaction (SQLite: a savepoint of the group commit).
    func write<T: Sendable>(_ what: String, _ body: @escaping @Sendable (any SQLExecutor) throws -> T) async throws(ServiceError) -> T {
        try await tables.write(what) { (c) throws(ServiceError) in
            do { return try body(c) } catch let e as ServiceError { throw e } catch { throw Self.failure(error) }
        }
    }

    func read<T: Sendable>(_ what: String, _ body: @escaping @Sendable (any SQLExecutor) throws -> T) async throws(ServiceError) -> T {
        try await tables.read(what) { (c) throws(ServiceError) in
            do { return try body(c) } catch let e as ServiceError { throw e } catch { throw Self.failure(error) }
        }
    }

    // MARK: buckets

    package func buckets() async throws(ServiceError) -> [(name: String, region: String, createdMillis: Int64)] {
        try await read("the buckets") { c in
            try c.rows("SELECT name, region, created_ms FROM s3_buckets ORDER BY name", []).map {
                (name: $0[0].string ?? "", region: $0[1].string ?? "", createdMillis: $0[2].int64 ?? 0)
            }
        }
    }

    package func bucket(_ name: String) async throws(ServiceError) -> (region: String, createdMillis: Int64)? {
        try await cached(name).bucket.map { ($0.region, $0.createdMillis) }
    }

    /// A bucket and its configurations, from the cache or read into it.
    func cached(_ bucket: String) async throws(ServiceError) -> ConfigurationCache.Entry {
        if let entry = configurationCache.get(bucket) { return entry }
        let generation = configurationCache.generation(bucket)
        let entry = try await read("the bucket") { c in
            ConfigurationCache.Entry(
                bucket: try c.rows("SELECT region, created_ms FROM s3_buckets WHERE name = ?1", [.text(bucket)]).first.map {
                    (region: $0[0].string ?? "", createdMillis: $0[1].int64 ?? 0)
                },
                configurations: Dictionary(try c.rows("SELECT name, body FROM s3_bucket_configurations WHERE bucket = ?1", [.text(bucket)])
                    .map { ($0[0].string ?? "", $0[1].bytes ?? []) }, uniquingKeysWith: { a, _ in a }))
        }
        configurationCache.put(bucket, entry, ifStill: generation)
        return entry
    }

    /// Creates a bucket; false when it exists already.
    package func createBucket(_ name: String, region: String, now: Int64) async throws(ServiceError) -> Bool {
        defer { configurationCache.drop(name) }
        let tables = self.tables
        return try await write("the bucket") { c in
            try tables.notice(owner: Self.configurationNotice, key: name, on: c)
            return try c.run("INSERT INTO s3_buckets (name, region, created_ms) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                             [.text(name), .text(region), .integer(now)]) > 0
        }
    }

    /// Deletes an empty bucket: AWS's BucketNotEmpty otherwise.
    package func deleteBucket(_ name: String) async throws(ServiceError) {
        defer { configurationCache.drop(name) }
        let tables = self.tables
        try await write("the bucket") { c in
            let nonEmpty = try !c.rows("SELECT 1 FROM s3_objects WHERE bucket = ?1 UNION ALL SELECT 1 FROM s3_versions WHERE bucket = ?1 LIMIT 1",
                                       [.text(name)]).isEmpty
            if nonEmpty {
                let versioned = try Self.versioning(name, c) != .off
                throw ServiceError("BucketNotEmpty", "The bucket you tried to delete is not empty"
                                   + (versioned ? ". You must delete all versions in the bucket." : ""), kind: .conflict,
                                   details: ["BucketName": .string(name)])
            }
            if try c.run("DELETE FROM s3_buckets WHERE name = ?1", [.text(name)]) == 0 { throw S3Errors.noSuchBucket(name) }
            try c.run("DELETE FROM s3_bucket_configurations WHERE bucket = ?1", [.text(name)])
            try tables.notice(owner: Self.configurationNotice, key: name, on: c)
        }
    }

    /// A bucket's kept configuration document (`ownershipControls`, `policy`, …); nil removes it.
    package func setConfiguration(_ bucket: String, _ name: String, _ body: [UInt8]?) async throws(ServiceError) {
        defer { configurationCache.drop(bucket) }
        let tables = self.tables
        try await write("the bucket configuration") { c in
            try tables.notice(owner: Self.configurationNotice, key: bucket, on: c)
            if let body {
                try c.run("""
                    INSERT INTO s3_bucket_configurations (bucket, name, body) VALUES (?1, ?2, ?3)
                    ON CONFLICT (bucket, name) DO UPDATE SET body = excluded.body
                    """, [.text(bucket), .text(name), .bytes(body)])
            } else {
                try c.run("DELETE FROM s3_bucket_configurations WHERE bucket = ?1 AND name = ?2", [.text(bucket), .text(name)])
            }
        }
    }

    package func configuration(_ bucket: String, _ name: String) async throws(ServiceError) -> [UInt8]? {
        try await cached(bucket).configurations[name]
    }

    static func configuration(_ bucket: String, _ name: String, _ c: any SQLExecutor) throws -> [UInt8]? {
        try c.rows("SELECT body FROM s3_bucket_configurations WHERE bucket = ?1 AND name = ?2", [.text(bucket), .text(name)]).first
            .map { $0[0].bytes ?? [] }
    }

    /// The kept configurations whose names start with `prefix` (`metrics:` for the id-keyed
    /// ones), in name order, from the first name after `after`, at most `limit`.
    package func configurations(_ bucket: String, prefix: String, after: String?, limit: Int) async throws(ServiceError) -> [(name: String, body: [UInt8])] {
        try await read("the bucket configurations") { c in
            try c.rows("""
                SELECT name, body FROM s3_bucket_configurations WHERE bucket = ?1 AND name > ?2 AND name >= ?3 AND name < ?4
                ORDER BY name LIMIT ?5
                """, [.text(bucket), .text(after.map { prefix + $0 } ?? prefix), .text(prefix), .text(Self.successor(prefix)),
                      .integer(Int64(limit))]).map { (String(($0[0].string ?? "").dropFirst(prefix.count)), $0[1].bytes ?? []) }
        }
    }

    /// The least string greater than every string that starts with `prefix` (by UTF-8 bytes,
    /// as both databases compare these columns): the prefix and U+10FFFF, whose bytes no
    /// character's exceed.
    static func successor(_ prefix: String) -> String { prefix + "\u{10FFFF}" }

    static func failure(_ error: any Error) -> ServiceError { ServiceError("InternalError", "\(error)", kind: .server) }
}

/// Buckets (whether each exists, its region) and their configurations by name. An entry read
/// before a change is not kept after it: a read takes the bucket's generation first and
/// stores what it read only if no change dropped the bucket meanwhile. (A write checks the
/// bucket in its own transaction whatever the cache says.)
final class ConfigurationCache: Sendable {
    struct Entry: Sendable {
        var bucket: (region: String, createdMillis: Int64)?
        var configurations: [String: [UInt8]]
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var generations: [String: Int] = [:]
    }
    private let state = LockedValue(State())
    /// Buckets kept at most (a node serving more reads the rest each time).
    static let limit = 10_000

    func get(_ bucket: String) -> Entry? { state.value.entries[bucket] }

    func generation(_ bucket: String) -> Int { state.value.generations[bucket] ?? 0 }

    func put(_ bucket: String, _ all: Entry, ifStill generation: Int) {
        state.mutate { s in
            guard (s.generations[bucket] ?? 0) == generation, s.entries.count < Self.limit || s.entries[bucket] != nil else { return }
            s.entries[bucket] = all
        }
    }

    func drop(_ bucket: String) {
        state.mutate { s in
            s.entries[bucket] = nil
            s.generations[bucket, default: 0] += 1
        }
    }
}
