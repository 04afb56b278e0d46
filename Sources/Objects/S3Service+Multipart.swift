import Crypto
import Foundation
import ServiceKit
import StatesLanguage

extension S3Service {
    /// AWS: parts are numbered 1 to 10,000, each but the last at least 5 MiB.
    static let minimumPartBytes: Int64 = 5 * 1024 * 1024

    func createUpload(_ bucket: String, _ key: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        try Self.checkStorageClass(call)
        let id = UUIDText.random().replacingOccurrences(of: "-", with: "")
        var headers = Self.keptHeaders(call)
        for (k, v) in try await lockHeaders(bucket, call) { headers[k] = .string(v) }
        let checksum = try Self.uploadChecksumSettings(call)
        if let customerKey = try Self.customerKeyMD5(call) { headers[Self.customerKeyRecord] = Self.customerKeyRecord(customerKey) }
        if let (algorithm, type) = checksum {
            headers["x-amz-checksum-algorithm"] = .string(algorithm.rawValue)
            headers[Self.checksumTypeHeader] = .string(type)
        }
        try await store.createUpload(ObjectStore.Upload(id: id, bucket: bucket, key: key, initiatedMillis: now, headers: headers))
        var replyHeaders = Self.encryptionHeaders(headers)
        if let (algorithm, type) = checksum {
            replyHeaders.append(("x-amz-checksum-algorithm", algorithm.rawValue))
            replyHeaders.append((Self.checksumTypeHeader, type))
        }
        return Self.xml("InitiateMultipartUploadResult", headers: replyHeaders) { w in
            w.element("Bucket", bucket)
            w.element("Key", key)
            w.element("UploadId", id)
        }
    }

    func upload(_ bucket: String, _ key: String, _ id: String) async throws(ServiceError) -> ObjectStore.Upload {
        guard let u = try await store.upload(id), u.bucket == bucket, u.key == key else {
            if try await store.bucket(bucket) == nil { throw S3Errors.noSuchBucket(bucket) }
            throw S3Errors.noSuchUpload(id)
        }
        return u
    }

    func uploadPart(_ bucket: String, _ key: String, _ id: String, _ number: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard let n = Int(number), (1...10_000).contains(n) else {
            throw S3Errors.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", name: "partNumber", value: number)
        }
        let u = try await upload(bucket, key, id)
        if call.headers["x-amz-copy-source"] != nil { return try await uploadPartCopy(bucket, key, id, n, call) }
        try Self.checkPartAlgorithm(u, call)
        try Self.checkPartCustomerKey(u, call)
        let written = try await UploadWriter.write(call, into: store, defaultChecksum: Self.uploadChecksum(u)?.0, part: true)
        let etag = written.md5.map { String(format: "%02x", $0) }.joined()
        let checksum = written.checksums.first.flatMap { (header, value) in
            Checksum.Algorithm.allCases.first { $0.header == header }.map { "\($0.rawValue):\(value)" }
        }
        do {
            try await store.putPart(id, ObjectStore.Part(number: n, file: written.file, size: written.size, etag: etag, modifiedMillis: now,
                                                         checksum: checksum))
        } catch {
            await store.removeFiles([written.file])
            throw error
        }
        var headers = [("ETag", Self.etagHeader(etag))] + Self.encryptionHeaders(u.headers)
        for (k, v) in written.checksums { headers.append((k, v)) }
        return ServiceReply(status: 200, headers: headers)
    }

