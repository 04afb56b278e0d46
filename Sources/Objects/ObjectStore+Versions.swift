import Journal
import ServiceKit
import StatesLanguage

/// Versioning, in the write's own transaction. A bucket whose versioning is Enabled keeps
/// every version of a key in `s3_versions` (its current one is also the key's row in
/// `s3_objects`, with its id in the `x-amz-version-id` header); a delete without a version
/// adds a delete marker. Suspended writes the `null` version, replacing the previous `null`.
/// An object written before versioning was enabled is the `null` version.
extension ObjectStore {
    package enum Versioning: String, Sendable {
        case off, enabled = "Enabled", suspended = "Suspended"
    }

    /// A version of a key: an object, or a delete marker.
    package struct Version: Sendable {
        package var object: Object
        package var id: String
        package var deleteMarker: Bool
        package var seq: Int64
        /// The key's newest version (set by listVersions).
        package var isLatest = false
    }

    static let versionHeader = "x-amz-version-id"

    static func versioning(_ bucket: String, _ c: any SQLExecutor) throws -> Versioning {
        guard let body = try configuration(bucket, "versioning", c) else { return .off }
        return Versioning(rawValue: String(decoding: body, as: UTF8.self)) ?? .off
    }

    package func versioning(_ bucket: String) async throws(ServiceError) -> Versioning {
        try await read("the bucket's versioning") { c in try Self.versioning(bucket, c) }
    }

    /// A new version id: time-ordered, 32 characters of S3's alphabet.
    func newVersionId(now: Int64) -> String {
        let n = UInt64(sequence.next() & 0xFFFFF)
        let millis = UInt64(max(0, now))
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._")
        var v = millis << 20 | n
        var out: [Character] = []
        while v > 0 { out.append(alphabet[Int(v % 64)]); v /= 64 }
        let random = (UUIDText.randomHex() + UUIDText.randomHex()).prefix(32 - out.count)
        return String(out.reversed()) + random
    }

    /// When a version id of ours was made (its leading digits: milliseconds and a sequence);
    /// nil for `null` and ids not made here.
    static func versionTime(_ id: String) -> UInt64? {
        let digits = Array(id.utf8.prefix(11))
        guard digits.count == 11 else { return nil }
        var v: UInt64 = 0
        for d in digits {
            let i: UInt64
            switch d {
            case 48...57: i = UInt64(d - 48)
            case 65...90: i = UInt64(d - 65) + 10
            case 97...122: i = UInt64(d - 97) + 36
            case 46: i = 62
            case 95: i = 63
            default: return nil
            }
            v = v &* 64 &+ i
        }
        return v
    }

    func nextSeq(_ bucket: String, _ key: String, _ c: any SQLExecutor) throws -> Int64 {
        (try c.rows("SELECT MAX(seq) FROM s3_versions WHERE bucket = ?1 AND key = ?2", [.text(bucket), .text(key)]).first?[0].int64 ?? 0) + 1
    }

    static func insertVersion(_ o: Object, id: String, seq: Int64, deleteMarker: Bool, _ c: any SQLExecutor) throws {
        try c.run("""
            INSERT INTO s3_versions (bucket, key, seq, version_id, file, size, etag, modified_ms, headers, delete_marker)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            """, [.text(o.bucket), .text(o.key), .integer(seq), .text(id), .text(o.file), .integer(o.size), .text(o.etag),
                  .integer(o.modifiedMillis), .text(JSON.object(o.headers).serialized), .integer(deleteMarker ? 1 : 0)])
    }

    static func current(_ bucket: String, _ key: String, _ c: any SQLExecutor) throws -> Object? {
        try c.rows("SELECT \(objectColumns) FROM s3_objects WHERE bucket = ?1 AND key = ?2", [.text(bucket), .text(key)]).first.map(object)
    }

    /// Removes a key's current row (its versions, if any, stay).
    static func removeCurrent(_ bucket: String, _ key: String, _ c: any SQLExecutor) throws {
        try c.run("DELETE FROM s3_objects WHERE bucket = ?1 AND key = ?2", [.text(bucket), .text(key)])
    }

    static let versionColumns = "bucket, key, file, size, etag, modified_ms, headers, version_id, delete_marker, seq"

    static func version(_ r: [SQLValue]) -> Version {
        Version(object: object(r), id: r[7].string ?? "", deleteMarker: (r[8].int64 ?? 0) != 0, seq: r[9].int64 ?? 0)
    }

    static func versions(_ bucket: String, _ key: String, _ c: any SQLExecutor) throws -> [Version] {
        try c.rows("SELECT \(versionColumns) FROM s3_versions WHERE bucket = ?1 AND key = ?2 ORDER BY seq DESC",
                   [.text(bucket), .text(key)]).map(version)
    }

