import Crypto
import Foundation
import ServiceKit
import StatesLanguage

/// Server-side encryption with customer-provided keys (SSE-C): a write names AES256 and a
/// 256-bit key with its MD5; the object keeps the key's MD5 (never the key) and is read only
/// by a request that presents the same key, as S3 does. (The bytes on this machine's disk are
/// the data directory's to protect; the key is what S3's API makes a reader prove.)
extension S3Service {
    static let customerAlgorithm = "x-amz-server-side-encryption-customer-algorithm"
    static let customerKey = "x-amz-server-side-encryption-customer-key"
    static let customerKeyMD5 = "x-amz-server-side-encryption-customer-key-md5"
    /// Where an object (or upload) keeps its key's MD5: a JSON object, never sent as a header.
    static let customerKeyRecord = "sse-c"

    /// The customer key a request presents, checked in S3's order; nil when it presents none.
    static func customerKeyMD5(_ call: ServiceCall, prefix: String = "x-amz-") throws(ServiceError) -> String? {
        let h = call.headers
        let algorithmHeader = customerAlgorithm.replacingOccurrences(of: "x-amz-", with: prefix)
        let algorithm = h[algorithmHeader]
        let key = h[customerKey.replacingOccurrences(of: "x-amz-", with: prefix)]
        let md5 = h[customerKeyMD5.replacingOccurrences(of: "x-amz-", with: prefix)]
        guard algorithm != nil || key != nil || md5 != nil else { return nil }
        func invalid(_ message: String, value: String? = nil) -> ServiceError {
            S3Errors.invalidArgument(message, name: "x-amz-server-side-encryption", value: value)
        }
        if let sse = h["x-amz-server-side-encryption"], prefix == "x-amz-" {
            throw invalid("Server Side Encryption with Customer provided key is incompatible with the encryption method specified", value: sse)
        }
        guard let algorithm else { throw invalid("Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.") }
        guard algorithm == "AES256" else {
            throw ServiceError("InvalidEncryptionAlgorithmError", "The Encryption request you specified is not valid. Supported value: AES256.",
                               details: ["ArgumentName": "x-amz-server-side-encryption", "ArgumentValue": .string(algorithm)])
        }
        guard let key else { throw invalid("Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.") }
        guard let md5, let bytes = Data(base64Encoded: key), bytes.count == 32 else { throw invalid("The secret key was invalid for the specified algorithm.") }
        guard Data(Insecure.MD5.hash(data: bytes)).base64EncodedString() == md5 else {
            throw invalid("The calculated MD5 hash of the key did not match the hash that was provided.")
        }
        return md5
    }

    static func customerKeyRecord(_ md5: String) -> JSON { ["algorithm": "AES256", "md5": .string(md5)] }

    /// The key an object was written with, if any.
    static func storedCustomerKey(_ headers: JSONObject) -> String? { headers[customerKeyRecord]?["md5"]?.stringValue }

    /// A read of an SSE-C object must present its key.
    static func checkCustomerKey(_ o: ObjectStore.Object, _ call: ServiceCall) throws(ServiceError) {
        guard let stored = storedCustomerKey(o.headers) else { return }
        guard let given = try customerKeyMD5(call) else {
            throw ServiceError("InvalidRequest", "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
        }
        guard given == stored else { throw ServiceError("AccessDenied", "Access Denied", kind: .forbidden) }
    }

    /// The answer's encryption headers: the customer key's, or S3's own AES256.
    static func encryptionHeaders(_ headers: JSONObject) -> [(String, String)] {
        guard let md5 = storedCustomerKey(headers) else { return [("x-amz-server-side-encryption", "AES256")] }
        return [(customerAlgorithm, "AES256"), ("x-amz-server-side-encryption-customer-key-MD5", md5)]
    }

    /// A part must present the key its upload was started with, and only then.
    static func checkPartCustomerKey(_ u: ObjectStore.Upload, _ call: ServiceCall) throws(ServiceError) {
        let given = try customerKeyMD5(call)
        let stored = storedCustomerKey(u.headers)
        if (given == nil) != (stored == nil) {
            throw ServiceError("InvalidRequest", "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.")
        }
        if given != stored { throw ServiceError("InvalidRequest", "The provided encryption parameters did not match the ones used originally.") }
    }
}