    /// UploadPartCopy: a part copied from an object (all of it, or `x-amz-copy-source-range`).
    func uploadPartCopy(_ bucket: String, _ key: String, _ id: String, _ n: Int, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard let (sb, sk) = Self.copySource(call.headers["x-amz-copy-source"] ?? "") else {
            throw S3Errors.invalidArgument("Invalid copy source object key", name: "x-amz-copy-source")
        }
        guard let source = try await store.object(sb, sk) else { throw S3Errors.noSuchKey(sk) }
        try Self.checkCopySourceConditions(call, source, now: now)
        var offset: Int64 = 0
        var length = source.size
        if let r = call.headers["x-amz-copy-source-range"] {
            guard let (a, b) = try Self.byteRange(r, size: source.size) else {
                throw S3Errors.invalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last", name: "x-amz-copy-source-range", value: r)
            }
            offset = a
            length = b - a + 1
        }
        var bytes: [UInt8] = []
        try await store.bytes.read(source.file, offset: offset, length: length) { (piece) throws(ServiceError) in bytes += piece }
        var copy = ServiceCall(action: call.action, method: "PUT", headers: [:], body: bytes)
        copy.requestId = call.requestId
        let algorithm = try await store.upload(id).flatMap(Self.uploadChecksum)?.0
        let written = try await UploadWriter.write(copy, into: store, defaultChecksum: algorithm)
        let etag = written.md5.map { String(format: "%02x", $0) }.joined()
        let modified = now
        let checksum = algorithm.flatMap { a in written.checksums[a.header].map { "\(a.rawValue):\($0)" } }
        do {
            try await store.putPart(id, ObjectStore.Part(number: n, file: written.file, size: written.size, etag: etag, modifiedMillis: modified,
                                                         checksum: checksum))
        } catch {
            await store.removeFiles([written.file])
            throw error
        }
        return Self.xml("CopyPartResult", headers: [("x-amz-server-side-encryption", "AES256")]) { w in
            w.element("LastModified", Self.iso(modified))
            w.element("ETag", Self.etagHeader(etag))
            if let (a, v) = ObjectStore.Part(number: n, file: "", size: 0, etag: "", modifiedMillis: 0, checksum: checksum).checksumParts {
                w.element("Checksum" + a.rawValue, v)
            }
        }
    }

    /// Complete: the parts named (in ascending order, each ETag matching, all but the last
    /// ≥ 5 MiB) joined into the object; its ETag the MD5 of the parts' MD5s, `-N`.
    func completeUpload(_ bucket: String, _ key: String, _ id: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        let u = try await upload(bucket, key, id)
        let condition = try Self.writeCondition(call)
        let body = try await Self.document(call, limit: 4 * 1024 * 1024)
        guard let root = XMLElementTree.parse(body), root.name == "CompleteMultipartUpload" else { throw S3Errors.malformedXML() }
        let stored = await Dictionary(try store.parts(id).map { ($0.number, $0) }, uniquingKeysWith: { a, _ in a })
        var chosen: [ObjectStore.Part] = []
        let listed = root.all("Part")
        for p in listed {
            guard let n = p.value("PartNumber").flatMap(Int.init) else { throw S3Errors.malformedXML() }
            if let last = chosen.last, n <= last.number {
                throw ServiceError("InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.",
                                   details: ["UploadId": .string(id)])
            }
            let tag = (p.value("ETag") ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            guard let part = stored[n], tag.isEmpty || tag == part.etag else { throw Self.invalidPart(id, n, tag) }
            chosen.append(part)
        }
        guard !chosen.isEmpty else { throw S3Errors.malformedXML() }
        for part in chosen.dropLast() where part.size < Self.minimumPartBytes {
            throw ServiceError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size",
                               details: ["ProposedSize": .string(String(part.size)), "MinSizeAllowed": .string(String(Self.minimumPartBytes)),
                                         "PartNumber": .string(String(part.number)), "ETag": .string(part.etag)])
        }
        try Self.checkCompleteChecksums(u, listed, chosen, call)
        let total = chosen.reduce(Int64(0)) { $0 + $1.size }
        if let given = call.headers["x-amz-mp-object-size"], Int64(given) != total {
            throw ServiceError("InvalidRequest", "The provided 'x-amz-mp-object-size' header value \(given) does not match what was computed: \(total)")
        }
        let (algorithm, type) = Self.uploadChecksum(u) ?? (.crc64nvme, "FULL_OBJECT")
        var whole = type == "FULL_OBJECT" ? Checksum(algorithm) : nil
        // The object's bytes: the parts' in order, durable before a row names them.
        let out = try await store.bytes.create()
        let name = out.name
        var size: Int64 = 0
        var md5s: [UInt8] = []
        do {
            for part in chosen {
                try await store.bytes.read(part.file, offset: 0, length: part.size) { (piece) throws(ServiceError) in
                    try await out.write(piece)
                    whole?.update(piece)
                    size += Int64(piece.count)
                }
                md5s += Self.hexBytes(part.etag)
            }
            try await out.finish()
        } catch {
            await out.abandon()
            throw error
        }
        let etag = Insecure.MD5.hash(data: md5s).map { String(format: "%02x", $0) }.joined() + "-\(chosen.count)"
        // AWS: a conditional complete over a key written since the upload began is a conflict.
        if call.headers["if-match"] != nil, let current = try await store.object(bucket, key), current.modifiedMillis > u.initiatedMillis {
            await store.removeFiles([name])
            throw ServiceError("ConditionalRequestConflict", "The conditional request cannot succeed due to a conflicting operation against this resource.",
                               kind: .conflict, details: ["Condition": "If-Match", "Key": .string(key)])
        }
        let checksumValue = whole?.value() ?? Self.compositeChecksum(algorithm, chosen)
        do { try Self.checkWholeChecksum(call, algorithm: algorithm, type: type, value: checksumValue) } catch {
            await store.removeFiles([name])
            throw error
        }
        var headers = u.headers
        headers["x-amz-checksum-algorithm"] = nil
        headers[algorithm.header] = .string(checksumValue)
        headers[Self.checksumTypeHeader] = .string(type)
        headers[Self.partsKey] = Self.encodeParts(chosen)
        let object = ObjectStore.Object(bucket: bucket, key: key, file: name, size: size, etag: etag, modifiedMillis: now, headers: headers)
        do { try await store.finish(id, object: object, condition: condition, cause: cause("ObjectCreated:CompleteMultipartUpload", call)) } catch {
            await store.removeFiles([name])
            throw error
        }
        return Self.xml("CompleteMultipartUploadResult", headers: Self.encryptionHeaders(u.headers)) { w in
            w.element("Location", "http://\(bucket).s3.amazonaws.com/\(key)")
            w.element("Bucket", bucket)
            w.element("Key", key)
            w.element("ETag", Self.etagHeader(etag))
            w.element("Checksum" + algorithm.rawValue, checksumValue)
            w.element("ChecksumType", type)
        }
    }

