import ServiceKit

/// Server access logging (`?logging`) and replication (`?replication`), kept with S3's
/// checks. Baton writes no access log files yet: the setting is kept and given back, as a
/// tool reading it expects. Replication would copy objects to another bucket, an effect
/// Baton does not perform, so only rules that are `Disabled` are accepted: a rule that
/// would replicate is refused rather than kept as if it did.
extension S3Service {
    func logging(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard let source = try await store.bucket(bucket) else { throw S3Errors.noSuchBucket(bucket) }
        switch call.method {
        case "GET":
            let kept = try await store.configuration(bucket, "logging").flatMap { XMLElementTree.parse($0) }
            return Self.xml("BucketLoggingStatus") { w in kept?.child("LoggingEnabled")?.write(to: &w) }
        case "PUT":
            let body = try await Self.document(call, limit: 64 * 1024)
            guard let root = XMLElementTree.parse(body), root.name == "BucketLoggingStatus" else { throw S3Errors.malformedXML() }
            guard let enabled = root.child("LoggingEnabled") else {
                // An empty status turns logging off.
                try await store.setConfiguration(bucket, "logging", nil)
                return ServiceReply(status: 200)
            }
            guard let target = enabled.value("TargetBucket"), enabled.child("TargetPrefix") != nil else { throw S3Errors.malformedXML() }
            guard let targetBucket = try await store.bucket(target) else {
                throw ServiceError("InvalidTargetBucketForLogging", "The target bucket for logging does not exist",
                                   details: ["TargetBucket": .string(target)])
            }
            // AWS: logs are delivered within a region only.
            guard Self.regionName(targetBucket.region) == Self.regionName(source.region) else {
                throw ServiceError("CrossLocationLoggingProhibitted", "Cross S3 location logging not allowed. ", kind: .forbidden,
                                   details: ["TargetBucketLocation": .string(Self.regionName(targetBucket.region))])
            }
            try await store.setConfiguration(bucket, "logging", body)
            return ServiceReply(status: 200)
        default:
            throw Self.methodNotAllowed(call.method)
        }
    }

    func replication(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        switch call.method {
        case "GET":
            guard let body = try await store.configuration(bucket, "replication") else {
                throw ServiceError("ReplicationConfigurationNotFoundError", "The replication configuration was not found", kind: .notFound,
                                   details: ["BucketName": .string(bucket)])
            }
            return ServiceReply(status: 200, headers: [("Content-Type", "application/xml")], body: body)
        case "PUT":
            let body = try await Self.document(call, limit: 256 * 1024)
            guard let root = XMLElementTree.parse(body), root.name == "ReplicationConfiguration", root.child("Role") != nil else {
                throw S3Errors.malformedXML()
            }
            let rules = root.all("Rule")
            guard !rules.isEmpty, rules.count <= 1000 else { throw S3Errors.malformedXML() }
            // AWS: replication needs versioning on both sides.
            guard try await store.versioning(bucket) == .enabled else {
                throw ServiceError("InvalidRequest", "Versioning must be 'Enabled' on the bucket to apply a replication configuration")
            }
            for rule in rules {
                guard let arn = rule.child("Destination")?.value("Bucket") else { throw S3Errors.malformedXML() }
                let destination = arn.hasPrefix("arn:aws:s3:::") ? String(arn.dropFirst("arn:aws:s3:::".count)) : arn
                guard try await store.bucket(destination) != nil, try await store.versioning(destination) == .enabled else {
                    throw ServiceError("InvalidRequest", "Destination bucket must have versioning enabled.")
                }
                guard rule.value("Status") == "Disabled" else {
                    throw ServiceError("NotImplemented", "Baton does not replicate objects: only rules with Status Disabled are accepted",
                                       kind: .notImplemented)
                }
            }
            try await store.setConfiguration(bucket, "replication", body)
            return ServiceReply(status: 200)
        case "DELETE":
            try await store.setConfiguration(bucket, "replication", nil)
            return ServiceReply(status: 204)
        default:
            throw Self.methodNotAllowed(call.method)
        }
    }
}
