import StatesInterpreter
import StatesLanguage

/// Signs requests as AWS SDKs do (Signature Version 4): what Baton's own client commands send,
/// and what tests use to prove the verifier accepts a good signature and refuses the rest.
package struct SigV4Signer: Sendable {
    package var accessKeyId: String
    package var secretAccessKey: String
    package var region: String
    package var service: String

    package init(accessKeyId: String, secretAccessKey: String, region: String = "us-east-1", service: String = "states") {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.region = region
        self.service = service
    }

    /// `20261201T005235Z`.
    package static func basicDate(_ t: Timestamp) -> String {
        let days = Int(t.milliseconds / 1000 / 86_400) - (t.milliseconds < 0 && t.milliseconds % 86_400_000 != 0 ? 1 : 0)
        let (y, m, d) = Timestamp.civilFromDays(days)
        let secondsOfDay = Int(t.milliseconds / 1000 - Int64(days) * 86_400)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(y)\(two(m))\(two(d))T\(two(secondsOfDay / 3600))\(two(secondsOfDay / 60 % 60))\(two(secondsOfDay % 60))Z"
    }

    /// The headers to add (`x-amz-date`, `authorization`) for a request with these headers
    /// (names lower-cased; `host` among them), raw path and query.
    package func sign(method: String, path: String, query: String = "", headers: [(String, String)], body: [UInt8],
                      at time: Timestamp) -> [(String, String)] {
        let amzDate = Self.basicDate(time)
        let all = headers + [("x-amz-date", amzDate)]
        let names = Array(Set(all.map { $0.0.lowercased() })).sorted()
        let signedHeaders = names.joined(separator: ";")
        let signature = self.signature(method: method, path: path, canonicalQuery: SigV4Verifier.canonicalQuery(SigV4Verifier.queryPairs(query), dropping: nil),
                                       headers: all, signedHeaders: names, payloadHash: HMAC.hex(Hashing.sha256(body)), amzDate: amzDate)
        let credential = "\(accessKeyId)/\(scope(amzDate))"
        return [("x-amz-date", amzDate),
                ("authorization", "AWS4-HMAC-SHA256 Credential=\(credential), SignedHeaders=\(signedHeaders), Signature=\(signature)")]
    }

    /// A presigned query string (the request's own query first), valid for `expires` seconds.
    package func presign(method: String, path: String, query: String = "", host: String, at time: Timestamp, expires: Int) -> String {
        let amzDate = Self.basicDate(time)
        let credential = "\(accessKeyId)/\(scope(amzDate))"
        var pairs = SigV4Verifier.queryPairs(query)
        pairs += [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", SigV4Verifier.uriEncode(credential, keepSlash: false)),
                  ("X-Amz-Date", amzDate), ("X-Amz-Expires", String(expires)), ("X-Amz-SignedHeaders", "host")]
        let signature = self.signature(method: method, path: path, canonicalQuery: SigV4Verifier.canonicalQuery(pairs, dropping: nil),
                                       headers: [("host", host)], signedHeaders: ["host"],
                                       payloadHash: service == "s3" ? "UNSIGNED-PAYLOAD" : SigV4Verifier.emptySHA256, amzDate: amzDate)
        pairs.append(("X-Amz-Signature", signature))
        return pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    func scope(_ amzDate: String, day: String? = nil) -> String { "\(day ?? String(amzDate.prefix(8)))/\(region)/\(service)/aws4_request" }

    func signature(method: String, path: String, canonicalQuery: String, headers: [(String, String)], signedHeaders: [String],
                   payloadHash: String, amzDate: String, day: String? = nil) -> String {
        var canonicalHeaders = ""
        for name in signedHeaders {
            let values = headers.filter { $0.0.lowercased() == name }.map { $0.1.trimmedSpaces.collapsingSpaces }
            canonicalHeaders += name + ":" + values.joined(separator: ",") + "\n"
        }
        let rawPath = path.isEmpty ? "/" : path
        let canonicalPath = service == "s3" ? rawPath : SigV4Verifier.uriEncode(rawPath, keepSlash: true)
        let canonicalRequest = [method, canonicalPath, canonicalQuery, canonicalHeaders, signedHeaders.joined(separator: ";"), payloadHash]
            .joined(separator: "\n")
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope(amzDate, day: day), HMAC.hex(Hashing.sha256(Array(canonicalRequest.utf8)))]
            .joined(separator: "\n")
        var key = HMAC.sha256(key: Array(("AWS4" + secretAccessKey).utf8), message: Array((day ?? String(amzDate.prefix(8))).utf8))
        for part in [region, service, "aws4_request"] { key = HMAC.sha256(key: key, message: Array(part.utf8)) }
        return HMAC.hex(HMAC.sha256(key: key, message: Array(stringToSign.utf8)))
    }
}
