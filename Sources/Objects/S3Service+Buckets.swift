import Foundation
import ServiceKit
import StatesLanguage

extension S3Service {
    /// AWS: 3 to 63 characters of lowercase letters, digits, dots and hyphens, beginning and
    /// ending with a letter or digit, not two adjacent dots, not formatted as an IP address.
    static func validBucketName(_ name: String) -> Bool {
        let chars = Array(name.utf8)
        guard (3...63).contains(chars.count) else { return false }
        func alnum(_ c: UInt8) -> Bool { (97...122).contains(c) || (48...57).contains(c) }
        guard let first = chars.first, let last = chars.last, alnum(first), alnum(last) else { return false }
        guard chars.allSatisfy({ alnum($0) || $0 == 46 || $0 == 45 }), !name.contains("..") else { return false }
        let parts = name.split(separator: ".")
        if parts.count == 4, parts.allSatisfy({ Int($0).map { (0...255).contains($0) } ?? false }) { return false }
        return true
    }

    /// S3's one legacy location constraint that is not a region's name: `EU` is eu-west-1.
    static func regionName(_ location: String) -> String { location == "EU" ? "eu-west-1" : location }

    /// ListBuckets in name order: `Prefix`, `BucketRegion`, and pages of `MaxBuckets` (1 to
    /// 10,000) continued by the token S3 gives (here the last name shown, base64).
    func listBuckets(_ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        let prefix = call.query["prefix"]
        let regionFilter = call.query["bucket-region"]
        var limit = 10_000
        if let text = call.query["max-buckets"] {
            guard let n = Int(text), (1...10_000).contains(n) else {
                throw ServiceError("InvalidArgument", "Argument max-buckets must be an integer between 1 and 10000",
                                   details: ["ArgumentName": "max-buckets", "ArgumentValue": .string(text)])
            }
            limit = n
        }
        var after: String?
        if let token = call.query["continuation-token"] {
            guard let bytes = Base64.decode(token), !token.isEmpty else {
                throw ServiceError("InvalidArgument", "The continuation token provided is incorrect",
                                   details: ["ArgumentName": "continuation-token", "ArgumentValue": .string(token)])
            }
            after = String(decoding: bytes, as: UTF8.self)
        }
        let all = try await store.buckets().filter { b in
            (prefix.map { b.name.hasPrefix($0) } ?? true) && (regionFilter.map { Self.regionName(b.region) == $0 } ?? true)
                && (after.map { b.name > $0 } ?? true)
        }
        let shown = all.prefix(limit)
        return Self.xml("ListAllMyBucketsResult") { w in
            owner(&w)
            w.raw("<Buckets>")
            for b in shown {
                w.raw("<Bucket>")
                w.element("Name", b.name)
                w.element("CreationDate", Self.iso(b.createdMillis))
                w.element("BucketRegion", Self.regionName(b.region))
                w.element("BucketArn", "arn:aws:s3:::" + b.name)
                w.raw("</Bucket>")
            }
            w.raw("</Buckets>")
            if all.count > limit, let last = shown.last { w.element("ContinuationToken", Base64.encode(Array(last.name.utf8))) }
            if let prefix { w.element("Prefix", prefix) }
        }
    }

