import Crypto
import Foundation
import ServiceKit
import StatesLanguage

extension S3Service {
    /// The headers S3 keeps with an object and gives back with it.
    static let systemHeaders = ["content-type", "cache-control", "content-disposition", "content-encoding", "content-language", "expires",
                                "x-amz-website-redirect-location", "x-amz-storage-class", "x-amz-server-side-encryption"]

    /// What a request asks to keep with its object: the system headers and `x-amz-meta-*`.
    static func keptHeaders(_ call: ServiceCall) -> JSONObject {
        var out = JSONObject()
        for name in systemHeaders {
            guard var v = call.headers[name] else { continue }
            // The SDKs' aws-chunked framing is transport, not the object's encoding.
            if name == "content-encoding" {
                v = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0 != "aws-chunked" }.joined(separator: ",")
                if v.isEmpty { continue }
            }
            out[name] = .string(v)
        }
        for (k, v) in call.headers.sorted(by: { $0.key < $1.key }) where k.hasPrefix("x-amz-meta-") { out[k] = .string(v) }
        return out
    }

    static func etagHeader(_ etag: String) -> String { "\"\(etag)\"" }

    /// The storage classes a bucket of this endpoint takes (S3's model less OUTPOSTS, which
    /// only an Outposts bucket takes).
    static let storageClasses: Set<String> = [
        "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR",
        "SNOW", "EXPRESS_ONEZONE", "FSX_OPENZFS", "FSX_ONTAP",
    ]

    /// A write's `x-amz-storage-class`, checked before any byte is read.
    static func checkStorageClass(_ call: ServiceCall) throws(ServiceError) {
        guard let requested = call.headers["x-amz-storage-class"], !storageClasses.contains(requested) else { return }
        throw ServiceError("InvalidStorageClass", "The storage class you specified is not valid", details: ["StorageClassRequested": .string(requested)])
    }

    /// What a request did, for the bucket's notifications.
    func cause(_ event: String, _ call: ServiceCall) -> ObjectStore.Cause {
        ObjectStore.Cause(event: event, requestId: call.requestId, timeMillis: now)
    }

    /// A write's precondition: `If-None-Match: *` (the key must be free) or `If-Match: ETAG`;
    /// AWS takes no other value of either (`NotImplemented`).
    static func writeCondition(_ call: ServiceCall) throws(ServiceError) -> ObjectStore.WriteCondition {
        func notImplemented(_ header: String) -> ServiceError {
            ServiceError("NotImplemented", "A header you provided implies functionality that is not implemented", kind: .notImplemented,
                         details: ["Header": .string(header)])
        }
        if let v = call.headers["if-none-match"] {
            guard v.trimmingCharacters(in: .whitespaces) == "*" else { throw notImplemented("If-None-Match") }
            return .absent
        }
        if let v = call.headers["if-match"] {
            guard v.trimmingCharacters(in: .whitespaces) != "*" else {
                var e = notImplemented("If-Match")
                e.details?["additionalMessage"] = "We don't accept the provided value of If-Match header for this API"
                throw e
            }
            return .etag(v)
        }
        return .none
    }

    func putObject(_ bucket: String, _ key: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        try Self.checkStorageClass(call)
        let condition = try Self.writeCondition(call)
        guard key.utf8.count <= 1024 else { throw ServiceError("KeyTooLongError", "Your key is too long") }
        let tags = try call.headers["x-amz-tagging"].map(Self.tags(header:))
        let acl = try AccessControlList.from(headers: call.headers, body: [], owner: account, bucket: false)
        let lock = try await lockHeaders(bucket, call)
        let customerKey = try Self.customerKeyMD5(call)
        let written = try await UploadWriter.write(call, into: store, inline: true)
        var headers = Self.keptHeaders(call)
        if let customerKey { headers[Self.customerKeyRecord] = Self.customerKeyRecord(customerKey) }
        for (k, v) in lock { headers[k] = .string(v) }
        if let tags, !tags.isEmpty { headers["tagging"] = Self.encodeTags(tags) }
        if let acl { headers["acl"] = acl.json }
        for (k, v) in written.checksums { headers[k] = .string(v) }
        let etag = written.md5.map { String(format: "%02x", $0) }.joined()
        let versionId: String?
        do {
            versionId = try await store.put(ObjectStore.Object(bucket: bucket, key: key, file: written.file, size: written.size, etag: etag,
                                                               modifiedMillis: now, headers: headers, inline: written.inline), condition: condition,
                                            cause: cause("ObjectCreated:Put", call))
        } catch {
            await store.removeFiles([written.file])
            throw error
        }
        var reply = [("ETag", Self.etagHeader(etag))]
        // AWS: a write to a Suspended bucket (the `null` version) answers no version id.
        if let versionId, versionId != "null" { reply.append(("x-amz-version-id", versionId)) }
        for (k, v) in written.checksums { reply.append((k, v)) }
        if !written.checksums.isEmpty { reply.append(("x-amz-checksum-type", "FULL_OBJECT")) }
        if let expiration = await expirationHeader(bucket, ObjectStore.Object(bucket: bucket, key: key, file: "", size: written.size, etag: etag,
                                                                        modifiedMillis: now, headers: headers)) {
            reply.append(expiration)
        }
        reply += Self.encryptionHeaders(headers)
        return ServiceReply(status: 200, headers: reply)
    }

    /// GetObject and HeadObject: conditions, one byte range, the response-* overrides, the
    /// body sent from the object's file.
    func getObject(_ bucket: String, _ key: String, _ call: ServiceCall, head: Bool) async throws(ServiceError) -> ServiceReply {
        let found: ObjectStore.Object?
        // A small object's bytes come with its row when they are in the database (one round trip).
        var small: [UInt8]?
        if let versionId = call.query["versionId"] {
            guard let v = try await store.version(bucket, key, id: versionId) else {
                if try await store.bucket(bucket) == nil { throw S3Errors.noSuchBucket(bucket) }
                throw ServiceError("NoSuchVersion", head ? "" : "The specified version does not exist.", kind: .notFound,
                                   details: ["Key": .string(key), "VersionId": .string(versionId)])
            }
            // AWS: a GET or HEAD of a delete marker by its version is 405.
            if v.deleteMarker {
                throw ServiceError("MethodNotAllowed", head ? "" : "The specified method is not allowed against this resource.",
                                   kind: .methodNotAllowed, details: ["Method": .string(call.method), "ResourceType": "DeleteMarker"])
            }
            found = v.object
        } else {
            (found, small) = try await store.objectAndSmallBytes(bucket, key, wanted: !head)
        }
        guard let o = found else {
            if try await store.bucket(bucket) == nil { throw head ? ServiceError("NoSuchBucket", "", kind: .notFound) : S3Errors.noSuchBucket(bucket) }
            throw head ? ServiceError("NoSuchKey", "", kind: .notFound) : S3Errors.noSuchKey(key)
        }
        if !head { try checkReadable(o) }
        try Self.checkCustomerKey(o, call)
        let h = call.headers
        let tag = Self.etagHeader(o.etag)
        func matches(_ list: String) -> Bool {
            list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.contains { $0 == "*" || $0 == tag || $0 == o.etag }
        }
        let modifiedSecond = o.modifiedMillis / 1000 * 1000
        // RFC 7232's order, as S3 applies it.
        if let m = h["if-match"], !matches(m) { throw S3Errors.preconditionFailed }
        if h["if-match"] == nil, let since = h["if-unmodified-since"].flatMap(Self.parseHTTPDate), modifiedSecond > since {
            throw ServiceError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", kind: .preconditionFailed,
                               details: ["Condition": "If-Unmodified-Since"])
        }
        if let m = h["if-none-match"], matches(m) { return ServiceReply(status: 304, headers: [("ETag", tag)]) }
        if h["if-none-match"] == nil, let since = h["if-modified-since"].flatMap(Self.parseHTTPDate), modifiedSecond <= since {
            return ServiceReply(status: 304, headers: [("ETag", tag)])
        }
        var headers: [(String, String)] = [("ETag", tag), ("Last-Modified", Self.httpDate(o.modifiedMillis)), ("Accept-Ranges", "bytes")]
            + Self.encryptionHeaders(o.headers)
        // An object from before versioning is the null version once its bucket has had versioning.
        if o.headers[ObjectStore.versionHeader] == nil, try await store.versioning(bucket) != .off { headers.append(("x-amz-version-id", "null")) }
        if let expiration = await expirationHeader(bucket, o) { headers.append(expiration) }
        var contentType = "binary/octet-stream"
        let tagCount = Self.decodeTags(o.headers["tagging"]).count
        if tagCount > 0 { headers.append(("x-amz-tagging-count", String(tagCount))) }
        let checksumMode = h["x-amz-checksum-mode"]?.uppercased() == "ENABLED"
        let checksumType = o.headers[Self.checksumTypeHeader]?.stringValue ?? "FULL_OBJECT"
        for (k, v) in o.headers {
            guard let v = v.stringValue else { continue }
            if k == "content-type" { contentType = v; continue }
            // The whole object's checksum, asked for and not for a part of it (AWS sends none with a range).
            if k.hasPrefix("x-amz-checksum-") {
                if checksumMode, call.query["partNumber"] == nil, k != Self.checksumTypeHeader {
                    headers.append((k, v))
                    headers.append((Self.checksumTypeHeader, checksumType))
                }
                continue
            }
            headers.append((k, v))
        }
        // response-content-type and the others replace what was stored, for this answer only.
        var overrides: [String: String] = [:]
        for (q, header) in [("response-content-type", "content-type"), ("response-content-language", "content-language"),
                            ("response-expires", "expires"), ("response-cache-control", "cache-control"),
                            ("response-content-disposition", "content-disposition"), ("response-content-encoding", "content-encoding")] {
            if let v = call.query[q] { overrides[header] = v }
        }
        if let t = overrides.removeValue(forKey: "content-type") { contentType = t }
        headers = headers.filter { overrides[$0.0.lowercased()] == nil } + overrides.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        headers.append(("Content-Type", contentType))
        var offset: Int64 = 0
        var length = o.size
        var status = 200
        if let asked = call.query["partNumber"] {
            // One part of a multipart object (an object of one piece is its own part 1), with
            // that part's checksum.
            let parts = Self.decodeParts(o.headers[Self.partsKey])
            guard let n = Int(asked), n >= 1 else {
                throw S3Errors.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", name: "partNumber", value: asked)
            }
            let sizes = parts.isEmpty ? [o.size] : parts.map(\.size)
            guard n <= sizes.count else {
                throw ServiceError("InvalidPartNumber", "The requested partnumber is not satisfiable", kind: .rangeNotSatisfiable,
                                   details: ["PartNumberRequested": .string(asked), "ActualPartCount": .string(String(sizes.count))])
            }
            offset = sizes[..<(n - 1)].reduce(0, +)
            length = sizes[n - 1]
            if !parts.isEmpty {
                status = 206
                headers.append(("Content-Range", "bytes \(offset)-\(offset + length - 1)/\(o.size)"))
                headers.append(("x-amz-mp-parts-count", String(parts.count)))
            }
            if checksumMode, let (a, v) = parts.isEmpty ? nil : parts[n - 1].checksum {
                headers.append((a.header, v))
                headers.append((Self.checksumTypeHeader, checksumType))
            }
        } else if let range = h["range"], let (start, end) = try Self.byteRange(range, size: o.size) {
            offset = start
            length = end - start + 1
            status = 206
            headers.append(("Content-Range", "bytes \(start)-\(end)/\(o.size)"))
        }
        // The whole object's checksum goes with the whole object only, not with part of it.
        if length != o.size || (offset != 0) {
            let partChecksum = call.query["partNumber"] != nil
            headers.removeAll { $0.0.hasPrefix("x-amz-checksum-") && !partChecksum }
        }
        headers.append(("Content-Length", String(length)))
        if head { return ServiceReply(status: status, headers: headers) }
        var reply = ServiceReply(status: status, headers: headers)
        if length == 0 {
            reply.body = []
        } else if let small, Int64(small.count) == o.size {
            reply.body = Array(small[Int(offset)..<Int(offset + length)])
        } else {
            try store.bytes.reply(o.file, offset: offset, length: length, into: &reply)
        }
        return reply
    }

    /// `bytes=a-b`, `bytes=a-`, `bytes=-n` → inclusive bounds; nil when S3 ignores the header
    /// (not a single bytes range); InvalidRange when it starts past the end.
    static func byteRange(_ text: String, size: Int64) throws(ServiceError) -> (Int64, Int64)? {
        guard text.hasPrefix("bytes="), !text.contains(",") else { return nil }
        let spec = text.dropFirst(6)
        guard let dash = spec.firstIndex(of: "-") else { return nil }
        let a = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let b = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        func invalid() -> ServiceError {
            ServiceError("InvalidRange", "The requested range is not satisfiable", kind: .rangeNotSatisfiable,
                         details: ["RangeRequested": .string(text), "ActualObjectSize": .string(String(size))])
        }
        if a.isEmpty {
            guard let n = Int64(b), n >= 0 else { return nil }
            // A suffix of no bytes is unsatisfiable (AWS), as is any suffix of an empty object.
            guard size > 0, n > 0 else { throw invalid() }
            return (max(0, size - n), size - 1)
        }
        guard let start = Int64(a) else { return nil }
        guard start < size else { throw invalid() }
        if b.isEmpty { return (start, size - 1) }
        guard let end = Int64(b), end >= start else { return nil }
        return (start, min(end, size - 1))
    }

    func deleteObject(_ bucket: String, _ key: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        let bypass = try await bypassGovernance(bucket, call)
        // Only a bucket with Object Lock holds locked versions: others skip the lookup.
        if let versionId = call.query["versionId"], try await objectLockEnabled(bucket),
           let v = try await store.version(bucket, key, id: versionId), !v.deleteMarker {
            try checkDeletable(v.object, bypass: bypass)
        }
        let done = try await store.delete(bucket, entries: [(key, call.query["versionId"])], now: now, cause: cause("ObjectRemoved:Delete", call))
        var headers: [(String, String)] = []
        if let d = done.first {
            if let v = d.versionId { headers.append(("x-amz-version-id", v)) }
            if d.deleteMarker { headers.append(("x-amz-delete-marker", "true")) }
        }
        return ServiceReply(status: 204, headers: headers)
    }

    func deleteObjects(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        let body = try await Self.document(call, limit: 2 * 1024 * 1024)
        guard let root = XMLElementTree.parse(body), root.name == "Delete" else { throw S3Errors.malformedXML() }
        let entries = root.all("Object").compactMap { o in o.value("Key").map { (key: $0, versionId: o.value("VersionId")) } }
        guard !entries.isEmpty, entries.count <= 1000 else { throw S3Errors.malformedXML() }
        let quiet = root.value("Quiet") == "true"
        let bypass = try await bypassGovernance(bucket, call)
        // Versions under Object Lock stay, each reported as an error.
        var refused: [(key: String, versionId: String, error: ServiceError)] = []
        var allowed: [(key: String, versionId: String?)] = []
        let locked = try await objectLockEnabled(bucket)
        for e in entries {
            if locked, let id = e.versionId, let v = try await store.version(bucket, e.key, id: id), !v.deleteMarker {
                do throws(ServiceError) { try checkDeletable(v.object, bypass: bypass) } catch {
                    refused.append((e.key, id, error))
                    continue
                }
            }
            allowed.append(e)
        }
        let done = allowed.isEmpty ? [] : try await store.delete(bucket, entries: allowed, now: now, cause: cause("ObjectRemoved:Delete", call))
        return Self.xml("DeleteResult") { w in
            for r in refused {
                w.raw("<Error>")
                w.element("Key", r.key)
                w.element("VersionId", r.versionId)
                w.element("Code", r.error.code)
                w.element("Message", r.error.message)
                w.raw("</Error>")
            }
            guard !quiet else { return }
            // Every key asked for is reported deleted (a key that was not there too, as S3 does).
            // In key order (and a key's versions by id), as S3 lists them, not the request's.
            for e in allowed.sorted(by: { ($0.key, $0.versionId ?? "") < ($1.key, $1.versionId ?? "") }) {
                let d = done.first { $0.key == e.key && ($0.versionId == e.versionId || e.versionId == nil) }
                w.raw("<Deleted>")
                w.element("Key", e.key)
                if let v = e.versionId { w.element("VersionId", v) }
                if let d, d.deleteMarker {
                    w.element("DeleteMarker", "true")
                    if let v = d.versionId { w.element(e.versionId == nil ? "DeleteMarkerVersionId" : "DeleteMarkerVersionId", v) }
                }
                w.raw("</Deleted>")
            }
        }
    }

    /// CopyObject: `x-amz-copy-source` (`bucket/key`, percent-encoded), the metadata copied or
    /// replaced (`x-amz-metadata-directive`); a copy onto itself must change something.
    func copyObject(_ bucket: String, _ key: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        try Self.checkStorageClass(call)
        guard let (sourceBucket, sourceKey) = Self.copySource(call.headers["x-amz-copy-source"] ?? "") else {
            throw S3Errors.invalidArgument("Invalid copy source object key", name: "x-amz-copy-source")
        }
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        guard let source = try await store.object(sourceBucket, sourceKey) else {
            if try await store.bucket(sourceBucket) == nil { throw S3Errors.noSuchBucket(sourceBucket) }
            throw S3Errors.noSuchKey(sourceKey)
        }
        try Self.checkCopySourceConditions(call, source, now: now)
        try checkReadable(source)
        let condition = try Self.writeCondition(call)
        let replace = call.headers["x-amz-metadata-directive"]?.uppercased() == "REPLACE"
        // AWS: a copy onto itself must change the metadata, storage class, website redirect
        // location or encryption attributes (a bucket with default encryption set counts).
        let changes = ["x-amz-storage-class", "x-amz-website-redirect-location", "x-amz-server-side-encryption",
                       "x-amz-server-side-encryption-customer-algorithm"].contains { call.headers[$0] != nil }
        if sourceBucket == bucket, sourceKey == key, !replace, !changes, try await store.configuration(bucket, "encryption") == nil {
            throw ServiceError("InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
        }
        let name = try await store.bytes.copy(source.file)
        var headers = replace ? Self.keptHeaders(call) : source.headers
        // The storage class and redirect are the request's even when the metadata is copied.
        for name in ["x-amz-website-redirect-location", "x-amz-storage-class"] { if let v = call.headers[name] { headers[name] = .string(v) } }
        headers[ObjectStore.versionHeader] = nil
        // A copy is a new version: its lock is the request's (or the bucket's default), not the source's.
        for k in [Self.lockMode, Self.lockUntil, Self.legalHold] { headers[k] = nil }
        for (k, v) in try await lockHeaders(bucket, call) { headers[k] = .string(v) }
        // Tags follow x-amz-tagging-directive, not the metadata directive: the source's (COPY)
        // or the request's own (REPLACE, none when it sends none).
        if call.headers["x-amz-tagging-directive"]?.uppercased() == "REPLACE" {
            let tags = try call.headers["x-amz-tagging"].map(Self.tags(header:)) ?? []
            headers["tagging"] = tags.isEmpty ? nil : Self.encodeTags(tags)
        } else {
            headers["tagging"] = source.headers["tagging"]
        }
        for (k, v) in source.headers where k.hasPrefix("x-amz-checksum-") { headers[k] = v }
        headers[Self.partsKey] = nil
        headers[Self.checksumTypeHeader] = nil
        // A copy is one piece: a multipart source's composite checksum becomes its algorithm
        // over the whole copy, and an object from before checksums gets S3's CRC64NVME.
        let kept = Checksum.Algorithm.allCases.first { headers[$0.header] != nil }
        if source.headers[Self.checksumTypeHeader]?.stringValue == "COMPOSITE" || kept == nil {
            let a = kept ?? .crc64nvme
            headers[a.header] = .string(try await checksum(of: name, size: source.size, a))
        }
        // A copy asked for another checksum algorithm gets that checksum, computed from its bytes.
        if let named = call.headers["x-amz-checksum-algorithm"] {
            guard let algorithm = Checksum.Algorithm(rawValue: named.uppercased()) else {
                throw S3Errors.invalidArgument("Value for x-amz-checksum-algorithm header is invalid.", name: "x-amz-checksum-algorithm", value: named)
            }
            for a in Checksum.Algorithm.allCases { headers[a.header] = nil }
            headers[algorithm.header] = .string(try await checksum(of: name, size: source.size, algorithm))
        }
        // A copy of a multipart object is one piece, its ETag the MD5 of its bytes.
        let etag = source.etag.contains("-") ? try await md5Hex(of: name, size: source.size) : source.etag
        let copy = ObjectStore.Object(bucket: bucket, key: key, file: name, size: source.size, etag: etag, modifiedMillis: now,
                                      headers: headers)
        let versionId: String?
        do { versionId = try await store.put(copy, condition: condition, cause: cause("ObjectCreated:Copy", call)) } catch {
            await store.removeFiles([name])
            throw error
        }
        var replyHeaders = [("x-amz-server-side-encryption", "AES256")]
        // (A copy, unlike a put, names the `null` version it wrote.)
        if let versionId { replyHeaders.append(("x-amz-version-id", versionId)) }
        // The source's version, unless it is the null version (AWS names none then).
        if let sourceVersion = source.headers[ObjectStore.versionHeader]?.stringValue, sourceVersion != "null" {
            replyHeaders.append(("x-amz-copy-source-version-id", sourceVersion))
        }
        return Self.xml("CopyObjectResult", headers: replyHeaders) { w in
            w.element("LastModified", Self.iso(copy.modifiedMillis))
            w.element("ETag", Self.etagHeader(copy.etag))
            // The copy keeps its source's checksum, and says so (AWS: ChecksumCRC32, …, ChecksumType).
            for a in Checksum.Algorithm.allCases {
                guard let v = copy.headers[a.header]?.stringValue else { continue }
                w.element("Checksum" + a.rawValue, v)
                w.element("ChecksumType", "FULL_OBJECT")
                break
            }
        }
    }

    /// `x-amz-copy-source-if-*` on the source, as S3 combines them: a matching If-Match wins
    /// over a failing If-Unmodified-Since, a failing If-None-Match over a passing
    /// If-Modified-Since; a condition that fails is S3's PreconditionFailed (412).
    static func checkCopySourceConditions(_ call: ServiceCall, _ source: ObjectStore.Object, now: Int64) throws(ServiceError) {
        let h = call.headers
        func matches(_ list: String) -> Bool {
            list.split(separator: ",").contains { t in
                let tag = t.trimmingCharacters(in: .whitespaces)
                return tag == "*" || tag.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) == source.etag
            }
        }
        let seconds = source.modifiedMillis / 1000
        func failed(_ header: String) -> ServiceError {
            ServiceError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", kind: .preconditionFailed,
                         details: ["Condition": .string(header)])
        }
        if let m = h["x-amz-copy-source-if-match"] {
            guard matches(m) else { throw failed("x-amz-copy-source-If-Match") }
        } else if let d = h["x-amz-copy-source-if-unmodified-since"].flatMap(Self.parseHTTPDate), seconds > d / 1000 {
            throw failed("x-amz-copy-source-If-Unmodified-Since")
        }
        if let m = h["x-amz-copy-source-if-none-match"] {
            if matches(m) { throw failed("x-amz-copy-source-If-None-Match") }
        } else if let d = h["x-amz-copy-source-if-modified-since"].flatMap(Self.parseHTTPDate), seconds <= d / 1000, d <= now {
            // (A date in the future is ignored, as AWS does.)
            throw failed("x-amz-copy-source-If-Modified-Since")
        }
    }

    /// A file's checksum, read in 1 MiB pieces.
    func checksum(of name: String, size: Int64, _ algorithm: Checksum.Algorithm) async throws(ServiceError) -> String {
        var sum = Checksum(algorithm)
        try await store.bytes.read(name, offset: 0, length: size) { (piece) throws(ServiceError) in sum.update(piece) }
        return sum.value()
    }

    func md5Hex(of name: String, size: Int64) async throws(ServiceError) -> String {
        var md5 = Insecure.MD5()
        try await store.bytes.read(name, offset: 0, length: size) { (piece) throws(ServiceError) in md5.update(data: piece) }
        return md5.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func copySource(_ header: String) -> (String, String)? {
        var text = header.percentDecoded
        if let q = text.firstIndex(of: "?") { text = String(text[..<q]) }
        // A whole path-style URL names its bucket and key after the host.
        for scheme in ["http://", "https://"] where text.hasPrefix(scheme) {
            let rest = text.dropFirst(scheme.count)
            text = rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? ""
        }
        let trimmed = text.drop { $0 == "/" }
        guard let slash = trimmed.firstIndex(of: "/") else { return nil }
        let key = String(trimmed[trimmed.index(after: slash)...])
        guard !key.isEmpty else { return nil }
        return (String(trimmed[..<slash]), key)
    }
}
