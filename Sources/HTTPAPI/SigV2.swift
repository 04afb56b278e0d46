import ServiceKit
import StatesLanguage

/// S3's signature version 2 (HMAC-SHA1), which boto3 still uses for presigned URLs unless told
/// otherwise (`AWSAccessKeyId`, `Signature` and `Expires` in the query) and older clients in
/// the `Authorization: AWS KEY:SIGNATURE` header. AWS's REST authentication guide:
/// `StringToSign = HTTP-Verb + "\n" + Content-MD5 + "\n" + Content-Type + "\n" + Date + "\n"
/// + CanonicalizedAmzHeaders + CanonicalizedResource`, with Expires in Date's place for a
/// query-string signature.
extension SigV4Verifier {
    /// The subresources S3 signs (the rest of the query is not signed).
    static let signedSubresources: Set<String> = [
        "acl", "cors", "delete", "lifecycle", "location", "logging", "notification", "partNumber", "policy", "requestPayment", "restore",
        "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning", "versions", "website", "accelerate", "object-lock",
        "retention", "legal-hold", "replication", "inventory", "analytics", "metrics", "encryption", "publicAccessBlock",
        "ownershipControls", "intelligent-tiering", "select", "select-type", "attributes", "response-content-type",
        "response-content-language", "response-expires", "response-cache-control", "response-content-disposition",
        "response-content-encoding",
    ]

    func verifyS3Version2(_ request: SignedRequest, query: [(String, String)], now: Timestamp) -> ServiceError? {
        func value(_ name: String) -> String? { query.first { $0.0 == name }?.1.percentDecoded }
        let key: String
        let signature: String
        let dateLine: String
        if let id = value("AWSAccessKeyId") {
            guard let given = value("Signature"), let expires = value("Expires"), let at = Int64(expires) else {
                return ServiceError("AccessDenied", "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
                                    kind: .forbidden)
            }
            guard now.milliseconds / 1000 <= at else { return ServiceError("AccessDenied", "Request has expired", kind: .forbidden) }
            (key, signature, dateLine) = (id, given, expires)
        } else {
            let credential = (request.header("authorization") ?? "").dropFirst("AWS ".count)
            guard let colon = credential.lastIndex(of: ":") else {
                return ServiceError("InvalidArgument", "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature", kind: .client)
            }
            key = String(credential[..<colon])
            signature = String(credential[credential.index(after: colon)...])
            // With x-amz-date among the signed headers, the Date line is empty.
            dateLine = request.header("x-amz-date") != nil ? "" : (request.header("date") ?? "")
        }
        guard key == accessKeyId else {
            return ServiceError("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", kind: .forbidden)
        }
        let expected = Base64.encode(HMAC.sha1(key: Array(secretAccessKey.utf8), message: Array(Self.stringToSignV2(request, query: query,
                                                                                                                  dateLine: dateLine).utf8)))
        guard HMAC.constantTimeEqual(Array(expected.utf8), Array(signature.utf8)) else {
            return ServiceError("SignatureDoesNotMatch",
                                "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                                kind: .forbidden)
        }
        return nil
    }

    static func stringToSignV2(_ request: SignedRequest, query: [(String, String)], dateLine: String) -> String {
        var amz: [(String, String)] = []
        for (name, value) in request.headers where name.hasPrefix("x-amz-") {
            if let i = amz.firstIndex(where: { $0.0 == name }) { amz[i].1 += "," + value.trimmedSpaces } else { amz.append((name, value.trimmedSpaces)) }
        }
        amz.sort { $0.0 < $1.0 }
        // The resource: the bucket of a virtual-hosted request first, then the path as sent.
        let host = (request.header("host") ?? "").split(separator: ":").first.map(String.init) ?? ""
        var resource = FrontDoor.virtualHostBucket(host).map { "/" + $0 } ?? ""
        resource += request.path.isEmpty ? "/" : request.path
        // A bucket's own resource is `/bucket/` however the path ended.
        if resource.count > 1, !resource.dropFirst().contains("/") { resource += "/" }
        let sub = query.map { ($0.0.percentDecoded, $0.1.percentDecoded, $0.1) }.filter { signedSubresources.contains($0.0) }
            .sorted { $0.0 < $1.0 }
        if !sub.isEmpty {
            resource += "?" + sub.map { $0.2.isEmpty && !$0.1.contains("=") ? $0.0 : "\($0.0)=\($0.1)" }.joined(separator: "&")
        }
        var lines = [request.method, request.header("content-md5") ?? "", request.header("content-type") ?? "", dateLine]
        lines += amz.map { "\($0.0):\($0.1)" }
        return lines.joined(separator: "\n") + "\n" + resource
    }
}

extension SigV4Verifier {
    /// A form upload's signature over its base64 policy: SigV4 (`x-amz-credential`,
    /// `x-amz-signature`, the hex HMAC with the day's signing key) or version 2
    /// (`AWSAccessKeyId`, `signature`, base64 HMAC-SHA1). Field names are lower-cased.
    package func verifyForm(_ fields: [String: String], now: Timestamp) -> ServiceError? {
        let policy = fields["policy"] ?? ""
        let provided: String
        let expected: String
        let keyId: String
        if let credential = fields["x-amz-credential"] {
            let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard scope.count == 5, scope[4] == "aws4_request" else {
                return ServiceError("InvalidArgument", "Invalid according to Policy: Credential is malformed", kind: .client)
            }
            keyId = scope[0]
            provided = fields["x-amz-signature"] ?? ""
            var key = HMAC.sha256(key: Array(("AWS4" + secretAccessKey).utf8), message: Array(scope[1].utf8))
            for part in [scope[2], scope[3], "aws4_request"] { key = HMAC.sha256(key: key, message: Array(part.utf8)) }
            expected = HMAC.hex(HMAC.sha256(key: key, message: Array(policy.utf8)))
        } else {
            keyId = fields["awsaccesskeyid"] ?? ""
            provided = fields["signature"] ?? ""
            expected = Base64.encode(HMAC.sha1(key: Array(secretAccessKey.utf8), message: Array(policy.utf8)))
        }
        guard keyId == accessKeyId else {
            return ServiceError("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", kind: .forbidden,
                                details: ["AWSAccessKeyId": .string(keyId)])
        }
        guard HMAC.constantTimeEqual(Array(expected.utf8), Array(provided.utf8)) else {
            return ServiceError("SignatureDoesNotMatch",
                                "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                                kind: .forbidden, details: ["AWSAccessKeyId": .string(keyId), "StringToSign": .string(policy),
                                                            "SignatureProvided": .string(provided),
                                                            "StringToSignBytes": .string(policy.utf8.map { String($0, radix: 16) }.joined(separator: " "))])
        }
        return nil
    }
}
