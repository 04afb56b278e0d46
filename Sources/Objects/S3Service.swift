import Engine
import Foundation
import Journal
import ServiceKit
import ServiceLifecycle
import StatesLanguage

/// Amazon S3 on the seam (REST-XML): buckets, objects streamed to and from files, multipart
/// uploads. The front door hands over every request that names a bucket by host or by an
/// S3 signature (and whatever no other route takes); the action is picked here from the
/// method, the bucket and key, and the query's subresource, as S3's model does.
package struct S3Service: BatonService {
    package let store: ObjectStore
    let engine: Engine
    let region: String
    let account: String
    let clock: any EngineClock
    /// Delivers the notifications the store queues with each change.
    let notifications: QueueWorker

    package init(_ context: ServiceContext) async throws(ServiceError) {
        let worker = QueueWorker(queue: ObjectStore.notificationQueue, store: context.queues, clock: context.engine.clock,
                                 consumer: ObjectNotifier(engine: context.engine, store: context.store, clock: context.engine.clock),
                                 concurrency: 32, logger: context.engine.logger)
        notifications = worker
        store = try await ObjectStore(context, region: context.region, account: context.account, queued: { worker.signal() })
        engine = context.engine
        region = context.region
        account = context.account
        clock = context.engine.clock
    }

    package var backgroundServices: [any ServiceLifecycle.Service] {
        let s = self
        return [LoopService { [notifications] in await notifications.run() }, LoopService { await s.runLifecycle() }]
    }

    /// `aws-sdk:s3:*` from Task states, and the `s3:` resources of a Distributed Map's ItemReader and ResultWriter.
    package var taskResources: [TaskResourceBinding] {
        let handler = S3TaskHandler(service: self)
        return [TaskResourceBinding(.sdk(service: "s3"), handler)]
            + ["getObject", "listObjectsV2", "putObject"].map { TaskResourceBinding(.resource("arn:aws:states:::s3:\($0)"), handler) }
    }

    package var name: String { "s3" }

    /// S3 answers XML: its one view is made here, from the store.
    package var browseViews: [BrowseView] {
        let store = self.store
        return [BrowseView("Buckets", columns: [.init("Name"), .init("Region"), .init("Created")]) {
            try await store.buckets().map { [$0.name, $0.region, Timestamp(milliseconds: $0.createdMillis).iso8601] }
        }]
    }
    package var wireProtocol: WireProtocol { .restXML }
    var now: Int64 { clock.now().milliseconds }

    package var actions: [String: Action] {
        let s = self
        return ["S3": { call in try await s.dispatch(call) }]
    }

    /// The action S3's model gives this method, address and subresource; a request from a
    /// page (`Origin`) gets the bucket's CORS headers on its answer.
    func dispatch(_ call: ServiceCall) async throws -> ServiceReply {
        let bucket = call.parameters["Bucket"]
        // The website endpoint (the front door marks it): anonymous reads, HTML errors.
        if call.parameters["Website"] != nil, let bucket { return await serveWebsite(bucket, call.parameters["Key"] ?? "", call) }
        if call.method == "OPTIONS" { return try await preflight(bucket, call.parameters["Key"], call) }
        let reply = try await route(call)
        return await call.headers["origin"] == nil ? reply : addingCORS(reply, bucket, call)
    }

    func route(_ call: ServiceCall) async throws -> ServiceReply {
        let bucket = call.parameters["Bucket"]
        let key = call.parameters["Key"]
        let q = call.query
        if let expected = call.headers["x-amz-expected-bucket-owner"] {
            // AWS: an account id is 12 digits; a bucket another account owns is AccessDenied.
            guard expected.count == 12, expected.allSatisfy({ $0 >= "0" && $0 <= "9" }) else {
                throw ServiceError("InvalidBucketOwnerAWSAccountID",
                                   "The value of the expected bucket owner parameter must be an AWS Account ID... [\(expected)]")
            }
            guard expected == account else { throw ServiceError("AccessDenied", "Access Denied", kind: .forbidden) }
        }
        if let bucket, key == nil, let reply = try await bucketSubresource(bucket, call) { return reply }
        if let bucket, let key, q["tagging"] != nil { return try await objectTagging(bucket, key, call) }
        if let bucket, let key, q["attributes"] != nil, call.method == "GET" { return try await objectAttributes(bucket, key, call) }
        if let bucket, let key, q["acl"] != nil { return try await objectACL(bucket, key, call) }
        if let bucket, let key, q["restore"] != nil { return try await restoreObject(bucket, key, call) }
        if let bucket, let key, q["retention"] != nil { return try await objectRetention(bucket, key, call) }
        if let bucket, let key, q["legal-hold"] != nil { return try await objectLegalHold(bucket, key, call) }
        let unsupported = ["torrent", "select", "policyStatus"]
        if let sub = unsupported.first(where: { q[$0] != nil }) {
            // A bucket that does not exist is that first, as S3 answers it.
            if let bucket, try await store.bucket(bucket) == nil { throw S3Errors.noSuchBucket(bucket) }
            throw ServiceError("NotImplemented", "A header or subresource you provided implies functionality that is not implemented: ?\(sub)",
                               kind: .notImplemented)
        }
        guard let bucket else {
            guard call.method == "GET" else { throw Self.methodNotAllowed(call.method) }
            return try await listBuckets(call)
        }
        guard let key else {
            switch call.method {
            case "PUT": return try await createBucket(bucket, call)
            case "HEAD": return try await headBucket(bucket)
            case "DELETE": return try await deleteBucket(bucket)
            case "GET":
                if q["location"] != nil { return try await location(bucket) }
                if q["uploads"] != nil { return try await listUploads(bucket, call) }
                if q["versions"] != nil { return try await listVersions(bucket, call) }
                return try await listObjects(bucket, call)
            case "POST":
                if q["delete"] != nil { return try await deleteObjects(bucket, call) }
                if FormDataReader.boundary(call.headers["content-type"] ?? "") != nil { return try await postObject(bucket, call) }
                throw Self.methodNotAllowed(call.method)
            default: throw Self.methodNotAllowed(call.method)
            }
        }
        switch call.method {
        case "PUT":
            if let upload = q["uploadId"], let part = q["partNumber"] { return try await uploadPart(bucket, key, upload, part, call) }
            if call.headers["x-amz-copy-source"] != nil { return try await copyObject(bucket, key, call) }
            return try await putObject(bucket, key, call)
        case "GET":
            if let upload = q["uploadId"] { return try await listParts(bucket, key, upload, call) }
            return try await getObject(bucket, key, call, head: false)
        case "HEAD": return try await getObject(bucket, key, call, head: true)
        case "DELETE":
            if let upload = q["uploadId"] { return try await abortUpload(bucket, key, upload) }
            return try await deleteObject(bucket, key, call)
        case "POST":
            if q["uploads"] != nil { return try await createUpload(bucket, key, call) }
            if let upload = q["uploadId"] { return try await completeUpload(bucket, key, upload, call) }
            throw Self.methodNotAllowed(call.method)
        default: throw Self.methodNotAllowed(call.method)
        }
    }

    /// A request's XML document (read whole: a few KB at most), MalformedXML past `limit`.
    static func document(_ call: ServiceCall, limit: Int) async throws(ServiceError) -> [UInt8] {
        guard let stream = call.bodyStream else { return call.body }
        var body: [UInt8] = []
        do {
            while let chunk = try await stream.next() {
                body += chunk
                if body.count > limit { throw S3Errors.malformedXML() }
            }
        } catch let e as ServiceError { throw e } catch { throw S3Errors.malformedXML() }
        return body
    }

    /// The `<Owner>` (or `<Initiator>`) element: this endpoint's one account. AWS stopped
    /// returning `DisplayName` in 2025.
    func owner(_ w: inout XMLWriter, _ tag: String = "Owner") {
        w.raw("<\(tag)>")
        w.element("ID", account)
        // An upload's Initiator still has one.
        if tag == "Initiator" { w.element("DisplayName", "baton") }
        w.raw("</\(tag)>")
    }

    static func methodNotAllowed(_ method: String) -> ServiceError {
        ServiceError("MethodNotAllowed", "The specified method is not allowed against this resource.", kind: .methodNotAllowed,
                     details: ["Method": .string(method), "ResourceType": "OBJECT"])
    }

    /// An XML answer with S3's namespace on its root.
    static func xml(_ root: String, status: Int = 200, headers: [(String, String)] = [], _ body: (inout XMLWriter) -> Void) -> ServiceReply {
        var w = XMLWriter()
        w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        w.raw(#"<\#(root) xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#)
        body(&w)
        w.raw("</\(root)>")
        return ServiceReply(status: status, headers: [("Content-Type", "application/xml")] + headers, body: w.bytes)
    }

    /// S3's timestamps in XML (`2026-12-01T10:00:00.000Z`): whole seconds, as S3 keeps them.
    static func iso(_ millis: Int64) -> String { Timestamp(milliseconds: millis - ((millis % 1000) + 1000) % 1000).iso8601 }

    /// The `Last-Modified` header's form (RFC 7231's IMF-fixdate), to the second; built from
    /// the ISO form rather than a DateFormatter, which costs more than the rest of a small GET.
    static func httpDate(_ millis: Int64) -> String {
        let iso = Array(Timestamp(milliseconds: millis).iso8601.utf8)  // 2026-12-01T10:00:00.000Z
        guard iso.count >= 19 else { return "" }
        func text(_ r: Range<Int>) -> String { String(decoding: iso[r], as: UTF8.self) }
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][Int(((days % 7) + 7) % 7)]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let month = months[max(0, min(11, (Int(text(5..<7)) ?? 1) - 1))]
        return "\(weekday), \(text(8..<10)) \(month) \(text(0..<4)) \(text(11..<19)) GMT"
    }

    static func parseHTTPDate(_ text: String) -> Int64? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        if let d = f.date(from: text) { return Int64(d.timeIntervalSince1970 * 1000) }
        return Timestamp(iso8601: text).map { $0.milliseconds }
    }
}
