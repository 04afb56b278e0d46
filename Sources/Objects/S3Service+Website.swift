import Foundation
import ServiceKit
import StatesLanguage

/// Static website hosting: the bucket's `?website` configuration, and the website endpoint
/// (`BUCKET.s3-website-REGION.…` or `BUCKET.s3-website.…`), which answers anonymous GET and
/// HEAD with what the bucket makes public: index documents (a folder without its slash is
/// redirected to it, 302), routing rules (by key prefix, or by the 404 a key would give:
/// another key, host, protocol or code), an object's own `x-amz-website-redirect-location`,
/// the error document, and S3's HTML error pages. Nothing else is reachable through it.
extension S3Service {
    func website(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        switch call.method {
        case "GET":
            guard let body = try await store.configuration(bucket, "website") else { throw Self.noWebsite(bucket) }
            return ServiceReply(status: 200, headers: [("Content-Type", "application/xml")], body: body)
        case "PUT":
            let body = try await Self.document(call, limit: 256 * 1024)
            guard let root = XMLElementTree.parse(body), root.name == "WebsiteConfiguration",
                  root.child("IndexDocument")?.value("Suffix") != nil || root.child("RedirectAllRequestsTo")?.value("HostName") != nil
            else { throw S3Errors.malformedXML() }
            if let suffix = root.child("IndexDocument")?.value("Suffix"), suffix.isEmpty || suffix.contains("/") {
                throw ServiceError("InvalidArgument", "The IndexDocument Suffix is not well formed", details: ["ArgumentName": "IndexDocument"])
            }
            try await store.setConfiguration(bucket, "website", body)
            return ServiceReply(status: 200)
        case "DELETE":
            try await store.setConfiguration(bucket, "website", nil)
            return ServiceReply(status: 204)
        default:
            throw Self.methodNotAllowed(call.method)
        }
    }

    static func noWebsite(_ bucket: String) -> ServiceError {
        ServiceError("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration", kind: .notFound,
                     details: ["BucketName": .string(bucket)])
    }

    /// A request to the website endpoint; every error an HTML page.
    func serveWebsite(_ bucket: String, _ key: String, _ call: ServiceCall) async -> ServiceReply {
        do {
            return try await websiteReply(bucket, key, call)
        } catch {
            return Self.htmlError(error, call, head: call.method == "HEAD")
        }
    }

    func websiteReply(_ bucket: String, _ key: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard call.method == "GET" || call.method == "HEAD" else { throw Self.methodNotAllowed(call.method) }
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        guard let config = try await store.configuration(bucket, "website").flatMap({ XMLElementTree.parse($0) }) else { throw Self.noWebsite(bucket) }
        let host = call.headers["host"] ?? bucket
        if let all = config.child("RedirectAllRequestsTo"), let target = all.value("HostName") {
            return Self.redirect("\(all.value("Protocol") ?? "http")://\(target)/\(key)", code: 301)
        }
        let rules = config.child("RoutingRules")?.all("RoutingRule") ?? []
        func redirect(_ rule: XMLElementTree.Node) -> ServiceReply {
            let r = rule.child("Redirect")
            var newKey = key
            if let with = r?.value("ReplaceKeyWith") {
                newKey = with
            } else if let prefix = r?.value("ReplaceKeyPrefixWith") {
                newKey = prefix + key.dropFirst(rule.child("Condition")?.value("KeyPrefixEquals")?.count ?? 0)
            }
            let target = "\(r?.value("Protocol") ?? "http")://\(r?.value("HostName") ?? host)/\(newKey)"
            return Self.redirect(target, code: r?.value("HttpRedirectCode").flatMap { Int($0) } ?? 301)
        }
        // Rules on the key alone come first, in order.
        for rule in rules {
            guard let c = rule.child("Condition"), c.value("HttpErrorCodeReturnedEquals") == nil,
                  let prefix = c.value("KeyPrefixEquals"), key.hasPrefix(prefix) else { continue }
            return redirect(rule)
        }
        let suffix = config.child("IndexDocument")?.value("Suffix") ?? "index.html"
        let lookup = key.isEmpty || key.hasSuffix("/") ? key + suffix : key
        if let o = try await store.object(bucket, lookup) {
            if let location = o.headers["x-amz-website-redirect-location"]?.stringValue { return Self.redirect(location, code: 301) }
            try await checkPublic(bucket, o)
            var get = call
            get.query = [:]
            return try await getObject(bucket, lookup, get, head: call.method == "HEAD")
        }
        if !key.isEmpty, !key.hasSuffix("/"), try await store.object(bucket, key + "/" + suffix) != nil {
            return Self.redirect("/" + key + "/", code: 302)
        }
        // Not found: the rules on a 404, then the error document.
        for rule in rules {
            guard let c = rule.child("Condition"), c.value("HttpErrorCodeReturnedEquals") == "404",
                  c.value("KeyPrefixEquals").map({ key.hasPrefix($0) }) ?? true else { continue }
            return redirect(rule)
        }
        if let errorKey = config.child("ErrorDocument")?.value("Key"), let doc = try await store.object(bucket, errorKey), await (try? checkPublic(bucket, doc)) != nil {
            var get = call
            get.query = [:]
            var reply = try await getObject(bucket, errorKey, get, head: call.method == "HEAD")
            reply.status = 404
            return reply
        }
        throw S3Errors.noSuchKey(lookup)
    }

