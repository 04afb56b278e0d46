import StatesInterpreter
import StatesLanguage

/// AWS Signature Version 4 verification: the canonical request is rebuilt from what arrived,
/// signed with the configured secret, and compared in constant time with the signature sent.
package struct SigV4Verifier: Sendable {
    package var accessKeyId: String
    package var secretAccessKey: String

    package init(accessKeyId: String, secretAccessKey: String) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
    }

    /// Header names lower-cased, values as received; `body` the raw payload.
    package func verify(method: String, path: String, query: String, headers: [(String, String)], body: [UInt8]) -> APIError? {
        guard let authorization = headers.first(where: { $0.0 == "authorization" })?.1 else {
            return APIError("MissingAuthenticationTokenException", "Request is missing Authentication Token")
        }
        guard authorization.hasPrefix("AWS4-HMAC-SHA256 ") else {
            return APIError("IncompleteSignatureException", "Unsupported signature algorithm")
        }
        var fields: [String: String] = [:]
        for part in authorization.dropFirst("AWS4-HMAC-SHA256 ".count).split(separator: ",") {
            let kv = String(part).trimmedSpaces.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
        }
        guard let credential = fields["Credential"], let signed = fields["SignedHeaders"], let signature = fields["Signature"] else {
            return APIError("IncompleteSignatureException", "Authorization header requires Credential, SignedHeaders and Signature")
        }
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scope.count == 5, scope[4] == "aws4_request" else {
            return APIError("IncompleteSignatureException", "Credential should be scoped to a valid region")
        }
        guard scope[0] == accessKeyId else {
            return APIError("UnrecognizedClientException", "The security token included in the request is invalid.")
        }
        guard let amzDate = headers.first(where: { $0.0 == "x-amz-date" })?.1 else {
            return APIError("IncompleteSignatureException", "Date must be in ISO-8601 'basic format'. Add the X-Amz-Date header.")
        }
        let signedNames = signed.split(separator: ";").map(String.init)
        var canonicalHeaders = ""
        for name in signedNames {
            let values = headers.filter { $0.0 == name }.map { $0.1.trimmedSpaces.collapsingSpaces }
            canonicalHeaders += name + ":" + values.joined(separator: ",") + "\n"
        }
        let canonicalRequest = [method, path.isEmpty ? "/" : path, canonicalQuery(query), canonicalHeaders, signed,
                                HMAC.hex(Hashing.sha256(body))].joined(separator: "\n")
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope[1...4].joined(separator: "/"),
                            HMAC.hex(Hashing.sha256(Array(canonicalRequest.utf8)))].joined(separator: "\n")
        var key = HMAC.sha256(key: Array(("AWS4" + secretAccessKey).utf8), message: Array(scope[1].utf8))
        for part in [scope[2], scope[3], "aws4_request"] { key = HMAC.sha256(key: key, message: Array(part.utf8)) }
        let expected = HMAC.hex(HMAC.sha256(key: key, message: Array(stringToSign.utf8)))
        guard HMAC.constantTimeEqual(Array(expected.utf8), Array(signature.utf8)) else {
            return APIError("InvalidSignatureException",
                            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
        }
        return nil
    }

    func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        return query.split(separator: "&").map(String.init).sorted().joined(separator: "&")
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
