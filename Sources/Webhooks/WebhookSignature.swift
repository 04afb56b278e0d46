import ServiceKit
import Foundation
import StatesInterpreter
import StatesLanguage

/// How a webhook checks that a delivery comes from its sender: HMAC-SHA256 with a shared
/// secret, in the header formats senders use.
///
/// - `STRIPE`: `Stripe-Signature: t=<unix seconds>,v1=<hex>` (header configurable), the HMAC
///   taken over `"<t>.<body>"`; `t` must be within `ToleranceSeconds` (default 300) of now.
/// - `HMAC_SHA256_HEX` / `HMAC_SHA256_BASE64`: the HMAC of the raw body in `Header` (default
///   `X-Signature`), after an optional `Prefix` such as GitHub's `sha256=`. With a
///   `TimestampHeader`, the HMAC is over `"<timestamp>.<body>"` and the timestamp must be
///   within the tolerance, which stops replays.
/// - `NONE`: no check (for senders on the same machine).
package struct WebhookSignature: Sendable {
    package enum Scheme: String, Sendable, CaseIterable {
        case stripe = "STRIPE", hex = "HMAC_SHA256_HEX", base64 = "HMAC_SHA256_BASE64", none = "NONE"
    }

    package var scheme: Scheme
    var secret: [UInt8]
    var header: String
    var prefix: String
    var timestampHeader: String?
    var toleranceSeconds: Int64

    static let fields: Set<String> = ["Scheme", "Secret", "Header", "Prefix", "TimestampHeader", "ToleranceSeconds"]

    init(_ o: JSONObject) throws(WebhookError) {
        for (k, _) in o where !Self.fields.contains(k) {
            throw .validation("Unknown field 'Signature.\(k)'; the fields are \(Self.fields.sorted().joined(separator: ", "))")
        }
        guard let name = o["Scheme"]?.stringValue, let scheme = Scheme(rawValue: name) else {
            throw .validation("'Signature.Scheme' must be one of \(Scheme.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.scheme = scheme
        secret = Array((o["Secret"]?.stringValue ?? "").utf8)
        if scheme != .none && secret.count < 8 {
            throw .validation("'Signature.Secret' is required for \(name): at least 8 characters")
        }
        header = (o["Header"]?.stringValue ?? (scheme == .stripe ? "Stripe-Signature" : "X-Signature")).lowercased()
        prefix = o["Prefix"]?.stringValue ?? ""
        timestampHeader = o["TimestampHeader"]?.stringValue?.lowercased()
        if let t = o["ToleranceSeconds"] {
            guard let v = t.integerValue, (1...86_400).contains(v) else {
                throw .validation("'Signature.ToleranceSeconds' must be an integer from 1 to 86400")
            }
            toleranceSeconds = v
        } else {
            toleranceSeconds = 300
        }
    }

    /// Nil when the request is authentic; otherwise why not (the answer is 401, nothing changes).
    func check(body: [UInt8], headers: [String: String], nowSeconds: Int64) -> WebhookError? {
        switch scheme {
        case .none:
            return nil
        case .stripe:
            guard let value = headers[header] else { return .signature("Missing \(header) header") }
            var timestamp: String?
            var candidates: [String] = []
            for part in value.split(separator: ",") {
                let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard kv.count == 2 else { continue }
                if kv[0] == "t" { timestamp = kv[1] } else if kv[0] == "v1" { candidates.append(kv[1].lowercased()) }
            }
            guard let timestamp, !candidates.isEmpty else { return .signature("The \(header) header needs t=… and v1=…") }
            if let stale = staleness(timestamp, nowSeconds: nowSeconds) { return stale }
            let expected = Array(HMAC.hex(HMAC.sha256(key: secret, message: Array((timestamp + ".").utf8) + body)).utf8)
            return candidates.contains { HMAC.constantTimeEqual(Array($0.utf8), expected) } ? nil : .signature("Signature mismatch")
        case .hex, .base64:
            guard var value = headers[header] else { return .signature("Missing \(header) header") }
            if !prefix.isEmpty {
                guard value.hasPrefix(prefix) else { return .signature("The \(header) header must start with \(prefix)") }
                value.removeFirst(prefix.count)
            }
            var message = body
            if let timestampHeader {
                guard let timestamp = headers[timestampHeader] else { return .signature("Missing \(timestampHeader) header") }
                if let stale = staleness(timestamp, nowSeconds: nowSeconds) { return stale }
                message = Array((timestamp + ".").utf8) + body
            }
            let mac = HMAC.sha256(key: secret, message: message)
            let ok = scheme == .hex
                ? HMAC.constantTimeEqual(Array(value.lowercased().utf8), Array(HMAC.hex(mac).utf8))
                : HMAC.constantTimeEqual(Base64.decode(value) ?? [], mac)
            return ok ? nil : .signature("Signature mismatch")
        }
    }

    func staleness(_ timestamp: String, nowSeconds: Int64) -> WebhookError? {
        guard let t = Int64(timestamp) else { return .signature("The signature timestamp is not a number of seconds") }
        return abs(nowSeconds - t) > toleranceSeconds ? .signature("The signature timestamp is outside the tolerance of \(toleranceSeconds) s") : nil
    }
}
