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

    func listBuckets() throws(ServiceError) -> ServiceReply {
        let all = try store.buckets()
        return Self.xml("ListAllMyBucketsResult") { w in
            owner(&w)
            w.raw("<Buckets>")
            for b in all {
                w.raw("<Bucket>")
                w.element("Name", b.name)
                w.element("CreationDate", Self.iso(b.createdMillis))
                w.element("BucketRegion", b.region)
                w.raw("</Bucket>")
            }
            w.raw("</Buckets>")
        }
    }

    func createBucket(_ name: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard Self.validBucketName(name) else {
            throw ServiceError("InvalidBucketName", "The specified bucket is not valid.", details: ["BucketName": .string(name)])
        }
        let body = try await Self.document(call, limit: 64 * 1024)
        let signed = call.signedRegion ?? region
        var location = signed
        if !body.isEmpty {
            guard let root = XMLElementTree.parse(body), root.name == "CreateBucketConfiguration" else { throw S3Errors.malformedXML() }
            if let constraint = root.value("LocationConstraint"), !constraint.isEmpty { location = constraint }
        }
        // AWS: a bucket in another region than the request's names it, and us-east-1 is named by none.
        if location != signed || (location == "us-east-1" && !body.isEmpty && signed != "us-east-1") {
            throw ServiceError("IllegalLocationConstraintException",
                               "The \(location) location constraint is incompatible for the region specific endpoint this request was sent to.")
        }
        let created = try await store.createBucket(name, region: location, now: now)
        if !created, location != "us-east-1" || signed != "us-east-1" {
            throw ServiceError("BucketAlreadyOwnedByYou",
                               "Your previous request to create the named bucket succeeded and you already own it.", kind: .conflict,
                               details: ["BucketName": .string(name)])
        }
        return ServiceReply(status: 200, headers: [("Location", "/" + name)])
    }

    func headBucket(_ name: String) throws(ServiceError) -> ServiceReply {
        guard let b = try store.bucket(name) else {
            throw ServiceError("NoSuchBucket", "Not Found", kind: .notFound)
        }
        return ServiceReply(status: 200, headers: [("x-amz-bucket-region", b.region), ("x-amz-access-point-alias", "false")])
    }

    func deleteBucket(_ name: String) async throws(ServiceError) -> ServiceReply {
        if try !store.uploads(name).isEmpty {
            throw ServiceError("BucketNotEmpty", "The bucket you tried to delete is not empty", kind: .conflict, details: ["BucketName": .string(name)])
        }
        try await store.deleteBucket(name)
        return ServiceReply(status: 204)
    }

    func location(_ name: String) throws(ServiceError) -> ServiceReply {
        guard let b = try store.bucket(name) else { throw S3Errors.noSuchBucket(name) }
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
