import Foundation
import ServiceKit
import StatesLanguage

extension S3Service {
    /// One page of a listing: objects and common prefixes in key order, and where the next
    /// page starts (the last key or prefix given) when there is more.
    struct Page {
        var objects: [ObjectStore.Object] = []
        var prefixes: [String] = []
        var truncated = false
        var last: String?
    }

    /// Keys under `prefix` after `after`, those with `delimiter` past the prefix rolled up
    /// into one common prefix each, at most `max` entries.
    func page(_ bucket: String, prefix: String, delimiter: String?, after start: String?, max: Int) async throws(ServiceError) -> Page {
        var page = Page()
        var after = start
        guard max > 0 else { return page }
        while true {
            let batch = try await store.list(bucket, prefix: prefix, after: after, limit: max + 1)
            if batch.isEmpty { return page }
            for o in batch {
                if let after, o.key <= after { continue }
                if page.objects.count + page.prefixes.count == max {
                    page.truncated = true
                    return page
                }
                if let d = delimiter, !d.isEmpty, let r = o.key.dropFirst(prefix.count).range(of: d) {
                    let common = String(o.key[..<r.upperBound])
                    // A common prefix at or before the marker (or one the marker is inside) was
                    // given on an earlier page: S3 goes on past all of its keys.
                    if let start, common <= start || start.hasPrefix(common) {
                        after = common + "\u{10FFFF}"
                        break
                    }
                    page.prefixes.append(common)
                    page.last = common
                    // Every key under this prefix is rolled into it: go on after the last of them.
                    after = common + "\u{10FFFF}"
                    break
                }
                page.objects.append(o)
                page.last = o.key
                after = o.key
            }
            if batch.count <= max, after == batch.last?.key { return page }
        }
    }

    /// `encoding-type`: only `url` is a method S3 knows.
    static func checkEncodingType(_ call: ServiceCall) throws(ServiceError) {
        guard let t = call.query["encoding-type"], t != "url" else { return }
        throw S3Errors.invalidArgument("Invalid Encoding Method specified in Request", name: "encoding-type", value: t)
    }

    func listObjects(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        try Self.checkEncodingType(call)
        let q = call.query
        let v2 = q["list-type"] == "2"
        let prefix = q["prefix"] ?? ""
        let delimiter = q["delimiter"]
        let url = q["encoding-type"] == "url"
        guard let max = Int(q["max-keys"] ?? "1000"), max >= 0 else {
            throw S3Errors.invalidArgument("Provided max-keys not an integer or within integer range", name: "max-keys", value: q["max-keys"])
        }
        var after: String?
        if v2 {
            if let token = q["continuation-token"] {
                guard !token.isEmpty, let data = Data(base64Encoded: token), let key = String(data: data, encoding: .utf8) else {
                    throw S3Errors.invalidArgument("The continuation token provided is incorrect", name: "continuation-token")
                }
                after = key
            } else {
                after = q["start-after"]
            }
        } else {
            after = q["marker"]
        }
        let p = try await page(bucket, prefix: prefix, delimiter: delimiter, after: after, max: min(max, 1000))
        let anonymous = call.headers["authorization"] == nil && q["X-Amz-Signature"] == nil && q["Signature"] == nil
        func enc(_ s: String) -> String { url ? Self.urlEncode(s) : s }
        // AWS's element order (the Java SDK reads them in it): the listing's description
        // first, its Contents and CommonPrefixes last.
        return Self.xml("ListBucketResult") { w in
            w.element("Name", bucket)
            w.element("Prefix", enc(prefix))
            if v2 {
                if let t = q["continuation-token"] { w.element("ContinuationToken", t) }
                if p.truncated, let last = p.last { w.element("NextContinuationToken", Data(last.utf8).base64EncodedString()) }
                // A continuation token overrides StartAfter, and AWS then does not echo it.
                if let s = q["start-after"], q["continuation-token"] == nil { w.element("StartAfter", enc(s)) }
                w.element("KeyCount", String(p.objects.count + p.prefixes.count))
            } else {
                w.element("Marker", enc(q["marker"] ?? ""))
                if p.truncated, delimiter != nil, let last = p.last { w.element("NextMarker", enc(last)) }
            }
            w.element("MaxKeys", String(max))
            if let delimiter { w.element("Delimiter", enc(delimiter)) }
            w.element("IsTruncated", p.truncated ? "true" : "false")
            if url { w.element("EncodingType", "url") }
            for o in p.objects {
                w.raw("<Contents>")
                w.element("Key", enc(o.key))
                w.element("LastModified", Self.iso(o.modifiedMillis))
                w.element("ETag", Self.etagHeader(o.etag))
                Self.checksumAlgorithm(o, &w)
                w.element("Size", String(o.size))
                // (An anonymous request is not the owner, and is not told who is.)
                if (!v2 || q["fetch-owner"] == "true") && !anonymous {
                    owner(&w)
                }
                w.element("StorageClass", o.headers["x-amz-storage-class"]?.stringValue ?? "STANDARD")
                w.raw("</Contents>")
            }
            for c in p.prefixes {
                w.raw("<CommonPrefixes>")
                w.element("Prefix", enc(c))
                w.raw("</CommonPrefixes>")
            }
        }
    }

    /// A listed object's checksum algorithm, as ListObjects and ListObjectVersions name it.
    static func checksumAlgorithm(_ o: ObjectStore.Object, _ w: inout XMLWriter) {
        guard let alg = o.headers.keys.first(where: { $0.hasPrefix("x-amz-checksum-") && $0 != "x-amz-checksum-type" && $0 != "x-amz-checksum-algorithm" })
        else { return }
        w.element("ChecksumAlgorithm", String(alg.dropFirst("x-amz-checksum-".count)).uppercased())
        w.element("ChecksumType", "FULL_OBJECT")
    }

    /// `encoding-type=url`: what S3 percent-encodes in keys (all but unreserved characters and `/`).
    static func urlEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.~/")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
