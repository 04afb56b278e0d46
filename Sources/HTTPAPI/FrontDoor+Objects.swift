import ServiceKit
import StatesLanguage

/// S3's addressing: a bucket named by the host (`BUCKET.s3.HOST`, `BUCKET.localhost`) or by
/// the path's first segment, the key the rest of the path; the service picks the action.
extension FrontDoor {
    /// The one action name an object store's table answers under.
    package static let objectAction = "S3"

    /// (bucket, key) of a request that is S3's by its host or its signature, or nil.
    static func objectAddress(path: String, query: String, headers: [(String, String)]) -> (bucket: String?, key: String?)? {
        let host = (headers.first { $0.0 == "host" }?.1 ?? "").split(separator: ":").first.map(String.init) ?? ""
        if let bucket = virtualHostBucket(host) {
            let key = String(path.drop { $0 == "/" })
            return (bucket, key.isEmpty ? nil : key.percentDecoded)
        }
        let auth = headers.first { $0.0 == "authorization" }?.1 ?? ""
        // SigV4 scoped to s3, or S3's own signature version 2 (header or presigned query).
        // (The query protocols' own version 2, `SignatureVersion=2` beside an `Action`, is not S3's.)
        let version2 = auth.hasPrefix("AWS ") || (query.contains("AWSAccessKeyId=") && query.contains("Signature=")
            && !query.contains("SignatureVersion=") && !query.contains("Action="))
        if auth.contains("/s3/aws4_request") || query.contains("%2Fs3%2Faws4_request") || query.contains("/s3/aws4_request") || version2
            || isS3Host(host) {
            return pathStyle(path)
        }
        return nil
    }

    /// `/bucket/some/key` → ("bucket", "some/key"); `/` → (nil, nil).
    static func pathStyle(_ path: String) -> (bucket: String?, key: String?) {
        let trimmed = path.drop { $0 == "/" }
        guard !trimmed.isEmpty else { return (nil, nil) }
        guard let slash = trimmed.firstIndex(of: "/") else { return (String(trimmed).percentDecoded, nil) }
        let key = String(trimmed[trimmed.index(after: slash)...])
        return (String(trimmed[..<slash]).percentDecoded, key.isEmpty ? nil : key.percentDecoded)
    }

    static func isS3Host(_ host: String) -> Bool { host.hasPrefix("s3.") || host == "s3" }

    /// The bucket of a website endpoint's host: `BUCKET.s3-website-REGION.…` or `BUCKET.s3-website.…`.
    static func websiteBucket(_ host: String) -> String? {
        guard let r = host.byteRange(of: ".s3-website"), r.lowerBound > host.startIndex else { return nil }
        let rest = host[r.upperBound...]
        guard rest.hasPrefix(".") || rest.hasPrefix("-") else { return nil }
        return String(host[..<r.lowerBound])
    }

    /// A website endpoint's request: anonymous by design (S3's website endpoints take no
    /// signature), so the service answers it only with reads of what the bucket makes public.
    func websiteDestination(_ objects: (service: any BatonService, handler: Action?), bucket: String, path: String) -> Destination {
        let key = String(path.drop { $0 == "/" }).percentDecoded
        var d = Destination(service: objects.service, action: Self.objectAction, wireProtocol: .restXML,
                            parameters: ["Bucket": bucket, "Key": key, "Website": "true"],
                            authentication: .open("S3's website endpoint: anonymous GET and HEAD of public objects"),
                            maximumBodyBytes: 64 * 1024, handler: objects.handler)
        d.streamsBody = false
        return d
    }

    /// The bucket of a virtual-hosted-style host: `BUCKET.s3.…` or `BUCKET.localhost`.
    static func virtualHostBucket(_ host: String) -> String? {
        if let r = host.byteRange(of: ".s3."), r.lowerBound > host.startIndex { return String(host[..<r.lowerBound]) }
        if host.hasSuffix(".s3") { return String(host.dropLast(3)) }
        if host.hasSuffix(".localhost"), host.count > ".localhost".count { return String(host.dropLast(".localhost".count)) }
        return nil
    }

    /// A browser form upload signs its policy, not the request: S3 checks it through `verifyForm`.
    static let formUpload = Authentication.ownScheme("S3 POST: the form's policy, signed with the endpoint's key")

    /// A form POST with no request signature of its own (S3's PostObject).
    static func isFormUpload(method: String, headers: [(String, String)]) -> Bool {
        guard method == "POST", headers.first(where: { $0.0 == "authorization" }) == nil else { return false }
        return (headers.first { $0.0 == "content-type" }?.1 ?? "").lowercased().hasPrefix("multipart/form-data")
    }

    func objectDestination(_ objects: (service: any BatonService, handler: Action?), bucket: (bucket: String?, key: String?),
                           method: String, headers: [(String, String)]) -> Destination {
        var parameters: [String: String] = [:]
        if let b = bucket.bucket { parameters["Bucket"] = b }
        if let k = bucket.key { parameters["Key"] = k }
        // Browsers never sign a CORS preflight; it reads only the bucket's CORS rules.
        var authentication: Authentication = method == "OPTIONS" ? .open("a CORS preflight, answered from the bucket's CORS rules") : .sigV4
        if Self.isFormUpload(method: method, headers: headers) { authentication = Self.formUpload }
        var d = Destination(service: objects.service, action: Self.objectAction, wireProtocol: .restXML, parameters: parameters,
                            authentication: authentication, maximumBodyBytes: Int.max, handler: objects.handler)
        d.streamsBody = true
        return d
    }

    /// The signature verifier's codes as S3 names them.
    static let s3Codes = ["InvalidSignatureException": "SignatureDoesNotMatch", "MissingAuthenticationTokenException": "AccessDenied",
                          "IncompleteSignatureException": "AuthorizationHeaderMalformed"]

    /// S3's error document: `<Error><Code/><Message/>…<RequestId/></Error>`, the status by kind.
    func renderXML(_ error: ServiceError, _ id: String) -> Outgoing {
        var w = XMLWriter()
        w.raw(#"<?xml version="1.0" encoding="UTF-8"?>"#)
        w.raw("<Error>")
        w.element("Code", Self.s3Codes[error.code] ?? error.code)
        w.element("Message", error.message)
        for (k, v) in error.details ?? [:] { w.element(k, v.stringValue ?? v.serialized) }
        w.element("RequestId", id)
        w.element("HostId", ServiceReply.hostId(id))
        w.raw("</Error>")
        let status = error.restStatus
        var headers = [("Content-Type", "application/xml"), ("x-amz-request-id", id), ("x-amz-id-2", ServiceReply.hostId(id))]
        // An archived object's refusal names its class in a header too, as S3's does.
        if error.code == "InvalidObjectState", let cls = error.details?["StorageClass"]?.stringValue { headers.append(("x-amz-storage-class", cls)) }
        // A 304 and a HEAD answer carry no body.
        return Outgoing(status: status, headers: headers, body: status == 304 ? [] : w.bytes)
    }
}
