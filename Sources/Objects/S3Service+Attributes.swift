import ServiceKit
import StatesLanguage

/// GetObjectAttributes (`GET ?attributes`): what `x-amz-object-attributes` asks for, in the
/// order of S3's model whatever order it was asked in (the Java SDK reads them in that order).
extension S3Service {
    static let objectAttributes: Set<String> = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]

    func objectAttributes(_ bucket: String, _ key: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        let asked = Set((call.headers["x-amz-object-attributes"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty })
        guard !asked.isEmpty else {
            throw S3Errors.invalidArgument("Invalid attribute name specified.", name: "x-amz-object-attributes", value: "")
        }
        if let bad = asked.first(where: { !Self.objectAttributes.contains($0) }) {
            throw S3Errors.invalidArgument("Invalid attribute name specified.", name: "x-amz-object-attributes", value: bad)
        }
        guard let o = try await store.object(bucket, key, versionId: call.query["versionId"], method: call.method) else {
            if try await store.bucket(bucket) == nil { throw S3Errors.noSuchBucket(bucket) }
            throw S3Errors.noSuchKey(key)
        }
        try Self.checkCustomerKey(o, call)
        var headers = [("Last-Modified", Self.httpDate(o.modifiedMillis))]
        if let v = o.headers[ObjectStore.versionHeader]?.stringValue { headers.append(("x-amz-version-id", v)) }
        return Self.xml("GetObjectAttributesResponse", headers: headers) { w in
            // An object's ETag here has no quotes.
            if asked.contains("ETag") { w.element("ETag", o.etag) }
            let type = o.headers[Self.checksumTypeHeader]?.stringValue ?? "FULL_OBJECT"
            if asked.contains("Checksum"), let a = Checksum.Algorithm.allCases.first(where: { o.headers[$0.header] != nil }),
               let v = o.headers[a.header]?.stringValue {
                w.raw("<Checksum>")
                // A composite checksum without its `-N` here.
                w.element("Checksum" + a.rawValue, type == "COMPOSITE" ? String(v.prefix { $0 != "-" }) : v)
                w.element("ChecksumType", type)
                w.raw("</Checksum>")
            }
            if asked.contains("ObjectParts"), let dash = o.etag.lastIndex(of: "-"), let count = Int(o.etag[o.etag.index(after: dash)...]) {
                w.raw("<ObjectParts>")
                w.element("PartsCount", String(count))
                // The parts themselves are listed when they have checksums (a composite upload's).
                let parts = Self.decodeParts(o.headers[Self.partsKey])
                if type == "COMPOSITE", !parts.isEmpty {
                    w.element("PartNumberMarker", "0")
                    w.element("NextPartNumberMarker", String(parts.count))
                    w.element("MaxParts", "1000")
                    w.element("IsTruncated", "false")
                    for (i, p) in parts.enumerated() {
                        w.raw("<Part>")
                        if let (a, v) = p.checksum { w.element("Checksum" + a.rawValue, v) }
                        w.element("PartNumber", String(i + 1))
                        w.element("Size", String(p.size))
                        w.raw("</Part>")
                    }
                }
                w.raw("</ObjectParts>")
            }
            if asked.contains("StorageClass") { w.element("StorageClass", o.headers["x-amz-storage-class"]?.stringValue ?? "STANDARD") }
            if asked.contains("ObjectSize") { w.element("ObjectSize", String(o.size)) }
        }
    }
}
