import Engine
import Foundation
import ServiceKit
import StatesLanguage

/// Lifecycle configuration (`?lifecycle`) and what it does: objects carry `x-amz-expiration`
/// (`expiry-date="…", rule-id="…"`) on PUT, HEAD and GET, and a background sweep expires the
/// current versions that are due (a delete, or a delete marker in a versioned bucket, told as
/// `LifecycleExpiration:*` events), moves objects to the storage class of a transition that
/// has come due, and aborts multipart uploads left incomplete past their rule's days.
extension S3Service {
    static let minimumSizeHeader = "x-amz-transition-default-minimum-object-size"

    func lifecycle(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        switch call.method {
        case "GET":
            guard let body = try await store.configuration(bucket, "lifecycle") else {
                throw ServiceError("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", kind: .notFound,
                                   details: ["BucketName": .string(bucket)])
            }
            let size = try await store.configuration(bucket, "lifecycleMinimumSize").map { String(decoding: $0, as: UTF8.self) } ?? "all_storage_classes_128K"
            return ServiceReply(status: 200, headers: [("Content-Type", "application/xml"), (Self.minimumSizeHeader, size)], body: body)
        case "PUT":
            let size = call.headers[Self.minimumSizeHeader] ?? "all_storage_classes_128K"
            guard ["all_storage_classes_128K", "varies_by_storage_class"].contains(size) else {
                throw ServiceError("InvalidRequest", "Invalid TransitionDefaultMinimumObjectSize found: \(size)")
            }
            let body = try await Self.document(call, limit: 1024 * 1024)
            _ = try LifecycleConfiguration.parse(body)
            try await store.setConfiguration(bucket, "lifecycle", body)
            try await store.setConfiguration(bucket, "lifecycleMinimumSize", Array(size.utf8))
            return ServiceReply(status: 200, headers: [(Self.minimumSizeHeader, size)])
        case "DELETE":
            try await store.setConfiguration(bucket, "lifecycle", nil)
            return ServiceReply(status: 204)
        default:
            throw Self.methodNotAllowed(call.method)
        }
    }

    func lifecycleRules(_ bucket: String) async -> LifecycleConfiguration? {
        guard let body = try? await store.configuration(bucket, "lifecycle") else { return nil }
        return try? LifecycleConfiguration.parse(body)
    }

    /// `x-amz-expiration` for an object, when a rule will expire it.
    func expirationHeader(_ bucket: String, _ o: ObjectStore.Object) async -> (String, String)? {
        guard let rules = await lifecycleRules(bucket),
              let (due, rule) = rules.expiry(key: o.key, size: o.size, tags: Self.decodeTags(o.headers["tagging"]), createdMillis: o.modifiedMillis)
        else { return nil }
        return ("x-amz-expiration", "expiry-date=\"\(Self.httpDate(due))\", rule-id=\"\(rule)\"")
    }

    func runLifecycle() async {
        let bell = Doorbell()
        while !Task.isCancelled {
            _ = try? await applyLifecycle()
            await bell.wait(until: clock.now().adding(seconds: 60), on: clock)
        }
    }

    /// One pass over the buckets with lifecycle rules; returns how many objects expired.
    @discardableResult
    package func applyLifecycle() async throws(ServiceError) -> Int {
        let now = self.now
        var expired = 0
        // Nodes sharing one database: a bucket's rules are applied by the owner of its
        // partition only (once, not by every node: a versioned expiry adds a delete marker).
        for b in try await store.buckets() where engine.owns("arn:aws:s3:::" + b.name) {
            guard let rules = await lifecycleRules(b.name) else { continue }
            var after: String?
            while true {
                let batch = try await store.list(b.name, prefix: "", after: after, limit: 500)
                guard let last = batch.last else { break }
                after = last.key
                for o in batch {
                    let tags = Self.decodeTags(o.headers["tagging"])
                    if let (due, _) = rules.expiry(key: o.key, size: o.size, tags: tags, createdMillis: o.modifiedMillis), due <= now {
                        let versioned = try await store.versioning(b.name) == .enabled
                        let cause = ObjectStore.Cause(event: versioned ? "LifecycleExpiration:DeleteMarkerCreated" : "LifecycleExpiration:Delete",
                                                      requestId: UUIDText.random(), timeMillis: now)
                        _ = try await store.delete(b.name, entries: [(o.key, nil)], now: now, cause: cause)
                        expired += 1
                    } else if let moved = rules.storageClass(key: o.key, size: o.size, tags: tags, createdMillis: o.modifiedMillis, now: now),
                              o.headers["x-amz-storage-class"]?.stringValue ?? "STANDARD" != moved {
                        var changed = o
                        changed.headers["x-amz-storage-class"] = .string(moved)
                        try await store.update(changed)
                    }
                }
                if batch.count < 500 { break }
            }
            for r in rules.rules where r.enabled {
                guard let days = r.abortIncompleteAfterDays else { continue }
                for u in try await store.uploads(b.name) where u.key.hasPrefix(r.filter.prefix)
                    && LifecycleConfiguration.When.days(days).due(createdMillis: u.initiatedMillis) <= now {
                    try await store.finish(u.id, object: nil)
                }
            }
        }
        return expired
    }
}
