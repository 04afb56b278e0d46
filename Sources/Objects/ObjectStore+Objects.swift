import Foundation
import Journal
import ServiceKit
import StatesLanguage

extension ObjectStore {
    static func object(_ s: Statement) -> Object {
        Object(bucket: s.string(0) ?? "", key: s.string(1) ?? "", file: s.string(2) ?? "", size: s.int64(3), etag: s.string(4) ?? "",
               modifiedMillis: s.int64(5), headers: (try? JSONParser.parse(s.string(6) ?? "{}"))?.objectValue ?? [:])
    }

    static let objectColumns = "bucket, key, file, size, etag, modified_ms, headers"

    package func object(_ bucket: String, _ key: String) throws(ServiceError) -> Object? {
        try db.read("the object") { c throws(ServiceError) in
            do {
                let s = try c.statement("SELECT \(Self.objectColumns) FROM s3_objects WHERE bucket = ?1 AND key = ?2")
                s.bind(1, bucket)
                s.bind(2, key)
                defer { s.reset() }
                return try s.step() ? Self.object(s) : nil
            } catch { throw Self.failure(error) }
        }
    }

    /// Commits an object whose file is in place (the bucket must exist); removes the file of
    /// the object it replaces once that is durable.
    /// A conditional write (S3's If-None-Match: * and If-Match: ETAG on PutObject, CopyObject
    /// and CompleteMultipartUpload), checked in the write's own transaction, so two writers
    /// racing on `If-None-Match: *` cannot both win.
    package enum WriteCondition: Sendable {
        case none
        case absent
        case etag(String)
    }

    /// `cause`: the event the bucket's notifications are told of, queued in the same transaction.
    /// Returns the version id the object was written as (nil in a bucket that never had
    /// versioning).
    @discardableResult
    package func put(_ o: Object, condition: WriteCondition = .none, cause: Cause? = nil) async throws(ServiceError) -> String? {
        let (freed, notified, versionId) = try await db.write("the object") { c throws(ServiceError) -> ([String], Int, String?) in
            do {
                try Self.requireBucket(o.bucket, c)
                try Self.check(condition, o.bucket, o.key, c)
                var written = o
                var freed: [String] = []
                let mode = try Self.versioning(o.bucket, c)
                if mode == .off {
                    if let previous = try Self.upsert(o, c), previous != o.file { freed.append(previous) }
                } else {
                    freed = try self.putVersion(&written, mode, c)
                }
                let notified = try cause.map { try self.queueNotifications([self.event($0, bucket: o.bucket, key: o.key, object: written)], c) } ?? 0
                return (freed, notified, written.headers[Self.versionHeader]?.stringValue)
            } catch let e as ServiceError { throw e } catch { throw Self.failure(error) }
        }
        if notified > 0 { queued() }
        removeFiles(freed)
        return versionId
    }

    static func updateVersionHeaders(_ o: Object, id: String, _ c: SQLiteConnection) throws {
        let s = try c.statement("UPDATE s3_versions SET headers = ?4 WHERE bucket = ?1 AND key = ?2 AND version_id = ?3")
        s.bind(1, o.bucket)
        s.bind(2, o.key)
        s.bind(3, id)
        s.bind(4, JSON.object(o.headers).serialized)
        try s.run()
    }

    /// Deletes objects; the keys that existed, whose files are removed once that is durable.
    @discardableResult
    package func delete(_ bucket: String, keys: [String], cause: Cause? = nil) async throws(ServiceError) -> [String] {
        try await delete(bucket, entries: keys.map { ($0, nil) }, now: cause?.timeMillis ?? 0, cause: cause).map(\.key)
    }

