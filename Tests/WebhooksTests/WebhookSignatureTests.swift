import ServiceKit
import StatesInterpreter
import StatesLanguage
import Testing
@testable import Webhooks

@Suite struct WebhookSignatureTests {
    let body = Array(#"{"id":"c-1","status":"sent"}"#.utf8)
    let secret = "whsec_abcdefgh"
    let now: Int64 = 1_700_000_000

    func scheme(_ o: JSONObject) throws -> WebhookSignature { try WebhookSignature(o) }

    func mac(_ message: [UInt8]) -> [UInt8] { HMAC.sha256(key: Array(secret.utf8), message: message) }

    @Test func stripeStyleAcceptsTheSignedTimestampAndRefusesStaleOrForged() throws {
        let s = try scheme(["Scheme": "STRIPE", "Secret": .string(secret), "ToleranceSeconds": 300])
        let good = HMAC.hex(mac(Array("\(now).".utf8) + body))
        #expect(s.check(body: body, headers: ["stripe-signature": "t=\(now),v1=\(good)"], nowSeconds: now) == nil)
        // Several v1 values (a secret being rolled): any one may match.
        #expect(s.check(body: body, headers: ["stripe-signature": "t=\(now),v1=00,v1=\(good)"], nowSeconds: now + 299) == nil)
        #expect(s.check(body: body, headers: ["stripe-signature": "t=\(now),v1=\(good)"], nowSeconds: now + 301)?.kind == .unauthenticated)
        #expect(s.check(body: body + [32], headers: ["stripe-signature": "t=\(now),v1=\(good)"], nowSeconds: now)?.kind == .unauthenticated)
        #expect(s.check(body: body, headers: ["stripe-signature": "t=\(now + 1),v1=\(good)"], nowSeconds: now)?.kind == .unauthenticated)
        #expect(s.check(body: body, headers: [:], nowSeconds: now)?.code == "InvalidSignatureException")
    }

    @Test func hexWithPrefixAndBase64() throws {
        let hex = try scheme(["Scheme": "HMAC_SHA256_HEX", "Secret": .string(secret), "Header": "X-Hub-Signature-256", "Prefix": "sha256="])
        #expect(hex.check(body: body, headers: ["x-hub-signature-256": "sha256=" + HMAC.hex(mac(body))], nowSeconds: now) == nil)
        #expect(hex.check(body: body, headers: ["x-hub-signature-256": HMAC.hex(mac(body))], nowSeconds: now) != nil)
        let b64 = try scheme(["Scheme": "HMAC_SHA256_BASE64", "Secret": .string(secret)])
        #expect(b64.check(body: body, headers: ["x-signature": Base64.encode(mac(body))], nowSeconds: now) == nil)
        #expect(b64.check(body: body, headers: ["x-signature": Base64.encode(mac(body + [0]))], nowSeconds: now) != nil)
    }

    @Test func aTimestampHeaderBindsTheSignatureToATime() throws {
        let s = try scheme(["Scheme": "HMAC_SHA256_HEX", "Secret": .string(secret), "TimestampHeader": "X-Timestamp", "ToleranceSeconds": 60])
        let sig = HMAC.hex(mac(Array("\(now).".utf8) + body))
        #expect(s.check(body: body, headers: ["x-signature": sig, "x-timestamp": "\(now)"], nowSeconds: now + 60) == nil)
        #expect(s.check(body: body, headers: ["x-signature": sig, "x-timestamp": "\(now)"], nowSeconds: now + 61) != nil)
        #expect(s.check(body: body, headers: ["x-signature": sig], nowSeconds: now) != nil)
    }

    @Test(arguments: [
        ["Scheme": "MD5"] as JSONObject,
        ["Scheme": "STRIPE"],
        ["Scheme": "STRIPE", "Secret": "short"],
        ["Scheme": "NONE", "Color": "red"],
        ["Scheme": "STRIPE", "Secret": "long-enough", "ToleranceSeconds": 0],
    ])
    func refusesBadSchemes(_ o: JSONObject) {
        #expect(throws: WebhookError.self) { try WebhookSignature(o) }
    }
}