    /// The current object kept as a version before it is replaced or hidden: an object from
    /// before versioning becomes the `null` version.
    func keepCurrent(_ bucket: String, _ key: String, _ c: any SQLExecutor) throws {
        guard var prev = try Self.current(bucket, key, c), prev.headers[Self.versionHeader] == nil else { return }
        prev.headers[Self.versionHeader] = "null"
        try Self.insertVersion(prev, id: "null", seq: try nextSeq(bucket, key, c), deleteMarker: false, c)
    }

    /// Removes a key's `null` version (Suspended writes replace it); its file, unless `keep`.
    func dropNullVersion(_ bucket: String, _ key: String, keep: String?, _ c: any SQLExecutor) throws -> [String] {
        let files = try c.rows("SELECT file FROM s3_versions WHERE bucket = ?1 AND key = ?2 AND version_id = 'null'", [.text(bucket), .text(key)])
            .map { $0[0].string ?? "" }.filter { !$0.isEmpty && $0 != keep }
        try c.run("DELETE FROM s3_versions WHERE bucket = ?1 AND key = ?2 AND version_id = 'null'", [.text(bucket), .text(key)])
        return files
    }

    /// A versioned write: the new version recorded and made current. Returns the files no
    /// version names any more.
    func putVersion(_ o: inout Object, _ mode: Versioning, _ c: any SQLExecutor) throws -> [String] {
        try keepCurrent(o.bucket, o.key, c)
        let id = mode == .enabled ? newVersionId(now: o.modifiedMillis) : "null"
        var freed: [String] = []
        if id == "null" { freed = try dropNullVersion(o.bucket, o.key, keep: o.file, c) }
        o.headers[Self.versionHeader] = .string(id)
        try Self.insertVersion(o, id: id, seq: try nextSeq(o.bucket, o.key, c), deleteMarker: false, c)
        _ = try Self.upsert(o, c)
        return freed
    }

    /// What a versioned delete did.
    package struct Deleted: Sendable {
        package var key: String
        package var versionId: String?
        package var deleteMarker: Bool
    }

    /// A delete in a bucket that has had versioning: without a version, a delete marker; with
    /// one, that version gone (and the newest remaining one current). Returns what was done
    /// and the files no version names any more.
    func deleteVersioned(_ bucket: String, _ key: String, versionId: String?, _ mode: Versioning, now: Int64,
                         _ c: any SQLExecutor) throws -> (Deleted?, [String]) {
        guard let versionId else {
            try keepCurrent(bucket, key, c)
            let id = mode == .enabled ? newVersionId(now: now) : "null"
            var freed: [String] = []
            if id == "null" { freed = try dropNullVersion(bucket, key, keep: nil, c) }
            let marker = Object(bucket: bucket, key: key, file: "", size: 0, etag: "d41d8cd98f00b204e9800998ecf8427e",
                                modifiedMillis: now, headers: [Self.versionHeader: .string(id)])
            try Self.insertVersion(marker, id: id, seq: try nextSeq(bucket, key, c), deleteMarker: true, c)
            try Self.removeCurrent(bucket, key, c)
            return (Deleted(key: key, versionId: id, deleteMarker: true), freed)
        }
        // An object from before versioning is the null version, kept only as the current row.
        if versionId == "null", let cur = try Self.current(bucket, key, c), cur.headers[Self.versionHeader] == nil {
            try Self.removeCurrent(bucket, key, c)
            return (Deleted(key: key, versionId: "null", deleteMarker: false), [cur.file])
        }
        let all = try Self.versions(bucket, key, c)
        guard let gone = all.first(where: { $0.id == versionId }) else { return (nil, []) }
        try c.run("DELETE FROM s3_versions WHERE bucket = ?1 AND key = ?2 AND seq = ?3", [.text(bucket), .text(key), .integer(gone.seq)])
        // The newest version left is current again (none when it is a delete marker).
        if gone.seq == all.first?.seq {
            let rest = all.dropFirst()
            try Self.removeCurrent(bucket, key, c)
            if let newest = rest.first, !newest.deleteMarker { _ = try Self.upsert(newest.object, c) }
        }
        return (Deleted(key: key, versionId: versionId, deleteMarker: gone.deleteMarker), gone.deleteMarker ? [] : [gone.object.file])
    }