    func createBucket(_ name: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard Self.validBucketName(name) else {
            throw ServiceError("InvalidBucketName", "The specified bucket is not valid.", details: ["BucketName": .string(name)])
        }
        let body = try await Self.document(call, limit: 64 * 1024)
        let signed = call.signedRegion ?? region
        var constraint: String?
        var tags: [(String, String)] = []
        if !body.isEmpty {
            guard let root = XMLElementTree.parse(body), root.name == "CreateBucketConfiguration" else { throw S3Errors.malformedXML() }
            if let c = root.value("LocationConstraint"), !c.isEmpty { constraint = c }
            // Tags given at creation are the bucket's tag set (GetBucketTagging).
            tags = root.child("Tags")?.all("Tag").map { ($0.value("Key") ?? "", $0.value("Value") ?? "") } ?? []
            try Self.checkTags(tags)
        }
        // AWS: us-east-1's endpoint creates a bucket in any other region and names us-east-1
        // by no constraint at all; every other region's endpoint creates only its own (and
        // eu-west-1's its legacy name `EU`).
        let location: String
        if signed == "us-east-1" {
            if constraint == "us-east-1" {
                throw ServiceError("InvalidLocationConstraint", "The specified location-constraint is not valid",
                                   details: ["LocationConstraint": "us-east-1"])
            }
            location = constraint ?? "us-east-1"
        } else {
            guard let constraint, Self.regionName(constraint) == signed else {
                throw ServiceError("IllegalLocationConstraintException",
                                   "The \(constraint ?? "unspecified") location constraint is incompatible for the region specific endpoint this request was sent to.")
            }
            location = constraint
        }
        let created = try await store.createBucket(name, region: location, now: now)
        if !created, location != "us-east-1" || signed != "us-east-1" {
            throw ServiceError("BucketAlreadyOwnedByYou",
                               "Your previous request to create the named bucket succeeded and you already own it.", kind: .conflict,
                               details: ["BucketName": .string(name)])
        }
        // A bucket made with Object Lock is versioned from the start, and stays so.
        if created, call.headers["x-amz-bucket-object-lock-enabled"]?.lowercased() == "true" {
            try await store.setConfiguration(name, "versioning", Array(ObjectStore.Versioning.enabled.rawValue.utf8))
            try await store.setConfiguration(name, "objectLock", Self.lockEnabled)
        }
        if created, !tags.isEmpty {
            var w = XMLWriter()
            w.raw("<Tagging>")
            Self.writeTagSet(tags, &w)
            w.raw("</Tagging>")
            try await store.setConfiguration(name, "tagging", w.bytes)
        }
        // AWS: a us-east-1 bucket's Location is its path; any other's, its virtual host's URL.
        var locationHeader = "/" + name
        if location != "us-east-1" {
            let host = call.headers["host"] ?? "s3.amazonaws.com"
            locationHeader = "http://" + (host.hasPrefix(name + ".") ? host : name + "." + host) + "/"
        }
        return ServiceReply(status: 200, headers: [("Location", locationHeader), ("x-amz-bucket-arn", "arn:aws:s3:::" + name)])
    }

    func headBucket(_ name: String) async throws(ServiceError) -> ServiceReply {
        guard let b = try await store.bucket(name) else {
            throw ServiceError("NoSuchBucket", "Not Found", kind: .notFound)
        }
        return ServiceReply(status: 200, headers: [("Content-Type", "application/xml"), ("x-amz-bucket-region", Self.regionName(b.region)),
                                                 ("x-amz-access-point-alias", "false"),
                                                 ("x-amz-bucket-arn", "arn:aws:s3:::" + name)])
    }

    func deleteBucket(_ name: String) async throws(ServiceError) -> ServiceReply {
        if try await !store.uploads(name).isEmpty {
            throw ServiceError("BucketNotEmpty", "The bucket you tried to delete is not empty", kind: .conflict, details: ["BucketName": .string(name)])
        }
        try await store.deleteBucket(name)
        return ServiceReply(status: 204)
    }

    func location(_ name: String) async throws(ServiceError) -> ServiceReply {
        guard let b = try await store.bucket(name) else { throw S3Errors.noSuchBucket(name) }
        var w = XMLWriter()
        w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        // AWS: us-east-1 buckets have an empty location constraint, an empty element.
        if b.region == "us-east-1" {
            w.raw(#"<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#)
        } else {
            w.raw(#"<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#)
            w.text(b.region)
            w.raw("</LocationConstraint>")
        }
        return ServiceReply(status: 200, headers: [("Content-Type", "application/xml")], body: w.bytes)
    }
}
