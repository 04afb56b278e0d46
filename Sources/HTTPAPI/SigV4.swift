import ServiceKit
import StatesInterpreter
import StatesLanguage

/// AWS Signature Version 4 verification, in the `Authorization` header or in the query string
/// (presigned requests). The canonical request is rebuilt from what arrived, signed with the
/// configured secret, and compared in constant time with the signature sent. Time is an input.
package struct SigV4Verifier: Sendable {
    package var accessKeyId: String
    package var secretAccessKey: String

    /// AWS refuses header-signed requests whose X-Amz-Date is more than 15 minutes off.
    static let allowedSkewSeconds: Int64 = 15 * 60
    /// AWS: X-Amz-Expires is at most 604,800 seconds (seven days).
    static let maximumExpirySeconds: Int64 = 604_800
    static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    package init(accessKeyId: String, secretAccessKey: String) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
    }

    /// What was signed: header names lower-cased, `path` and `query` as they arrived (still percent-encoded).
    package struct SignedRequest: Sendable {
        package var method: String
        package var path: String
        package var query: String
        package var headers: [(String, String)]
        package var body: [UInt8]
        /// The body is streamed to the service, not in hand: a declared payload hash is
        /// signed as declared, and the service checks it against what arrives.
        package var bodyStreamed = false

        package init(method: String, path: String, query: String, headers: [(String, String)], body: [UInt8]) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
        }

        func header(_ name: String) -> String? { headers.first { $0.0 == name }?.1 }
    }

    /// Nil when the request is signed with the configured key; otherwise AWS's error.
    package func verify(_ request: SignedRequest, now: Timestamp) -> ServiceError? {
        let query = Self.queryPairs(request.query)
        if query.contains(where: { $0.0 == "X-Amz-Signature" }) { return verifyPresigned(request, query: query, now: now) }
        if (query.contains(where: { $0.0 == "AWSAccessKeyId" }) && !query.contains(where: { $0.0 == "SignatureVersion" }))
            || request.header("authorization")?.hasPrefix("AWS ") == true {
            return verifyS3Version2(request, query: query, now: now)
        }
        guard let authorization = request.header("authorization") else {
            return ServiceError("MissingAuthenticationTokenException", "Request is missing Authentication Token", kind: .unauthenticated)
        }
        guard authorization.hasPrefix("AWS4-HMAC-SHA256 ") else {
            return ServiceError("IncompleteSignatureException", "Unsupported signature algorithm", kind: .unauthenticated)
        }
        var fields: [String: String] = [:]
        for part in authorization.dropFirst("AWS4-HMAC-SHA256 ".count).split(separator: ",") {
            let kv = String(part).trimmedSpaces.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
        }
        guard let credential = fields["Credential"], let signed = fields["SignedHeaders"], let signature = fields["Signature"] else {
            return ServiceError("IncompleteSignatureException", "Authorization header requires Credential, SignedHeaders and Signature",
                                kind: .unauthenticated)
        }
        guard let amzDate = request.header("x-amz-date") else {
            return ServiceError("IncompleteSignatureException", "Date must be in ISO-8601 'basic format'. Add the X-Amz-Date header.",
                                kind: .unauthenticated)
        }
        guard let signedAt = Self.basicDate(amzDate) else {
            return ServiceError("IncompleteSignatureException", "Date must be in ISO-8601 'basic format'. Got '\(amzDate)'.", kind: .unauthenticated)
        }
        if abs(now.milliseconds / 1000 - signedAt.milliseconds / 1000) > Self.allowedSkewSeconds {
            return ServiceError("InvalidSignatureException",
                                "Signature expired: \(amzDate) is now earlier or later than the server's time by more than 15 minutes.",
                                kind: .unauthenticated)
        }
        // The payload's hash: the one the client declares (S3 sends it; it must match the body
        // unless it is UNSIGNED-PAYLOAD or a streaming marker), else the body's own.
        let bodyHash = HMAC.hex(Hashing.sha256(request.body))
        var payloadHash = bodyHash
        if let declared = request.header("x-amz-content-sha256") {
            if declared == "UNSIGNED-PAYLOAD" || declared.hasPrefix("STREAMING-") || request.bodyStreamed {
                payloadHash = declared
            } else if declared.lowercased() != bodyHash {
                return ServiceError("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.",
                                    kind: .client)
            }
        }
        let canonicalQuery = Self.canonicalQuery(query, dropping: nil)
        return check(credential: credential, signedHeaders: signed, signature: signature, amzDate: amzDate,
                     request: request, canonicalQuery: canonicalQuery, payloadHash: payloadHash)
    }

    private func verifyPresigned(_ request: SignedRequest, query: [(String, String)], now: Timestamp) -> ServiceError? {
        func value(_ name: String) -> String? { query.first { $0.0 == name }?.1.percentDecoded }
        guard value("X-Amz-Algorithm") == "AWS4-HMAC-SHA256" else {
            return ServiceError("AuthorizationQueryParametersError", "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"", kind: .unauthenticated)
        }
        guard let credential = value("X-Amz-Credential"), let signed = value("X-Amz-SignedHeaders"), let signature = value("X-Amz-Signature"),
              let amzDate = value("X-Amz-Date"), let expires = value("X-Amz-Expires") else {
            return ServiceError("AuthorizationQueryParametersError",
                                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
                                kind: .unauthenticated)
        }
        guard let seconds = Int64(expires), seconds >= 1, seconds <= Self.maximumExpirySeconds else {
            return ServiceError("AuthorizationQueryParametersError",
                                "X-Amz-Expires must be a number between 1 and 604800 seconds", kind: .unauthenticated)
        }
        guard let signedAt = Self.basicDate(amzDate) else {
            return ServiceError("AuthorizationQueryParametersError", "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
                                kind: .unauthenticated)
        }
        guard now.milliseconds <= signedAt.milliseconds + seconds * 1000 else {
            return ServiceError("AccessDenied", "Request has expired", kind: .forbidden)
        }
        // S3 presigns UNSIGNED-PAYLOAD; SDKs presign every other service's URL with the body's hash.
        let isS3 = credential.split(separator: "/").dropFirst(3).first == "s3"
        let payloadHash = value("X-Amz-Content-Sha256") ?? request.header("x-amz-content-sha256")
            ?? (isS3 ? "UNSIGNED-PAYLOAD" : HMAC.hex(Hashing.sha256(request.body)))
        return check(credential: credential, signedHeaders: signed, signature: signature, amzDate: amzDate, request: request,
                     canonicalQuery: Self.canonicalQuery(query, dropping: "X-Amz-Signature"), payloadHash: payloadHash)
    }

    private func check(credential: String, signedHeaders signed: String, signature: String, amzDate: String,
                       request: SignedRequest, canonicalQuery: String, payloadHash: String) -> ServiceError? {
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scope.count == 5, scope[4] == "aws4_request" else {
            return ServiceError("IncompleteSignatureException", "Credential should be scoped to a valid region", kind: .unauthenticated)
        }
        guard scope[0] == accessKeyId else {
            return ServiceError("UnrecognizedClientException", "The security token included in the request is invalid.", kind: .unauthenticated)
        }
        let signer = SigV4Signer(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, region: scope[2], service: scope[3])
        let expected = signer.signature(method: request.method, path: request.path, canonicalQuery: canonicalQuery, headers: request.headers,
                                        signedHeaders: signed.split(separator: ";").map(String.init), payloadHash: payloadHash,
                                        amzDate: amzDate, day: scope[1])
        guard HMAC.constantTimeEqual(Array(expected.utf8), Array(signature.utf8)) else {
            return ServiceError("InvalidSignatureException",
                                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
                                kind: .unauthenticated)
        }
        return nil
    }

    /// `a=1&b` as raw (still encoded) pairs.
    static func queryPairs(_ query: String) -> [(String, String)] {
        query.split(separator: "&").map { pair in
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(kv[0]), kv.count > 1 ? String(kv[1]) : "")
        }
    }

    /// AWS's canonical query: every name and value URI-encoded, sorted by name then value.
    static func canonicalQuery(_ pairs: [(String, String)], dropping: String?) -> String {
        var encoded: [(String, String)] = []
        for (name, value) in pairs where name != dropping {
            encoded.append((uriEncode(name.percentDecoded, keepSlash: false), uriEncode(value.percentDecoded, keepSlash: false)))
        }
        encoded.sort { a, b in a.0 != b.0 ? a.0 < b.0 : a.1 < b.1 }
        return encoded.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    static let hexDigits = Array("0123456789ABCDEF")

    /// RFC 3986 encoding as SigV4 wants it: unreserved characters kept, every other byte %XX.
    package static func uriEncode(_ s: String, keepSlash: Bool) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out.append("%")
                out.append(Self.hexDigits[Int(b >> 4)])
                out.append(Self.hexDigits[Int(b & 0xF)])
            }
        }
        return out
    }

    /// `20261201T005235Z`.
    static func basicDate(_ s: String) -> Timestamp? {
        let c = Array(s.utf8)
        guard c.count == 16, c[8] == UInt8(ascii: "T"), c[15] == UInt8(ascii: "Z") else { return nil }
        func n(_ r: Range<Int>) -> Int? { Int(String(decoding: c[r], as: UTF8.self)) }
        guard let y = n(0..<4), let mo = n(4..<6), let d = n(6..<8), let h = n(9..<11), let mi = n(11..<13), let se = n(13..<15),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, se < 61 else { return nil }
        let days = Timestamp.daysFromCivil(year: y, month: mo, day: d)
        return Timestamp(seconds: Int64(days) * 86_400 + Int64(h * 3600 + mi * 60 + se))
    }
}

extension String {
    var trimmedSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }

    var collapsingSpaces: String {
        var out = ""
        var lastSpace = false
        for c in self {
            if c == " " {
                if !lastSpace { out.append(c) }
                lastSpace = true
            } else {
                out.append(c)
                lastSpace = false
            }
        }
        return out
    }
}
