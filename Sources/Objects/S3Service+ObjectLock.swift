import ServiceKit
import StatesLanguage

/// S3 Object Lock: a bucket created with it (or given it once versioning is Enabled) keeps
/// its versions from being deleted while a retention date is ahead or a legal hold is on.
/// AWS: "In governance mode, users can't overwrite or delete an object version or alter its
/// lock settings unless they have special permissions… In compliance mode, a protected object
/// version can't be overwritten or deleted by any user." A retention can be extended, never
/// shortened (governance: unless `x-amz-bypass-governance-retention: true`). Writing a new
/// version is not prevented; deleting a version is. The settings live in the version's
/// headers (`x-amz-object-lock-mode`, `…-retain-until-date`, `…-legal-hold`), so HEAD and GET
/// give them back as S3 does.
extension S3Service {
    static let lockMode = "x-amz-object-lock-mode"
    static let lockUntil = "x-amz-object-lock-retain-until-date"
    static let legalHold = "x-amz-object-lock-legal-hold"
    static let lockedOut = ServiceError("AccessDenied", "Access Denied because object protected by object lock.", kind: .forbidden)
    static let lockEnabled = Array("<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>".utf8)

    func objectLockEnabled(_ bucket: String) async throws(ServiceError) -> Bool { try await store.configuration(bucket, "objectLock") != nil }

    static func missingLock() -> ServiceError { ServiceError("InvalidRequest", "Bucket is missing Object Lock Configuration") }

    /// `?object-lock` on a bucket.
    func objectLockConfiguration(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        switch call.method {
        case "GET":
            guard let body = try await store.configuration(bucket, "objectLock"), let root = XMLElementTree.parse(body) else {
                throw ServiceError("ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket",
                                   kind: .notFound, details: ["BucketName": .string(bucket)])
            }
            return Self.xml("ObjectLockConfiguration") { w in for c in root.children { c.write(to: &w) } }
        case "PUT":
            let body = try await Self.document(call, limit: 64 * 1024)
            guard let root = XMLElementTree.parse(body), root.name == "ObjectLockConfiguration",
                  root.value("ObjectLockEnabled") == "Enabled" else { throw S3Errors.malformedXML() }
            if let rule = root.child("Rule") {
                guard let retention = rule.child("DefaultRetention"), ["GOVERNANCE", "COMPLIANCE"].contains(retention.value("Mode") ?? ""),
                      (retention.value("Days") == nil) != (retention.value("Years") == nil),
                      let n = Int(retention.value("Days") ?? retention.value("Years") ?? ""), n > 0 else { throw S3Errors.malformedXML() }
            }
            let versioned = try await store.versioning(bucket) == .enabled
            guard try await objectLockEnabled(bucket) || versioned else {
                throw ServiceError("InvalidBucketState", "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
                                   kind: .conflict)
            }
            try await store.setConfiguration(bucket, "objectLock", body)
            return ServiceReply(status: 200)
        default:
            throw Self.methodNotAllowed(call.method)
        }
    }

