import ServiceKit
import StatesLanguage

/// ListObjectVersions (`GET ?versions`): every version and delete marker under a prefix, keys
/// in order and each key's versions newest first, `IsLatest` on the current one, paged by
/// `key-marker` and `version-id-marker`.
extension S3Service {
    func listVersions(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        try Self.checkEncodingType(call)
        let q = call.query
        let prefix = q["prefix"] ?? ""
        guard let max = Int(q["max-keys"] ?? "1000"), max >= 0 else {
            throw S3Errors.invalidArgument("Provided max-keys not an integer or within integer range", name: "max-keys", value: q["max-keys"])
        }
        let limit = min(max, 1000)
        let all = try await store.listVersions(bucket, prefix: prefix, keyMarker: q["key-marker"].flatMap { $0.isEmpty ? nil : $0 },
                                         versionMarker: q["version-id-marker"].flatMap { $0.isEmpty ? nil : $0 }, limit: limit)
        let page = Array(all.prefix(limit))
        let truncated = all.count > limit
        let url = q["encoding-type"] == "url"
        func enc(_ s: String) -> String { url ? Self.urlEncode(s) : s }
        if q["version-id-marker"].map({ !$0.isEmpty }) ?? false, (q["key-marker"] ?? "").isEmpty {
            throw S3Errors.invalidArgument("A version-id marker cannot be specified without a key marker.", name: "version-id-marker",
                                           value: q["version-id-marker"])
        }
        // AWS's element order: the listing's description, then the versions last.
        return Self.xml("ListVersionsResult") { w in
            w.element("Name", bucket)
            w.element("Prefix", enc(prefix))
            w.element("KeyMarker", enc(q["key-marker"] ?? ""))
            w.element("VersionIdMarker", q["version-id-marker"] ?? "")
            if truncated, let last = page.last {
                w.element("NextKeyMarker", enc(last.object.key))
                w.element("NextVersionIdMarker", last.id)
            }
            w.element("MaxKeys", String(max))
            if let d = q["delimiter"] { w.element("Delimiter", enc(d)) }
            w.element("IsTruncated", truncated ? "true" : "false")
            if url { w.element("EncodingType", "url") }
            for v in page {
                let isLatest = v.isLatest
                if v.deleteMarker {
                    w.raw("<DeleteMarker>")
                    owner(&w)
                    w.element("Key", enc(v.object.key))
                    w.element("VersionId", v.id)
                    w.element("IsLatest", isLatest ? "true" : "false")
                    w.element("LastModified", Self.iso(v.object.modifiedMillis))
                    w.raw("</DeleteMarker>")
                } else {
                    w.raw("<Version>")
                    w.element("ETag", Self.etagHeader(v.object.etag))
                    Self.checksumAlgorithm(v.object, &w)
                    w.element("Size", String(v.object.size))
                    owner(&w)
                    w.element("StorageClass", v.object.headers["x-amz-storage-class"]?.stringValue ?? "STANDARD")
                    w.element("Key", enc(v.object.key))
                    w.element("VersionId", v.id)
                    w.element("IsLatest", isLatest ? "true" : "false")
                    w.element("LastModified", Self.iso(v.object.modifiedMillis))
                    w.raw("</Version>")
                }
            }
        }
    }
}
