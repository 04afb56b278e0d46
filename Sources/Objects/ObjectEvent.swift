import ServiceKit
import StatesLanguage

/// Something that happened to an object, as its bucket's notifications describe it. Built by
/// the request that did it (time, request id and sequencer are inputs, kept in the message),
/// so a redelivered notification says exactly what the first try said.
struct ObjectEvent: Sendable {
    /// S3's event name without the `s3:` prefix: `ObjectCreated:Put`, `ObjectRemoved:Delete`, …
    var name: String
    var bucket: String
    var key: String
    var size: Int64?
    var etag: String?
    /// The version the event is about, in a bucket that has had versioning.
    var versionId: String? = nil
    var requestId: String
    var timeMillis: Int64
    /// Orders the events of one key: AWS's "sequencer" (hex, comparable once padded).
    var sequencer: String
    var region: String
    var account: String
    /// An archived object's class and its restored copy's expiry (restore events).
    var storageClass: String? = nil
    var restoreExpiryMillis: Int64? = nil

    /// The record inside a queue, topic or function notification (AWS's "event message
    /// structure"). AWS: "The s3 key provides information about the bucket and object involved
    /// in the event. The object key name value is URL encoded."
    func record(configurationId: String) -> JSON {
        var object = JSONObject()
        object.appendUnchecked("key", .string(Self.urlEncodedKey(key)))
        let tagging = name.hasPrefix("ObjectTagging:") || name.hasPrefix("ObjectAcl:")
        if name.hasPrefix("ObjectCreated:") {
            if let size { object.appendUnchecked("size", .int(size)) }
            if let etag { object.appendUnchecked("eTag", .string(etag)) }
        } else if tagging || name == "ObjectRemoved:DeleteMarkerCreated", let etag {
            object.appendUnchecked("eTag", .string(etag))
        }
        if let versionId { object.appendUnchecked("versionId", .string(versionId)) }
        if !tagging { object.appendUnchecked("sequencer", .string(sequencer)) }
        var bucketObject = JSONObject()
        bucketObject.appendUnchecked("name", .string(bucket))
        // AWS's principal ids are opaque (a canonical id for the owner, `AWS:AIDA…` for the requester).
        bucketObject.appendUnchecked("ownerIdentity", ["principalId": .string("A" + String(UUIDText.named("owner-" + account).prefix(13)).uppercased().filter { $0 != "-" })])
        bucketObject.appendUnchecked("arn", .string("arn:aws:s3:::\(bucket)"))
        var s3 = JSONObject()
        s3.appendUnchecked("s3SchemaVersion", "1.0")
        s3.appendUnchecked("configurationId", .string(configurationId))
        s3.appendUnchecked("bucket", .object(bucketObject))
        s3.appendUnchecked("object", .object(object))
        var r = JSONObject()
        // AWS: 2.1 for object created and removed, 2.3 for tagging and ACL events.
        r.appendUnchecked("eventVersion", tagging ? "2.3" : "2.1")
        r.appendUnchecked("eventSource", "aws:s3")
        r.appendUnchecked("awsRegion", .string(region))
        r.appendUnchecked("eventTime", .string(Timestamp(milliseconds: timeMillis).iso8601))
        r.appendUnchecked("eventName", .string(name))
        r.appendUnchecked("userIdentity", ["principalId": .string("AWS:AIDA" + String(UUIDText.named("user-" + account).prefix(16)).uppercased().filter { $0 != "-" })])
        r.appendUnchecked("requestParameters", ["sourceIPAddress": "127.0.0.1"])
        r.appendUnchecked("responseElements", ["x-amz-request-id": .string(requestId), "x-amz-id-2": .string(ServiceReply.hostId(requestId))])
        r.appendUnchecked("s3", .object(s3))
        return ["Records": [.object(r)]]
    }

