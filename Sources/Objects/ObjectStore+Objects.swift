import Foundation
import Journal
import ServiceKit
import StatesLanguage

extension ObjectStore {
    static func object(_ r: [SQLValue]) -> Object {
        Object(bucket: r[0].string ?? "", key: r[1].string ?? "", file: r[2].string ?? "", size: r[3].int64 ?? 0, etag: r[4].string ?? "",
               modifiedMillis: r[5].int64 ?? 0, headers: (try? JSONParser.parse(r[6].string ?? "{}"))?.objectValue ?? [:])
    }

    static let objectColumns = "bucket, key, file, size, etag, modified_ms, headers"

    static let objectAndBytesQuery = """
        SELECT o.bucket, o.key, o.file, o.size, o.etag, o.modified_ms, o.headers, c.bytes
        FROM s3_objects o LEFT JOIN s3_chunks c ON c.file = o.file AND c.n = 0 AND o.size <= ?3
        WHERE o.bucket = ?1 AND o.key = ?2
        """

    package func object(_ bucket: String, _ key: String) async throws(ServiceError) -> Object? {
        try await read("the object") { c in try Self.current(bucket, key, c) }
    }

    /// A key's current object and, when its bytes are one chunk in the database (on
    /// PostgreSQL, any object up to 1 MiB; on SQLite, one kept inline), those bytes, read in
    /// the same statement; `wanted` false (a HEAD) reads the row only.
    package func objectAndSmallBytes(_ bucket: String, _ key: String, wanted: Bool) async throws(ServiceError) -> (Object?, [UInt8]?) {
        guard wanted else { return (try await object(bucket, key), nil) }
        return try await read("the object") { c in
            guard let r = try c.rows(Self.objectAndBytesQuery, [.text(bucket), .text(key), .integer(Int64(PostgresObjectBytes.chunkBytes))])
                .first else { return (nil, nil) }
            return (Self.object(r), r.count > 7 ? r[7].bytes : nil)
        }
    }

    /// A conditional write (S3's If-None-Match: * and If-Match: ETAG on PutObject, CopyObject
    /// and CompleteMultipartUpload), checked in the write's own transaction, so two writers
    /// racing on `If-None-Match: *` cannot both win.
    package enum WriteCondition: Sendable {
        case none
        case absent
        case etag(String)
    }

    /// Commits an object whose bytes are stored (the bucket must exist); frees the bytes of the
    /// object it replaces once that is durable.
    /// `cause`: the event the bucket's notifications are told of, queued in the same transaction.
    /// Returns the version id the object was written as (nil in a bucket that never had
    /// versioning).
    @discardableResult
    package func put(_ o: Object, condition: WriteCondition = .none, cause: Cause? = nil) async throws(ServiceError) -> String? {
        let (freed, notified, versionId) = try await write("the object") { c -> ([String], Int, String?) in
            try Self.requireBucket(o.bucket, c)
            try Self.lockKey(o.bucket, o.key, c)
            try Self.check(condition, o.bucket, o.key, c)
            if let inline = o.inline {
                try c.run("INSERT INTO s3_chunks (file, n, bytes, written_ms) VALUES (?1, 0, ?2, ?3)",
                          [.text(o.file), .bytes(inline), .integer(o.modifiedMillis)])
            }
            var written = o
            written.inline = nil
            var freed: [String] = []
            let mode = try Self.versioning(o.bucket, c)
            if mode == .off {
                if let previous = try Self.upsert(o, c), previous != o.file { freed.append(previous) }
            } else {
                freed = try self.putVersion(&written, mode, c)
            }
            let notified = try cause.map { try self.queueNotifications([self.event($0, bucket: o.bucket, key: o.key, object: written)], c) } ?? 0
            return (freed, notified, written.headers[Self.versionHeader]?.stringValue)
        }
        if notified > 0 { queued() }
        await removeFiles(freed)
        return versionId
    }

    /// Inside a write on PostgreSQL: the key's writes one after another (a version's sequence,
    /// a condition, the row it replaces are read and written by one at a time). Nothing on
    /// SQLite (one writer).
    static func lockKey(_ bucket: String, _ key: String, _ c: any SQLExecutor) throws {
        guard c.isPostgres else { return }
        _ = try c.rows("SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))", [.text("s3/" + bucket + "/" + key)])
    }

    static func updateVersionHeaders(_ o: Object, id: String, _ c: any SQLExecutor) throws {
        try c.run("UPDATE s3_versions SET headers = ?4 WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
                  [.text(o.bucket), .text(o.key), .text(id), .text(JSON.object(o.headers).serialized)])
    }

    /// Deletes objects; the keys that existed, whose bytes are freed once that is durable.
    @discardableResult
    package func delete(_ bucket: String, keys: [String], cause: Cause? = nil) async throws(ServiceError) -> [String] {
        try await delete(bucket, entries: keys.map { ($0, nil) }, now: cause?.timeMillis ?? 0, cause: cause).map(\.key)
    }

