import ServiceKit
import StatesLanguage

/// Archived objects (storage class GLACIER or DEEP_ARCHIVE): their bytes are read only
/// through a restored copy, as on S3 (GetObject and CopyObject answer InvalidObjectState
/// until then). RestoreObject makes the copy; here it is ready at once (there is no tape to
/// wait for), readable until its expiry (`Days` after today's midnight, UTC), with S3's
/// `x-amz-restore` header and its `ObjectRestore:Post` and `:Completed` events.
extension S3Service {
    static let archiveClasses: Set<String> = ["GLACIER", "DEEP_ARCHIVE"]

    /// InvalidObjectState unless the object's bytes can be read now.
    func checkReadable(_ o: ObjectStore.Object) throws(ServiceError) {
        guard let cls = o.headers["x-amz-storage-class"]?.stringValue, Self.archiveClasses.contains(cls) else { return }
        if let expiry = o.headers["restore-expiry"]?.integerValue, expiry > now { return }
        throw ServiceError("InvalidObjectState", "The operation is not valid for the object's storage class", kind: .forbidden,
                           details: ["StorageClass": .string(cls)])
    }

    func restoreObject(_ bucket: String, _ key: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard call.method == "POST" else { throw Self.methodNotAllowed(call.method) }
        let body = try await Self.document(call, limit: 64 * 1024)
        guard var o = try await store.object(bucket, key, versionId: call.query["versionId"], method: call.method) else {
            if try await store.bucket(bucket) == nil { throw S3Errors.noSuchBucket(bucket) }
            throw S3Errors.noSuchKey(key)
        }
        guard let cls = o.headers["x-amz-storage-class"]?.stringValue, Self.archiveClasses.contains(cls) else {
            throw ServiceError("InvalidObjectState", "Restore is not allowed for the object's current storage class", kind: .forbidden)
        }
        var days: Int64 = 1
        if !body.isEmpty {
            guard let root = XMLElementTree.parse(body), root.name == "RestoreRequest" else { throw S3Errors.malformedXML() }
            if let d = root.value("Days") {
                guard let n = Int64(d), n > 0 else { throw S3Errors.malformedXML() }
                days = n
            }
        }
        let restored = o.headers["restore-expiry"]?.integerValue.map { $0 > now } ?? false
        let day: Int64 = 86_400_000
        let expiry = (now / day + 1 + days) * day
        o.headers["restore-expiry"] = .int(expiry)
        o.headers["x-amz-restore"] = .string("ongoing-request=\"false\", expiry-date=\"\(Self.httpDate(expiry))\"")
        if restored {
            // A copy already restored: its expiry moves, and S3 answers 200.
            try await store.update(o)
            return ServiceReply(status: 200)
        }
        try await store.update(o, cause: cause("ObjectRestore:Post", call))
        try await store.update(o, cause: cause("ObjectRestore:Completed", call))
        return ServiceReply(status: 202)
    }
}