    /// The PutEvents entry for EventBridge (AWS's "EventBridge event message structure"), or
    /// nil for an event S3 does not send there.
    var eventBridgeEntry: JSON? {
        var object = JSONObject()
        object.appendUnchecked("key", .string(key))
        var detailType: String
        var reason: String?
        var deletion: String?
        switch name {
        case let n where n.hasPrefix("ObjectCreated:"):
            detailType = "Object Created"
            if let size { object.appendUnchecked("size", .int(size)) }
            if let etag { object.appendUnchecked("etag", .string(etag)) }
            if let versionId { object.appendUnchecked("version-id", .string(versionId)) }
            object.appendUnchecked("sequencer", .string(sequencer))
            // AWS: "the reason field is PutObject, POST Object, CopyObject, or CompleteMultipartUpload".
            reason = ["ObjectCreated:Put": "PutObject", "ObjectCreated:Post": "POST Object", "ObjectCreated:Copy": "CopyObject",
                      "ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload"][n] ?? "PutObject"
        case "ObjectRemoved:Delete":
            detailType = "Object Deleted"
            object.appendUnchecked("sequencer", .string(sequencer))
            reason = "DeleteObject"
            deletion = "Permanently Deleted"
        case "ObjectTagging:Put", "ObjectTagging:Delete":
            detailType = name == "ObjectTagging:Put" ? "Object Tags Added" : "Object Tags Deleted"
            if let etag { object.appendUnchecked("etag", .string(etag)) }
        case "ObjectAcl:Put":
            detailType = "Object ACL Updated"
            if let etag { object.appendUnchecked("etag", .string(etag)) }
        case "ObjectRestore:Post", "ObjectRestore:Completed":
            detailType = name == "ObjectRestore:Post" ? "Object Restore Initiated" : "Object Restore Completed"
            if let size { object.appendUnchecked("size", .int(size)) }
            if let etag { object.appendUnchecked("etag", .string(etag)) }
        default:
            return nil
        }
        let completed = name == "ObjectRestore:Completed"
        var detail = JSONObject()
        detail.appendUnchecked("version", "0")
        detail.appendUnchecked("bucket", ["name": .string(bucket)])
        detail.appendUnchecked("object", .object(object))
        detail.appendUnchecked("request-id", .string(requestId))
        detail.appendUnchecked("requester", .string(account))
        // (AWS's restore completion comes from S3 itself, not from an address.)
        if !completed { detail.appendUnchecked("source-ip-address", "127.0.0.1") }
        if completed, let expiry = restoreExpiryMillis { detail.appendUnchecked("restore-expiry-time", .string(Timestamp(milliseconds: expiry).iso8601)) }
        if name.hasPrefix("ObjectRestore:"), let storageClass { detail.appendUnchecked("source-storage-class", .string(storageClass)) }
        if let reason { detail.appendUnchecked("reason", .string(reason)) }
        if let deletion { detail.appendUnchecked("deletion-type", .string(deletion)) }
        var entry = JSONObject()
        entry.appendUnchecked("Source", "aws.s3")
        entry.appendUnchecked("DetailType", .string(detailType))
        entry.appendUnchecked("Resources", [.string("arn:aws:s3:::\(bucket)")])
        entry.appendUnchecked("Time", .string(Timestamp(milliseconds: timeMillis).iso8601))
        entry.appendUnchecked("Detail", .string(JSON.object(detail).serialized))
        return .object(entry)
    }

    /// The message S3 sends a queue or topic when a configuration names it (AWS: "When the
    /// notification is first enabled, an s3:TestEvent occurs").
    static func testEvent(bucket: String, requestId: String, timeMillis: Int64) -> JSON {
        var o = JSONObject()
        o.appendUnchecked("Service", "Amazon S3")
        o.appendUnchecked("Event", "s3:TestEvent")
        o.appendUnchecked("Time", .string(Timestamp(milliseconds: timeMillis).iso8601))
        o.appendUnchecked("Bucket", .string(bucket))
        o.appendUnchecked("RequestId", .string(requestId))
        o.appendUnchecked("HostId", .string(ServiceReply.hostId(requestId)))
        return .object(o)
    }

    /// A key as S3's event records carry it: form encoding (a space is `+`), `/` kept.
    static func urlEncodedKey(_ key: String) -> String {
        var out = ""
        for b in key.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: "/"), UInt8(ascii: "*"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: " "): out += "+"
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)])
            }
        }
        return out
    }
}