    /// A write's lock headers, checked, with the bucket's default retention when it sends
    /// none: what the new version keeps.
    func lockHeaders(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> [String: String] {
        let h = call.headers
        let mode = h[Self.lockMode]
        let until = h[Self.lockUntil]
        let hold = h[Self.legalHold]
        if mode != nil || until != nil {
            // AWS names the one missing first, then checks the mode.
            guard let mode, until != nil else {
                throw S3Errors.invalidArgument("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
                                               name: mode == nil ? Self.lockMode : Self.lockUntil)
            }
            guard ["GOVERNANCE", "COMPLIANCE"].contains(mode) else {
                throw S3Errors.invalidArgument("Unknown wormMode directive.", name: Self.lockMode, value: mode)
            }
        }
        if let hold, !["ON", "OFF"].contains(hold) {
            throw S3Errors.invalidArgument("Legal Hold must be either of 'ON' or 'OFF'", name: Self.legalHold, value: hold)
        }
        if mode == nil, hold == nil, (try? await objectLockEnabled(bucket)) != true { return [:] }
        guard let config = try await store.configuration(bucket, "objectLock").flatMap({ XMLElementTree.parse($0) }) else { throw Self.missingLock() }
        var out: [String: String] = [:]
        if let hold { out[Self.legalHold] = hold }
        if let mode, let until {
            guard let date = Timestamp(iso8601: until) ?? Self.parseHTTPDate(until).map({ Timestamp(milliseconds: $0) }) else {
                throw S3Errors.invalidArgument("The retain until date must be provided in ISO 8601 format", name: Self.lockUntil, value: until)
            }
            guard date.milliseconds > now else {
                throw S3Errors.invalidArgument("The retain until date must be in the future!", name: Self.lockUntil, value: until)
            }
            out[Self.lockMode] = mode
            out[Self.lockUntil] = Timestamp(milliseconds: date.milliseconds).iso8601
        } else if let retention = config.child("Rule")?.child("DefaultRetention"), let mode = retention.value("Mode") {
            let days = Int64(retention.value("Days") ?? "") ?? (Int64(retention.value("Years") ?? "") ?? 0) * 365
            out[Self.lockMode] = mode
            out[Self.lockUntil] = Timestamp(milliseconds: now + days * 86_400_000).iso8601
        }
        return out
    }

    /// Whether a version may be deleted now: not while a legal hold is on, nor before its
    /// retention date (governance's yielding to the bypass header).
    func checkDeletable(_ o: ObjectStore.Object, bypass: Bool) throws(ServiceError) {
        if o.headers[Self.legalHold]?.stringValue == "ON" { throw Self.lockedOut }
        guard let mode = o.headers[Self.lockMode]?.stringValue, let until = o.headers[Self.lockUntil]?.stringValue,
              let date = Timestamp(iso8601: until), date.milliseconds > now else { return }
        if mode == "COMPLIANCE" || !bypass { throw Self.lockedOut }
    }

    /// `x-amz-bypass-governance-retention` on a delete: only an Object Lock bucket takes it.
    func bypassGovernance(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> Bool {
        guard let value = call.headers["x-amz-bypass-governance-retention"] else { return false }
        guard try await objectLockEnabled(bucket) else {
            throw S3Errors.invalidArgument("x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.",
                                           name: "x-amz-bypass-governance-retention")
        }
        return value.lowercased() == "true"
    }

    /// `?retention` on an object (version).
    func objectRetention(_ bucket: String, _ key: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        var body: [UInt8] = []
        if call.method == "PUT" { body = try await Self.document(call, limit: 64 * 1024) }
        guard try await objectLockEnabled(bucket) else { throw Self.missingLock() }
        guard var o = try await store.object(bucket, key, versionId: call.query["versionId"], method: call.method) else { throw S3Errors.noSuchKey(key) }
        switch call.method {
        case "GET":
            guard let mode = o.headers[Self.lockMode]?.stringValue, let until = o.headers[Self.lockUntil]?.stringValue else {
                throw ServiceError("NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration", kind: .notFound)
            }
            return Self.xml("Retention") { w in
                w.element("Mode", mode)
                w.element("RetainUntilDate", until)
            }
        case "PUT":
            guard let root = XMLElementTree.parse(body), root.name == "Retention" else { throw S3Errors.malformedXML() }
            let mode = root.value("Mode")
            let until = root.value("RetainUntilDate").flatMap { Timestamp(iso8601: $0) }
            guard (mode == nil) == (until == nil), mode.map({ ["GOVERNANCE", "COMPLIANCE"].contains($0) }) ?? true else { throw S3Errors.malformedXML() }
            if let until, until.milliseconds <= now {
                throw S3Errors.invalidArgument("The retain until date must be in the future!", name: "RetainUntilDate")
            }
            // A retention in force may be extended; anything less binding needs governance
            // mode and the bypass header, and compliance mode yields to nothing.
            if let oldMode = o.headers[Self.lockMode]?.stringValue, let old = o.headers[Self.lockUntil]?.stringValue.flatMap({ Timestamp(iso8601: $0) }),
               old.milliseconds > now {
                let weaker = mode == nil || (oldMode == "COMPLIANCE" && mode != "COMPLIANCE") || (until.map { $0 < old } ?? true)
                let bypass = try await bypassGovernance(bucket, call)
                if weaker, oldMode == "COMPLIANCE" || !bypass { throw Self.lockedOut }
            }
            o.headers[Self.lockMode] = mode.map { .string($0) }
            o.headers[Self.lockUntil] = until.map { .string($0.iso8601) }
            try await store.update(o)
            return ServiceReply(status: 200)
        default:
            throw Self.methodNotAllowed(call.method)
        }
    }

    /// `?legal-hold` on an object (version).
    func objectLegalHold(_ bucket: String, _ key: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        var status: String?
        if call.method == "PUT" {
            let body = try await Self.document(call, limit: 64 * 1024)
            guard let root = XMLElementTree.parse(body), root.name == "LegalHold", let s = root.value("Status"), ["ON", "OFF"].contains(s) else {
                throw S3Errors.malformedXML()
            }
            status = s
        }
        guard try await objectLockEnabled(bucket) else { throw Self.missingLock() }
        guard var o = try await store.object(bucket, key, versionId: call.query["versionId"], method: call.method) else { throw S3Errors.noSuchKey(key) }
        switch call.method {
        case "GET":
            guard let hold = o.headers[Self.legalHold]?.stringValue else {
                throw ServiceError("NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration", kind: .notFound)
            }
            return Self.xml("LegalHold") { w in w.element("Status", hold) }
        case "PUT":
            o.headers[Self.legalHold] = status.map { .string($0) }
            try await store.update(o)
            return ServiceReply(status: 200)
        default:
            throw Self.methodNotAllowed(call.method)
        }
    }
}
