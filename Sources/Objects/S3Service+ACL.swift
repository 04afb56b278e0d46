import ServiceKit
import StatesLanguage

/// ACLs (`?acl` on a bucket or an object, and `x-amz-acl`/`x-amz-grant-*` on PutObject): kept
/// and given back as S3 gives them. Baton does not enforce them: every caller of this
/// endpoint is its one account, the owner of everything.
extension S3Service {
    func bucketACL(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        switch call.method {
        case "GET":
            let acl = try await store.configuration(bucket, "acl").flatMap { try? JSONParser.parse($0) }.flatMap { AccessControlList(json: $0) }
                ?? AccessControlList.owner(account)
            return Self.xml("AccessControlPolicy") { w in acl.write(&w, owner: account) }
        case "PUT":
            let acl = try await requestedACL(call, bucket: true)
            try await store.setConfiguration(bucket, "acl", acl.json.serializedBytes)
            return ServiceReply(status: 200)
        default:
            throw Self.methodNotAllowed(call.method)
        }
    }

    func objectACL(_ bucket: String, _ key: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        // AWS: reading the ACL of a key whose newest version is a delete marker finds no key;
        // writing it, or naming the marker's version, is not allowed on a marker.
        let found = await call.method == "GET" && call.query["versionId"] == nil
            ? try store.object(bucket, key) : try store.object(bucket, key, versionId: call.query["versionId"], method: call.method)
        guard var o = found else {
            if try await store.bucket(bucket) == nil { throw S3Errors.noSuchBucket(bucket) }
            throw S3Errors.noSuchKey(key)
        }
        switch call.method {
        case "GET":
            let acl = AccessControlList(json: o.headers["acl"]) ?? AccessControlList.owner(account)
            return Self.xml("AccessControlPolicy") { w in acl.write(&w, owner: account) }
        case "PUT":
            let acl = try await requestedACL(call, bucket: false)
            // AWS tells of an ACL only when it changed (setting `private` on a new object does not).
            let changed = acl != (AccessControlList(json: o.headers["acl"]) ?? AccessControlList.owner(account))
            o.headers["acl"] = acl.json
            try await store.update(o, cause: changed ? cause("ObjectAcl:Put", call) : nil)
            return ServiceReply(status: 200)
        default:
            throw Self.methodNotAllowed(call.method)
        }
    }

    /// A PUT ?acl's ACL, or S3's error when it sets none.
    func requestedACL(_ call: ServiceCall, bucket: Bool) async throws(ServiceError) -> AccessControlList {
        let body = try await Self.document(call, limit: 64 * 1024)
        guard let acl = try AccessControlList.from(headers: call.headers, body: body, owner: account, bucket: bucket) else {
            throw ServiceError("MissingSecurityHeader", "Your request was missing a required header", details: ["MissingHeaderName": "x-amz-acl"])
        }
        return acl
    }
}
