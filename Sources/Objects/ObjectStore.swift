import Engine
import Foundation
import Journal
import ServiceKit
import StatesLanguage

/// Buckets and objects: each object's bytes in a file of its own under `objects/` in the data
/// directory, its metadata in the journal's database (component `s3`). An upload is written
/// to a temporary file, fsynced and renamed before its row is committed, so an object is
/// visible only once whole and durable; a crash mid-upload leaves a temporary file, removed
/// at the next start with any file no row names.
package final class ObjectStore: Sendable {
    let db: SQLiteJournal
    package let directory: String
    let region: String
    let account: String
    /// Below the millisecond in notification sequencers.
    let sequence = LockedValue<Int64>(0)
    /// Called after a write that queued notifications committed (wakes their worker).
    let queued: @Sendable () -> Void
    /// The object directory's fsync, shared by concurrent uploads.
    let directorySync: GroupSync

    package init(_ db: SQLiteJournal, dataDirectory: String, region: String = "us-east-1", account: String = "000000000000",
                 queued: @escaping @Sendable () -> Void = {}) async throws(ServiceError) {
        self.db = db
        directory = dataDirectory + "/objects"
        directorySync = GroupSync(directory: dataDirectory + "/objects")
        self.region = region
        self.account = account
        self.queued = queued
        do {
            try await db.migrate(component: "s3", Self.steps)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ServiceError("InternalError", "the object store cannot be opened: \(error)", kind: .server)
        }
        try sweep()
    }

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

    func path(_ file: String) -> String { directory + "/" + file }

    /// Removes what a crash left: temporary files, and files no object or part names.
    func sweep() throws(ServiceError) {
        let named = try db.read("the object files") { c throws(ServiceError) -> Set<String> in
            do {
                var out: Set<String> = []
                for sql in ["SELECT file FROM s3_objects", "SELECT file FROM s3_parts", "SELECT file FROM s3_versions"] {
                    let s = try c.statement(sql)
                    for f in try s.all({ $0.string(0) ?? "" }) { out.insert(f) }
                }
                return out
            } catch { throw ServiceError("InternalError", "\(error)", kind: .server) }
        }
        let present = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for f in present where !named.contains(f) { try? FileManager.default.removeItem(atPath: path(f)) }
    }

    func removeFiles(_ files: [String]) {
        for f in files { try? FileManager.default.removeItem(atPath: path(f)) }
    }

    // MARK: buckets

    package func buckets() throws(ServiceError) -> [(name: String, region: String, createdMillis: Int64)] {
        try db.read("the buckets") { c throws(ServiceError) in
            do {
                return try c.statement("SELECT name, region, created_ms FROM s3_buckets ORDER BY name").all {
                    (name: $0.string(0) ?? "", region: $0.string(1) ?? "", createdMillis: $0.int64(2))
                }
            } catch { throw Self.failure(error) }
        }
    }

    package func bucket(_ name: String) throws(ServiceError) -> (region: String, createdMillis: Int64)? {
        try db.read("the bucket") { c throws(ServiceError) in
            do {
                let s = try c.statement("SELECT region, created_ms FROM s3_buckets WHERE name = ?1")
                s.bind(1, name)
                defer { s.reset() }
                return try s.step() ? (s.string(0) ?? "", s.int64(1)) : nil
            } catch { throw Self.failure(error) }
        }
    }

    /// Creates a bucket; false when it exists already.
    package func createBucket(_ name: String, region: String, now: Int64) async throws(ServiceError) -> Bool {
        try await db.write("the bucket") { c throws(ServiceError) in
            do {
                let s = try c.statement("INSERT INTO s3_buckets (name, region, created_ms) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")
                s.bind(1, name)
                s.bind(2, region)
                s.bind(3, now)
                try s.run()
                return c.changes > 0
            } catch { throw Self.failure(error) }
        }
    }

    /// Deletes an empty bucket: AWS's BucketNotEmpty otherwise.
    package func deleteBucket(_ name: String) async throws(ServiceError) {
        try await db.write("the bucket") { c throws(ServiceError) in
            do {
                let e = try c.statement("SELECT 1 FROM s3_objects WHERE bucket = ?1 UNION ALL SELECT 1 FROM s3_versions WHERE bucket = ?1 LIMIT 1")
                e.bind(1, name)
                let nonEmpty = try e.step()
                e.reset()
                if nonEmpty {
                    let versioned = try Self.versioning(name, c) != .off
                    throw ServiceError("BucketNotEmpty", "The bucket you tried to delete is not empty"
                                       + (versioned ? ". You must delete all versions in the bucket." : ""), kind: .conflict,
                                       details: ["BucketName": .string(name)])
                }
                let d = try c.statement("DELETE FROM s3_buckets WHERE name = ?1")
                d.bind(1, name)
                try d.run()
                if c.changes == 0 { throw S3Errors.noSuchBucket(name) }
                let configurations = try c.statement("DELETE FROM s3_bucket_configurations WHERE bucket = ?1")
                configurations.bind(1, name)
                try configurations.run()
            } catch let e as ServiceError { throw e } catch { throw Self.failure(error) }
        }
    }

    /// A bucket's kept configuration document (`ownershipControls`, `policy`, …); nil removes it.
    package func setConfiguration(_ bucket: String, _ name: String, _ body: [UInt8]?) async throws(ServiceError) {
        try await db.write("the bucket configuration") { c throws(ServiceError) in
            do {
                let s = try c.statement(body == nil ? "DELETE FROM s3_bucket_configurations WHERE bucket = ?1 AND name = ?2"
                                                    : "INSERT OR REPLACE INTO s3_bucket_configurations (bucket, name, body) VALUES (?1, ?2, ?3)")
                s.bind(1, bucket)
                s.bind(2, name)
                if let body { s.bind(3, blob: body) }
                try s.run()
            } catch { throw Self.failure(error) }
        }
    }

    package func configuration(_ bucket: String, _ name: String) throws(ServiceError) -> [UInt8]? {
        try db.read("the bucket configuration") { c throws(ServiceError) in
            do {
                let s = try c.statement("SELECT body FROM s3_bucket_configurations WHERE bucket = ?1 AND name = ?2")
                s.bind(1, bucket)
                s.bind(2, name)
                defer { s.reset() }
                return try s.step() ? (s.blob(0) ?? []) : nil
            } catch { throw Self.failure(error) }
        }
    }

    /// The kept configurations whose names start with `prefix` (`metrics:` for the id-keyed
    /// ones), in name order, from the first name after `after`, at most `limit`.
    package func configurations(_ bucket: String, prefix: String, after: String?, limit: Int) throws(ServiceError) -> [(name: String, body: [UInt8])] {
        try db.read("the bucket configurations") { c throws(ServiceError) in
            do {
                let s = try c.statement("""
                    SELECT name, body FROM s3_bucket_configurations WHERE bucket = ?1 AND name > ?2 AND substr(name, 1, ?4) = ?3
                    ORDER BY name LIMIT ?5
                    """)
                s.bind(1, bucket)
                s.bind(2, after.map { prefix + $0 } ?? prefix)
                s.bind(3, prefix)
                s.bind(4, Int64(prefix.utf8.count))
                s.bind(5, Int64(limit))
                defer { s.reset() }
                var out: [(String, [UInt8])] = []
                while try s.step() { out.append((String((s.string(0) ?? "").dropFirst(prefix.count)), s.blob(1) ?? [])) }
                return out
            } catch { throw Self.failure(error) }
        }
    }

    static func failure(_ error: any Error) -> ServiceError { ServiceError("InternalError", "\(error)", kind: .server) }
}
