import Foundation
import ServiceKit
import StatesLanguage

/// Bucket configurations kept as the documents their PUT sent and given back by GET (S3's
/// own form: XML, or JSON for a policy), each with S3's error when there is none; and an
/// object's tags. What a configuration would make S3 do (lifecycle expiry, website hosting)
/// is not done yet: those subresources that would change behaviour are not accepted, so
/// nothing claims an effect it does not have. Notifications and CORS have files of their own.
extension S3Service {
    /// Subresource → (the error when none is set, its message), for the kept documents.
    static let keptConfigurations: [String: (code: String, message: String)] = [
        "ownershipControls": ("OwnershipControlsNotFoundError", "The bucket ownership controls were not found"),
        "publicAccessBlock": ("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"),
        "policy": ("NoSuchBucketPolicy", "The bucket policy does not exist"),
        "tagging": ("NoSuchTagSet", "The TagSet does not exist"),
        "encryption": ("ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found"),
    ]

    /// A bucket subresource request, answered here; nil when the query names none of them.
    func bucketSubresource(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply? {
        if call.query["versioning"] != nil { return try await versioning(bucket, call) }
        if call.query["notification"] != nil { return try await notification(bucket, call) }
        if call.query["cors"] != nil { return try await cors(bucket, call) }
        if call.query["accelerate"] != nil { return try await accelerate(bucket, call) }
        if call.query["requestPayment"] != nil { return try await requestPayment(bucket, call) }
        if call.query["acl"] != nil { return try await bucketACL(bucket, call) }
        if let reply = try await idConfiguration(bucket, call) { return reply }
        if call.query["logging"] != nil { return try await logging(bucket, call) }
        if call.query["object-lock"] != nil { return try await objectLockConfiguration(bucket, call) }
        if call.query["lifecycle"] != nil { return try await lifecycle(bucket, call) }
        if call.query["website"] != nil { return try await website(bucket, call) }
        if call.query["replication"] != nil { return try await replication(bucket, call) }
        guard let (name, missing) = Self.keptConfigurations.first(where: { call.query[$0.key] != nil }) else { return nil }
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        switch call.method {
        case "PUT":
            let body = try await Self.document(call, limit: 1024 * 1024)
            if name == "policy" {
                guard case .object? = try? JSONParser.parse(body) else { throw ServiceError("MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'") }
            } else {
                guard let root = XMLElementTree.parse(body) else { throw S3Errors.malformedXML() }
                // An empty tag set removes the bucket's tags (GetBucketTagging then answers NoSuchTagSet).
                if name == "tagging", root.child("TagSet")?.children.isEmpty ?? true {
                    try await store.setConfiguration(bucket, name, nil)
                    return ServiceReply(status: 204)
                }
            }
            try await store.setConfiguration(bucket, name, body)
            return ServiceReply(status: name == "policy" || name == "tagging" ? 204 : 200)
        case "GET":
            if let body = try await store.configuration(bucket, name) {
                return ServiceReply(status: 200, headers: [("Content-Type", name == "policy" ? "application/json" : "application/xml")], body: body)
            }
            if name == "encryption" {
                // Every bucket encrypts with S3-managed keys unless told otherwise (AWS's default since 2023).
                return Self.xml("ServerSideEncryptionConfiguration") { w in
                    w.raw("<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule>")
                }
            }
            throw ServiceError(missing.code, missing.message, kind: .notFound, details: ["BucketName": .string(bucket)])
        case "DELETE":
            try await store.setConfiguration(bucket, name, nil)
            return ServiceReply(status: 204)
        default:
            throw Self.methodNotAllowed(call.method)
        }
    }

    /// Versioning: Enabled or Suspended once set (a bucket never returns to unversioned).
    func versioning(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        if call.method == "GET" {
            let mode = try await store.versioning(bucket)
            return Self.xml("VersioningConfiguration") { w in if mode != .off { w.element("Status", mode.rawValue) } }
        }
        let body = try await Self.document(call, limit: 64 * 1024)
        guard let root = XMLElementTree.parse(body), root.name == "VersioningConfiguration" else { throw S3Errors.malformedXML() }
        guard let status = root.value("Status") else {
            throw ServiceError("IllegalVersioningConfigurationException", "The Versioning element must be specified")
        }
        guard let mode = ObjectStore.Versioning(rawValue: status), mode != .off else { throw S3Errors.malformedXML() }
        if mode == .suspended, try await objectLockEnabled(bucket) {
            throw ServiceError("InvalidBucketState", "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
                               kind: .conflict)
        }
        try await store.setConfiguration(bucket, "versioning", Array(mode.rawValue.utf8))
        return ServiceReply(status: 200)
    }

    // MARK: object tags

    /// `x-amz-tagging` (a query string of key=value pairs) → tags; AWS's limits of 10 tags,
    /// keys of 128 and values of 256 characters.
    static func tags(header: String) throws(ServiceError) -> [(String, String)] {
        var out: [(String, String)] = []
        let malformed = S3Errors.invalidArgument(
            "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
            name: "x-amz-tagging", value: header)
        for pair in header.split(separator: "&") where !pair.isEmpty {
            guard pair.filter({ $0 == "=" }).count <= 1 else { throw malformed }
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let k = String(kv[0]).replacingOccurrences(of: "+", with: " ").percentDecoded
            let v = kv.count > 1 ? String(kv[1]).replacingOccurrences(of: "+", with: " ").percentDecoded : ""
            out.append((k, v))
        }
        if Set(out.map(\.0)).count != out.count { throw malformed }
        try checkTags(out)
        return out
    }

    static func checkTags(_ tags: [(String, String)]) throws(ServiceError) {
        guard tags.count <= 10 else { throw ServiceError("BadRequest", "Object tags cannot be greater than 10") }
        for (k, v) in tags {
            guard !k.isEmpty, k.count <= 128, v.count <= 256 else { throw ServiceError("InvalidTag", "The TagKey you have provided is invalid") }
        }
        if Set(tags.map(\.0)).count != tags.count {
            throw ServiceError("InvalidTag", "Cannot provide multiple Tags with the same key")
        }
    }

    /// `<TagSet><Tag><Key>…</Key><Value>…</Value></Tag>…</TagSet>`.
    static func writeTagSet(_ tags: [(String, String)], _ w: inout XMLWriter) {
        w.raw("<TagSet>")
        for (k, v) in tags {
            w.raw("<Tag>")
            w.element("Key", k)
            w.element("Value", v)
            w.raw("</Tag>")
        }
        w.raw("</TagSet>")
    }

    static func encodeTags(_ tags: [(String, String)]) -> JSON { .array(tags.map { ["Key": .string($0.0), "Value": .string($0.1)] }) }

    static func decodeTags(_ json: JSON?) -> [(String, String)] {
        (json?.arrayValue ?? []).compactMap { t in t["Key"]?.stringValue.map { ($0, t["Value"]?.stringValue ?? "") } }
    }

    func objectTagging(_ bucket: String, _ key: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard var o = try await store.object(bucket, key, versionId: call.query["versionId"], method: call.method) else {
            if try await store.bucket(bucket) == nil { throw S3Errors.noSuchBucket(bucket) }
            // (AWS names the key with its bucket when reading tags.)
            throw S3Errors.noSuchKey(call.method == "GET" ? bucket + "/" + key : key)
        }
        let versionHeaders = o.headers[ObjectStore.versionHeader]?.stringValue.map { [("x-amz-version-id", $0)] } ?? []
        switch call.method {
        case "GET":
            let tags = Self.decodeTags(o.headers["tagging"])
            return Self.xml("Tagging", headers: versionHeaders) { w in Self.writeTagSet(tags, &w) }
        case "PUT":
            let body = try await Self.document(call, limit: 64 * 1024)
            guard let root = XMLElementTree.parse(body), root.name == "Tagging", let set = root.child("TagSet") else { throw S3Errors.malformedXML() }
            let tags = set.all("Tag").map { ($0.value("Key") ?? "", $0.value("Value") ?? "") }
            try Self.checkTags(tags)
            o.headers["tagging"] = Self.encodeTags(tags)
            try await store.update(o, cause: cause("ObjectTagging:Put", call))
            return ServiceReply(status: 200, headers: versionHeaders)
        case "DELETE":
            o.headers["tagging"] = nil
            try await store.update(o, cause: cause("ObjectTagging:Delete", call))
            return ServiceReply(status: 204, headers: versionHeaders)
        default:
            throw Self.methodNotAllowed(call.method)
        }
    }
}