    /// The website endpoint serves what anyone may read: an object or bucket ACL granting
    /// AllUsers READ, or a bucket policy allowing `s3:GetObject` to `*`.
    func checkPublic(_ bucket: String, _ o: ObjectStore.Object) async throws(ServiceError) {
        func publicRead(_ acl: AccessControlList?) -> Bool {
            acl?.grants.contains { $0.value == AccessControlList.allUsers && ($0.permission == "READ" || $0.permission == "FULL_CONTROL") } ?? false
        }
        if publicRead(AccessControlList(json: o.headers["acl"])) { return }
        if await publicRead(try store.configuration(bucket, "acl").flatMap { try? JSONParser.parse($0) }.flatMap { AccessControlList(json: $0) }) { return }
        if let policy = try await store.configuration(bucket, "policy").flatMap({ try? JSONParser.parse($0) }),
           (policy["Statement"]?.arrayValue ?? []).contains(where: { s in
               let principal = s["Principal"]
               let anyone = principal?.stringValue == "*" || principal?["AWS"]?.stringValue == "*"
               let actions = s["Action"]?.arrayValue?.compactMap(\.stringValue) ?? [s["Action"]?.stringValue ?? ""]
               return s["Effect"]?.stringValue == "Allow" && anyone && actions.contains { $0 == "s3:GetObject" || $0 == "s3:*" || $0 == "*" }
           }) {
            return
        }
        throw ServiceError("AccessDenied", "Access Denied", kind: .forbidden)
    }

    static func redirect(_ location: String, code: Int) -> ServiceReply {
        ServiceReply(status: code, headers: [("Location", location), ("Content-Length", "0")])
    }

    /// S3's website error page.
    static func htmlError(_ error: Error, _ call: ServiceCall, head: Bool) -> ServiceReply {
        let e = error as? ServiceError ?? ServiceError("InternalError", "\(error)", kind: .server)
        let status = e.restStatus
        let reasons = [400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict"]
        let title = "\(status) \(reasons[status] ?? "Internal Server Error")"
        var html = "<html>\n<head><title>\(title)</title></head>\n<body>\n<h1>\(title)</h1>\n<ul>\n"
        html += "<li>Code: \(e.code)</li>\n<li>Message: \(e.message)</li>\n"
        for (k, v) in e.details ?? [:] { html += "<li>\(k): \(v.stringValue ?? v.serialized)</li>\n" }
        html += "<li>RequestId: \(call.requestId)</li>\n<li>HostId: \(ServiceReply.hostId(call.requestId))</li>\n</ul>\n<hr/>\n</body>\n</html>\n"
        return ServiceReply(status: status, headers: [("Content-Type", "text/html; charset=utf-8")], body: head ? [] : Array(html.utf8))
    }
}
