import ServiceKit
import StatesLanguage

/// GetObjectAttributes (`GET ?attributes`): what `x-amz-object-attributes` asks for, in the
/// order of S3's model whatever order it was asked in (the Java SDK reads them in that order).
extension S3Service {
    static let objectAttributes: Set<String> = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]

    func objectAttributes(_ bucket: String, _ key: String, _ call: ServiceCall) throws(ServiceError) -> ServiceReply {
        let asked = Set((call.headers["x-amz-object-attributes"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty })
        guard !asked.isEmpty else {
            throw S3Errors.invalidArgument("Invalid attribute name specified.", name: "x-amz-object-attributes", value: "")
        }
        if let bad = asked.first(where: { !Self.objectAttributes.contains($0) }) {
            throw S3Errors.invalidArgument("Invalid attribute name specified.", name: "x-amz-object-attributes", value: bad)
        }
        guard let o = try store.object(bucket, key, versionId: call.query["versionId"], method: call.method) else {
            if try store.bucket(bucket) == nil { throw S3Errors.noSuchBucket(bucket) }
            throw S3Errors.noSuchKey(key)
        }
        var headers = [("Last-Modified", Self.httpDate(o.modifiedMillis))]
        if let v = o.headers[ObjectStore.versionHeader]?.stringValue { headers.append(("x-amz-version-id", v)) }
        return Self.xml("GetObjectAttributesResponse", headers: headers) { w in
            // An object's ETag here has no quotes.
            if asked.contains("ETag") { w.element("ETag", o.etag) }
            if asked.contains("Checksum"), let a = Checksum.Algorithm.allCases.first(where: { o.headers[$0.header] != nil }),
               let v = o.headers[a.header]?.stringValue {
                w.raw("<Checksum>")
                w.element("Checksum" + a.rawValue, v)
                w.element("ChecksumType", o.headers["x-amz-checksum-type"]?.stringValue ?? "FULL_OBJECT")
                w.raw("</Checksum>")
            }
            if asked.contains("ObjectParts"), let dash = o.etag.lastIndex(of: "-"), let parts = Int(o.etag[o.etag.index(after: dash)...]) {
                w.raw("<ObjectParts>")
                w.element("TotalPartsCount", String(parts))
                w.raw("</ObjectParts>")
            }
            if asked.contains("StorageClass") { w.element("StorageClass", o.headers["x-amz-storage-class"]?.stringValue ?? "STANDARD") }
            if asked.contains("ObjectSize") { w.element("ObjectSize", String(o.size)) }
        }
    }
}