    /// Deletes keys or versions of keys. In a bucket that never had versioning, a key's object
    /// goes (and only those that existed are told of); in one that has, a key without a
    /// version gets a delete marker and a version given is removed.
    package func delete(_ bucket: String, entries: [(key: String, versionId: String?)], now: Int64,
                        cause: Cause? = nil) async throws(ServiceError) -> [Deleted] {
        let (done, freed, notified) = try await write("the objects") { c -> ([Deleted], [String], Int) in
            try Self.requireBucket(bucket, c)
            let mode = try Self.versioning(bucket, c)
            var done: [Deleted] = []
            var freed: [String] = []
            var events: [ObjectEvent] = []
            for (key, versionId) in entries {
                try Self.lockKey(bucket, key, c)
                let everVersioned = try !Self.versions(bucket, key, c).isEmpty
                if mode == .off && !everVersioned && (versionId == nil || versionId == "null") {
                    guard let cur = try Self.current(bucket, key, c) else { continue }
                    try Self.removeCurrent(bucket, key, c)
                    freed.append(cur.file)
                    done.append(Deleted(key: key, versionId: versionId, deleteMarker: false))
                    if let cause { events.append(self.event(cause, bucket: bucket, key: key, object: nil)) }
                    continue
                }
                let (deleted, files) = try self.deleteVersioned(bucket, key, versionId: versionId,
                                                                mode == .off ? .suspended : mode, now: now, c)
                freed += files
                guard let deleted else { continue }
                done.append(deleted)
                if var cause {
                    if deleted.deleteMarker && versionId == nil { cause.event = "ObjectRemoved:DeleteMarkerCreated" }
                    var event = self.event(cause, bucket: bucket, key: key, object: nil)
                    // The version removed, or the marker made (whose eTag is that of no bytes).
                    event.versionId = deleted.versionId
                    if deleted.deleteMarker && versionId == nil { event.etag = "d41d8cd98f00b204e9800998ecf8427e" }
                    events.append(event)
                }
            }
            let notified = events.isEmpty ? 0 : try self.queueNotifications(events, c)
            return (done, freed, notified)
        }
        if notified > 0 { queued() }
        await removeFiles(freed)
        return done
    }

    /// Up to `limit` objects whose keys start with `prefix`, after `after`, in key order (UTF-8 bytes).
    package func list(_ bucket: String, prefix: String, after: String?, limit: Int) async throws(ServiceError) -> [Object] {
        try await read("the objects") { c in
            // The prefix's range as bytes: keys ≥ prefix (or > `after`, past it) and < the
            // prefix's successor. One bound each, so the database seeks the key index to the
            // page's start (an `OR` in the bound made SQLite scan from the prefix's start instead).
            let from = after.map { $0 >= prefix ? $0 : nil } ?? nil
            let lower = from == nil ? "key >= ?2" : "key > ?3"
            let upper = prefix.isEmpty ? "" : "AND key < ?5 AND substr(key, 1, length(?2)) = ?2"
            return try c.rows("""
                SELECT \(Self.objectColumns) FROM s3_objects WHERE bucket = ?1 AND \(lower) \(upper) ORDER BY key LIMIT ?4
                """, [.text(bucket), .text(prefix), .text(from ?? ""), .integer(Int64(limit)), .text(Self.successor(prefix))]).map(Self.object)
        }
    }

    /// Writes an object's row; the bytes' name of the one it replaces, if any.
    static func upsert(_ o: Object, _ c: any SQLExecutor) throws -> String? {
        let previous = try c.rows("SELECT file FROM s3_objects WHERE bucket = ?1 AND key = ?2", [.text(o.bucket), .text(o.key)]).first?[0].string
        try c.run("""
            INSERT INTO s3_objects (bucket, key, file, size, etag, modified_ms, headers) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            ON CONFLICT (bucket, key) DO UPDATE SET file = excluded.file, size = excluded.size, etag = excluded.etag,
                modified_ms = excluded.modified_ms, headers = excluded.headers
            """, [.text(o.bucket), .text(o.key), .text(o.file), .integer(o.size), .text(o.etag), .integer(o.modifiedMillis),
                  .text(JSON.object(o.headers).serialized)])
        return previous
    }

