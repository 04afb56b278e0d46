import _CryptoExtras
import Crypto
import Foundation
import ServiceKit
import StatesLanguage
import X509

/// Signs SNS notifications as AWS does, so receivers that verify them can be pointed at Baton:
/// an RSA key and a self-signed certificate made once and kept in the data directory, the
/// certificate served at the `SigningCertURL`, and each message's string to sign (its fields
/// in AWS's order, `Name\nvalue\n`) signed with SHA1withRSA (SignatureVersion 1) or
/// SHA256withRSA (SignatureVersion 2).
final class NotificationSigner: Sendable {
    let key: _RSA.Signing.PrivateKey
    /// The certificate, PEM.
    let certificate: String

    init(directory: String) async throws {
        let keyPath = directory + "/sns-signing-key.pem", certPath = directory + "/sns-signing-cert.pem"
        if let keyText = try? String(contentsOfFile: keyPath, encoding: .utf8),
           let certText = try? String(contentsOfFile: certPath, encoding: .utf8),
           let key = try? _RSA.Signing.PrivateKey(pemRepresentation: keyText) {
            self.key = key
            certificate = certText
            return
        }
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let name = try DistinguishedName { CommonName("sns.baton.local") }
        let now = Date()
        let cert = try await Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .sha256WithRSAEncryption, extensions: Certificate.Extensions(),
            issuerAsyncPrivateKey: Certificate.PrivateKey(key))
        let pem = try cert.serializeAsPEM().pemString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // The key first, the certificate last: a crash between them makes both again at the next start.
        try key.pemRepresentation.write(toFile: keyPath, atomically: true, encoding: .utf8)
        try pem.write(toFile: certPath, atomically: true, encoding: .utf8)
        self.key = key
        certificate = pem
    }

    /// AWS's string to sign: the fields present, in this order, each `Name\nvalue\n`.
    static func stringToSign(_ e: JSONObject) -> String {
        let notification = e["Type"]?.stringValue == "Notification"
        let order = notification
            ? ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
            : ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
        var text = ""
        for k in order { if let v = e[k]?.stringValue { text += "\(k)\n\(v)\n" } }
        return text
    }

    func sign(_ e: JSONObject, version: String) -> String {
        let bytes = Array(Self.stringToSign(e).utf8)
        let signature: _RSA.Signing.RSASignature?
        if version == "2" {
            signature = try? key.signature(for: SHA256.hash(data: bytes), padding: .insecurePKCS1v1_5)
        } else {
            signature = try? key.signature(for: Insecure.SHA1.hash(data: bytes), padding: .insecurePKCS1v1_5)
        }
        return signature.map { Base64.encode(Array($0.rawRepresentation)) } ?? ""
    }
}