    /// Deletes keys or versions of keys. In a bucket that never had versioning, a key's object
    /// goes (and only those that existed are told of); in one that has, a key without a
    /// version gets a delete marker and a version given is removed.
    package func delete(_ bucket: String, entries: [(key: String, versionId: String?)], now: Int64,
                        cause: Cause? = nil) async throws(ServiceError) -> [Deleted] {
        let (done, freed, notified) = try await db.write("the objects") { c throws(ServiceError) -> ([Deleted], [String], Int) in
            do {
                try Self.requireBucket(bucket, c)
                let mode = try Self.versioning(bucket, c)
                var done: [Deleted] = []
                var freed: [String] = []
                var events: [ObjectEvent] = []
                for (key, versionId) in entries {
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
            } catch let e as ServiceError { throw e } catch { throw Self.failure(error) }
        }
        if notified > 0 { queued() }
        removeFiles(freed)
        return done
    }

    /// Up to `limit` objects whose keys start with `prefix`, after `after`, in key order (UTF-8 bytes).
    package func list(_ bucket: String, prefix: String, after: String?, limit: Int) throws(ServiceError) -> [Object] {
        try db.read("the objects") { c throws(ServiceError) in
            do {
                // The prefix's range as bytes: keys ≥ prefix (or > `after`, past it) and < the
                // prefix's successor. One bound each, so SQLite seeks the key index to the page's
                // start (an `OR` in the bound made it scan from the prefix's start instead).
                let from = after.map { $0 >= prefix ? $0 : nil } ?? nil
                let lower = from == nil ? "key >= ?2" : "key > ?3"
                let upper = prefix.isEmpty ? "" : "AND key < ?2 || char(1114111)"
                let s = try c.statement("""
                    SELECT \(Self.objectColumns) FROM s3_objects WHERE bucket = ?1 AND \(lower) \(upper)
                    AND substr(key, 1, length(?2)) = ?2 ORDER BY key LIMIT ?4
                    """)
                s.bind(1, bucket)
                s.bind(2, prefix)
                s.bind(3, from ?? "")
                s.bind(4, limit)
                return try s.all(Self.object)
            } catch { throw Self.failure(error) }
        }
    }

    /// Writes an object's row; the file of the one it replaces, if any.
    static func upsert(_ o: Object, _ c: SQLiteConnection) throws -> String? {
        let old = try c.statement("SELECT file FROM s3_objects WHERE bucket = ?1 AND key = ?2")
        old.bind(1, o.bucket)
        old.bind(2, o.key)
        let previous = try old.step() ? old.string(0) : nil
        old.reset()
        let s = try c.statement("""
            INSERT OR REPLACE INTO s3_objects (bucket, key, file, size, etag, modified_ms, headers) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            """)
        s.bind(1, o.bucket)
        s.bind(2, o.key)
        s.bind(3, o.file)
        s.bind(4, o.size)
        s.bind(5, o.etag)
        s.bind(6, o.modifiedMillis)
        s.bind(7, JSON.object(o.headers).serialized)
        try s.run()
        return previous
    }

    static func check(_ condition: WriteCondition, _ bucket: String, _ key: String, _ c: SQLiteConnection) throws {
        if case .none = condition { return }
        let s = try c.statement("SELECT etag FROM s3_objects WHERE bucket = ?1 AND key = ?2")
        s.bind(1, bucket)
        s.bind(2, key)
        let current = try s.step() ? s.string(0) : nil
        s.reset()
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

    static func requireUpload(_ id: String, _ c: SQLiteConnection) throws {
        let u = try c.statement("SELECT 1 FROM s3_uploads WHERE upload_id = ?1")
        u.bind(1, id)
        let exists = try u.step()
        u.reset()
        if !exists { throw S3Errors.noSuchUpload(id) }
    }

    static func requireBucket(_ bucket: String, _ c: SQLiteConnection) throws -> Void {
        let b = try c.statement("SELECT 1 FROM s3_buckets WHERE name = ?1")
        b.bind(1, bucket)
        let exists = try b.step()
        b.reset()
        if !exists { throw S3Errors.noSuchBucket(bucket) }
    }

    // MARK: multipart uploads

    package func createUpload(_ u: Upload) async throws(ServiceError) {
        try await db.write("the upload") { c throws(ServiceError) in
            do {
                try Self.requireBucket(u.bucket, c)
                let s = try c.statement("INSERT INTO s3_uploads (upload_id, bucket, key, initiated_ms, headers) VALUES (?1, ?2, ?3, ?4, ?5)")
                s.bind(1, u.id)
                s.bind(2, u.bucket)
                s.bind(3, u.key)
                s.bind(4, u.initiatedMillis)
                s.bind(5, JSON.object(u.headers).serialized)
                try s.run()
            } catch let e as ServiceError { throw e } catch { throw Self.failure(error) }
        }
    }

    package func upload(_ id: String) throws(ServiceError) -> Upload? {
        try db.read("the upload") { c throws(ServiceError) in
            do {
                let s = try c.statement("SELECT upload_id, bucket, key, initiated_ms, headers FROM s3_uploads WHERE upload_id = ?1")
                s.bind(1, id)
                defer { s.reset() }
                guard try s.step() else { return nil }
                return Self.upload(s)
            } catch { throw Self.failure(error) }
        }
    }

    static func upload(_ s: Statement) -> Upload {
        Upload(id: s.string(0) ?? "", bucket: s.string(1) ?? "", key: s.string(2) ?? "", initiatedMillis: s.int64(3),
               headers: (try? JSONParser.parse(s.string(4) ?? "{}"))?.objectValue ?? [:])
    }

    package func uploads(_ bucket: String) throws(ServiceError) -> [Upload] {
        try db.read("the uploads") { c throws(ServiceError) in
            do {
                let s = try c.statement("SELECT upload_id, bucket, key, initiated_ms, headers FROM s3_uploads WHERE bucket = ?1 ORDER BY key, initiated_ms")
                s.bind(1, bucket)
                return try s.all(Self.upload)
            } catch { throw Self.failure(error) }
        }
    }

    /// Commits a part whose file is in place; a part uploaded again under its number replaces it.
    package func putPart(_ uploadId: String, _ p: Part) async throws(ServiceError) {
        let replaced = try await db.write("the part") { c throws(ServiceError) -> String? in
            do {
                try Self.requireUpload(uploadId, c)
                let old = try c.statement("SELECT file FROM s3_parts WHERE upload_id = ?1 AND part = ?2")
                old.bind(1, uploadId)
                old.bind(2, p.number)
                let previous = try old.step() ? old.string(0) : nil
                old.reset()
                let s = try c.statement("""
                    INSERT OR REPLACE INTO s3_parts (upload_id, part, file, size, etag, modified_ms, checksum) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                    """)
                s.bind(7, p.checksum)
                s.bind(1, uploadId)
                s.bind(2, p.number)
                s.bind(3, p.file)
                s.bind(4, p.size)
                s.bind(5, p.etag)
                s.bind(6, p.modifiedMillis)
                try s.run()
                return previous
            } catch let e as ServiceError { throw e } catch { throw Self.failure(error) }
        }
        if let replaced { removeFiles([replaced]) }
    }

    package func parts(_ uploadId: String) throws(ServiceError) -> [Part] {
        try db.read("the parts") { c throws(ServiceError) in
            do {
                let s = try c.statement("SELECT part, file, size, etag, modified_ms, checksum FROM s3_parts WHERE upload_id = ?1 ORDER BY part")
                s.bind(1, uploadId)
                return try s.all { Part(number: Int($0.int64(0)), file: $0.string(1) ?? "", size: $0.int64(2), etag: $0.string(3) ?? "",
                                        modifiedMillis: $0.int64(4), checksum: $0.string(5)) }
            } catch { throw Self.failure(error) }
        }
    }

    /// Ends an upload: its object committed (`object` nil: aborted) and its rows gone in one
    /// transaction, then the part files removed.
    package func finish(_ uploadId: String, object: Object?, condition: WriteCondition = .none, cause: Cause? = nil) async throws(ServiceError) {
        let (files, replaced, notified) = try await db.write("the upload") { c throws(ServiceError) -> ([String], String?, Int) in
            do {
                try Self.requireUpload(uploadId, c)
                let f = try c.statement("SELECT file FROM s3_parts WHERE upload_id = ?1")
                f.bind(1, uploadId)
                let files = try f.all { $0.string(0) ?? "" }
                var previous: String?
                var notified = 0
                if var o = object {
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
                for sql in ["DELETE FROM s3_parts WHERE upload_id = ?1", "DELETE FROM s3_uploads WHERE upload_id = ?1"] {
                    let d = try c.statement(sql)
                    d.bind(1, uploadId)
                    try d.run()
                }
                return (files, previous, notified)
            } catch let e as ServiceError { throw e } catch { throw Self.failure(error) }
        }
        if notified > 0 { queued() }
        removeFiles(files + (replaced.map { [$0] } ?? []))
    }
}