    static func check(_ condition: WriteCondition, _ bucket: String, _ key: String, _ c: any SQLExecutor) throws {
        if case .none = condition { return }
        let current = try c.rows("SELECT etag FROM s3_objects WHERE bucket = ?1 AND key = ?2", [.text(bucket), .text(key)]).first?[0].string
        func failed(_ header: String) -> ServiceError {
            ServiceError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", kind: .preconditionFailed,
                         details: ["Condition": .string(header)])
        }
        switch condition {
        case .none: return
        case .absent: if current != nil { throw failed("If-None-Match") }
        case .etag(let tag):
            guard let current else { throw S3Errors.noSuchKey(key) }
            if tag.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) != current { throw failed("If-Match") }
        }
    }

    static func requireUpload(_ id: String, _ c: any SQLExecutor) throws {
        if try c.rows("SELECT 1 FROM s3_uploads WHERE upload_id = ?1", [.text(id)]).isEmpty { throw S3Errors.noSuchUpload(id) }
    }

    static func requireBucket(_ bucket: String, _ c: any SQLExecutor) throws {
        if try c.rows("SELECT 1 FROM s3_buckets WHERE name = ?1", [.text(bucket)]).isEmpty { throw S3Errors.noSuchBucket(bucket) }
    }

    // MARK: multipart uploads

    package func createUpload(_ u: Upload) async throws(ServiceError) {
        try await write("the upload") { c in
            try Self.requireBucket(u.bucket, c)
            try c.run("INSERT INTO s3_uploads (upload_id, bucket, key, initiated_ms, headers) VALUES (?1, ?2, ?3, ?4, ?5)",
                      [.text(u.id), .text(u.bucket), .text(u.key), .integer(u.initiatedMillis), .text(JSON.object(u.headers).serialized)])
        }
    }

    package func upload(_ id: String) async throws(ServiceError) -> Upload? {
        try await read("the upload") { c in
            try c.rows("SELECT upload_id, bucket, key, initiated_ms, headers FROM s3_uploads WHERE upload_id = ?1", [.text(id)]).first.map(Self.upload)
        }
    }

    static func upload(_ r: [SQLValue]) -> Upload {
        Upload(id: r[0].string ?? "", bucket: r[1].string ?? "", key: r[2].string ?? "", initiatedMillis: r[3].int64 ?? 0,
               headers: (try? JSONParser.parse(r[4].string ?? "{}"))?.objectValue ?? [:])
    }

    package func uploads(_ bucket: String) async throws(ServiceError) -> [Upload] {
        try await read("the uploads") { c in
            try c.rows("SELECT upload_id, bucket, key, initiated_ms, headers FROM s3_uploads WHERE bucket = ?1 ORDER BY key, initiated_ms",
                       [.text(bucket)]).map(Self.upload)
        }
    }

    /// Commits a part whose bytes are stored; a part uploaded again under its number replaces it.
    package func putPart(_ uploadId: String, _ p: Part) async throws(ServiceError) {
        let replaced = try await write("the part") { c -> String? in
            try Self.requireUpload(uploadId, c)
            try Self.lockKey("upload:" + uploadId, String(p.number), c)
            let previous = try c.rows("SELECT file FROM s3_parts WHERE upload_id = ?1 AND part = ?2",
                                      [.text(uploadId), .integer(Int64(p.number))]).first?[0].string
            try c.run("""
                INSERT INTO s3_parts (upload_id, part, file, size, etag, modified_ms, checksum) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                ON CONFLICT (upload_id, part) DO UPDATE SET file = excluded.file, size = excluded.size, etag = excluded.etag,
                    modified_ms = excluded.modified_ms, checksum = excluded.checksum
                """, [.text(uploadId), .integer(Int64(p.number)), .text(p.file), .integer(p.size), .text(p.etag), .integer(p.modifiedMillis),
                      .text(p.checksum)])
            return previous
        }
        if let replaced { await removeFiles([replaced]) }
    }

    package func parts(_ uploadId: String) async throws(ServiceError) -> [Part] {
        try await read("the parts") { c in
            try c.rows("SELECT part, file, size, etag, modified_ms, checksum FROM s3_parts WHERE upload_id = ?1 ORDER BY part", [.text(uploadId)]).map {
                Part(number: Int($0[0].int64 ?? 0), file: $0[1].string ?? "", size: $0[2].int64 ?? 0, etag: $0[3].string ?? "",
                     modifiedMillis: $0[4].int64 ?? 0, checksum: $0[5].string)
            }
        }
    }

    /// Ends an upload: its object committed (`object` nil: aborted) and its rows gone in one
    /// transaction, then the parts' bytes freed.
    package func finish(_ uploadId: String, object: Object?, condition: WriteCondition = .none, cause: Cause? = nil) async throws(ServiceError) {
        let (files, replaced, notified) = try await write("the upload") { c -> ([String], String?, Int) in
            try Self.requireUpload(uploadId, c)
            let files = try c.rows("SELECT file FROM s3_parts WHERE upload_id = ?1", [.text(uploadId)]).map { $0[0].string ?? "" }
            var previous: String?
            var notified = 0
            if var o = object {
                try Self.lockKey(o.bucket, o.key, c)
                try Self.check(condition, o.bucket, o.key, c)
                let mode = try Self.versioning(o.bucket, c)
                if mode == .off {
                    previous = try Self.upsert(o, c)
                } else {
                    let freed = try self.putVersion(&o, mode, c)
                    previous = freed.first
                }
                if let cause { notified = try self.queueNotifications([self.event(cause, bucket: o.bucket, key: o.key, object: o)], c) }
            }
            // A second Complete or Abort of the same upload (another node) finds no upload.
            if try c.run("DELETE FROM s3_uploads WHERE upload_id = ?1", [.text(uploadId)]) == 0 { throw S3Errors.noSuchUpload(uploadId) }
            try c.run("DELETE FROM s3_parts WHERE upload_id = ?1", [.text(uploadId)])
            return (files, previous, notified)
        }
        if notified > 0 { queued() }
        await removeFiles(files + (replaced.map { [$0] } ?? []))
    }
}