    static func hexBytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = Array(hex.utf8).makeIterator()
        while let a = chars.next(), let b = chars.next() {
            guard let v = UInt8(String(decoding: [a, b], as: UTF8.self), radix: 16) else { break }
            out.append(v)
        }
        return out
    }

    func abortUpload(_ bucket: String, _ key: String, _ id: String) async throws(ServiceError) -> ServiceReply {
        _ = try await upload(bucket, key, id)
        try await store.finish(id, object: nil)
        return ServiceReply(status: 204)
    }

    func listParts(_ bucket: String, _ key: String, _ id: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        let u = try await upload(bucket, key, id)
        let marker = Int(call.query["part-number-marker"] ?? "0") ?? 0
        let max = min(Int(call.query["max-parts"] ?? "1000") ?? 1000, 1000)
        let all = try await store.parts(id).filter { $0.number > marker }
        let shown = Array(all.prefix(max))
        let checksum = Self.uploadChecksum(u)
        return Self.xml("ListPartsResult") { w in
            w.element("Bucket", bucket)
            w.element("Key", key)
            w.element("UploadId", id)
            w.element("PartNumberMarker", String(marker))
            w.element("NextPartNumberMarker", String(shown.last?.number ?? 0))
            w.element("MaxParts", String(max))
            w.element("IsTruncated", all.count > shown.count ? "true" : "false")
            for p in shown {
                w.raw("<Part>")
                w.element("PartNumber", String(p.number))
                w.element("LastModified", Self.iso(p.modifiedMillis))
                w.element("ETag", Self.etagHeader(p.etag))
                w.element("Size", String(p.size))
                // A part's checksum is listed when the upload has an algorithm.
                if checksum != nil, let (a, v) = p.checksumParts { w.element("Checksum" + a.rawValue, v) }
                w.raw("</Part>")
            }
            owner(&w, "Initiator")
            owner(&w)
            w.element("StorageClass", "STANDARD")
            if let (a, type) = checksum {
                w.element("ChecksumAlgorithm", a.rawValue)
                w.element("ChecksumType", type)
            }
        }
    }

    /// ListMultipartUploads: uploads in key order (a key's by when they began), `prefix`,
    /// `delimiter` rolling keys into common prefixes, paged by `max-uploads`, `key-marker` and
    /// `upload-id-marker`. A page that ends on a common prefix gives empty next markers, as
    /// S3's does.
    func listUploads(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        try Self.checkEncodingType(call)
        let q = call.query
        let prefix = q["prefix"] ?? ""
        let delimiter = q["delimiter"].flatMap { $0.isEmpty ? nil : $0 }
        guard let max = Int(q["max-uploads"] ?? "1000"), max >= 0 else {
            throw S3Errors.invalidArgument("Provided max-uploads not an integer or within integer range", name: "max-uploads", value: q["max-uploads"])
        }
        let limit = min(max, 1000)
        let keyMarker = q["key-marker"].flatMap { $0.isEmpty ? nil : $0 }
        let uploadMarker = keyMarker == nil ? nil : q["upload-id-marker"].flatMap { $0.isEmpty ? nil : $0 }
        let sorted = try await store.uploads(bucket).filter { $0.key.hasPrefix(prefix) }
            .sorted { ($0.key, $0.initiatedMillis, $0.id) < ($1.key, $1.initiatedMillis, $1.id) }
        // Where the page starts: after the marker's upload, else after the marker's key.
        var first = 0
        if let keyMarker {
            if let uploadMarker, let j = sorted.firstIndex(where: { $0.key == keyMarker && $0.id == uploadMarker }) {
                first = j + 1
            } else {
                first = sorted.firstIndex { $0.key > keyMarker } ?? sorted.count
            }
        }
        var entries: [(upload: ObjectStore.Upload?, common: String?)] = []
        var truncated = false
        var lastCommon: String?
        for u in sorted[first...] {
            var common: String?
            if let delimiter, let r = u.key.dropFirst(prefix.count).range(of: delimiter) {
                let c = String(u.key[..<r.upperBound])
                if c == lastCommon { continue }
                if let keyMarker, c <= keyMarker || keyMarker.hasPrefix(c) { continue }
                common = c
                lastCommon = c
            }
            if entries.count == limit {
                truncated = true
                break
            }
            entries.append(common == nil ? (u, nil) : (nil, common))
        }
        return Self.xml("ListMultipartUploadsResult") { w in
            w.element("Bucket", bucket)
            w.element("KeyMarker", q["key-marker"] ?? "")
            w.element("UploadIdMarker", q["upload-id-marker"] ?? "")
            // Given on every page (empty when it ends on a common prefix or holds nothing).
            w.element("NextKeyMarker", entries.last?.upload?.key ?? "")
            w.element("NextUploadIdMarker", entries.last?.upload?.id ?? "")
            if let delimiter { w.element("Delimiter", delimiter) }
            if q["prefix"] != nil { w.element("Prefix", prefix) }
            w.element("MaxUploads", String(max))
            w.element("IsTruncated", truncated ? "true" : "false")
            for case let (u?, _) in entries {
                w.raw("<Upload>")
                w.element("Key", u.key)
                w.element("UploadId", u.id)
                owner(&w, "Initiator")
                owner(&w)
                w.element("StorageClass", "STANDARD")
                w.element("Initiated", Self.iso(u.initiatedMillis))
                if let (a, type) = Self.uploadChecksum(u) {
                    w.element("ChecksumAlgorithm", a.rawValue)
                    w.element("ChecksumType", type)
                }
                w.raw("</Upload>")
            }
            for case let (_, c?) in entries {
                w.raw("<CommonPrefixes>")
                w.element("Prefix", c)
                w.raw("</CommonPrefixes>")
            }
        }
    }
}