    /// A change of one version's metadata (its tags, its ACL), not a new version: its row in
    /// `s3_versions`, and the key's current row when it is the current version.
    package func update(_ o: Object, cause: Cause? = nil) async throws(ServiceError) {
        let notified = try await write("the object's metadata") { c -> Int in
            try Self.lockKey(o.bucket, o.key, c)
            let id = o.headers[Self.versionHeader]?.stringValue
            if let id { try Self.updateVersionHeaders(o, id: id, c) }
            let current = try Self.current(o.bucket, o.key, c)
            if let current, current.headers[Self.versionHeader]?.stringValue == id { _ = try Self.upsert(o, c) }
            return try cause.map { try self.queueNotifications([self.event($0, bucket: o.bucket, key: o.key, object: o)], c) } ?? 0
        }
        if notified > 0 { queued() }
    }

    /// The object a request names: the key's current one, or the version of `versionId`
    /// (NoSuchVersion when there is none, MethodNotAllowed for a delete marker).
    package func object(_ bucket: String, _ key: String, versionId: String?, method: String) async throws(ServiceError) -> Object? {
        guard let versionId else {
            if let o = try await object(bucket, key) { return o }
            // A key whose newest version is a delete marker: the marker is what was named.
            if let newest = try await read("the versions", { c in try Self.versions(bucket, key, c).first }), newest.deleteMarker {
                throw ServiceError("MethodNotAllowed", "The specified method is not allowed against this resource.", kind: .methodNotAllowed,
                                   details: ["Method": .string(method), "ResourceType": "DeleteMarker"])
            }
            return nil
        }
        guard let v = try await version(bucket, key, id: versionId) else {
            throw ServiceError("NoSuchVersion", "The specified version does not exist.", kind: .notFound,
                               details: ["Key": .string(key), "VersionId": .string(versionId)])
        }
        if v.deleteMarker {
            throw ServiceError("MethodNotAllowed", "The specified method is not allowed against this resource.", kind: .methodNotAllowed,
                               details: ["Method": .string(method), "ResourceType": "DeleteMarker"])
        }
        return v.object
    }

    /// One version of a key (nil when there is none with that id).
    package func version(_ bucket: String, _ key: String, id: String) async throws(ServiceError) -> Version? {
        try await read("the version") { c -> Version? in
            if let v = try Self.versions(bucket, key, c).first(where: { $0.id == id }) { return v }
            if id == "null", let cur = try Self.current(bucket, key, c), cur.headers[Self.versionHeader] == nil {
                return Version(object: cur, id: "null", deleteMarker: false, seq: 0)
            }
            return nil
        }
    }

    /// Versions under a prefix for ListObjectVersions: per key newest first, keys in order;
    /// objects from before versioning as their `null` version. At most `limit`, after
    /// (`keyMarker`, `versionMarker`).
    package func listVersions(_ bucket: String, prefix: String, keyMarker: String?, versionMarker: String?,
                              limit: Int) async throws(ServiceError) -> [Version] {
        try await read("the versions") { c -> [Version] in
            var out: [Version] = []
            var after = keyMarker
            var versionAfter = versionMarker
            // Past the first batch, keys after the last one read (strictly).
            var past: String?
            while out.count <= limit {
                let batch = try c.rows("""
                    SELECT key FROM (SELECT key FROM s3_versions WHERE bucket = ?1 UNION SELECT key FROM s3_objects WHERE bucket = ?1) k
                    WHERE key >= ?2 AND key >= ?3 AND key > ?4 AND substr(key, 1, length(?2)) = ?2 ORDER BY key LIMIT 100
                    """, [.text(bucket), .text(prefix), .text(after ?? ""), .text(past ?? "")]).map { $0[0].string ?? "" }
                if batch.isEmpty { break }
                for key in batch {
                    if let a = after, key < a { continue }
                    var versions = try Self.versions(bucket, key, c)
                    if let cur = try Self.current(bucket, key, c), cur.headers[Self.versionHeader] == nil {
                        versions.insert(Version(object: cur, id: "null", deleteMarker: false, seq: Int64.max), at: 0)
                    }
                    if !versions.isEmpty { versions[0].isLatest = true }
                    if key == after {
                        // Past the marker's version of this key (all of it when no version marker).
                        guard let vm = versionAfter else { continue }
                        if let i = versions.firstIndex(where: { $0.id == vm }) {
                            versions = Array(versions[(i + 1)...])
                        } else if let mark = Self.versionTime(vm) {
                            // A marker whose version is gone: the versions older than it, as S3
                            // orders versions by when they were written.
                            versions = versions.filter { v in Self.versionTime(v.id).map { $0 < mark } ?? false }
                        } else {
                            continue
                        }
                    }
                    for v in versions {
                        if out.count == limit + 1 { return out }
                        out.append(v)
                    }
                }
                guard let last = batch.last else { break }
                past = last
                after = nil
                versionAfter = nil
                if batch.count < 100 { break }
            }
            return out
        }
    }
}
