import Journal
import Crypto
import ServiceKit
import StatesLanguage

/// Message attributes as SQS (and SNS) check and digest them.
enum MessageAttributes {
    /// AWS's digest of a message's attributes: for each attribute in name order, the name, the
    /// data type and the value, each as a 4-byte big-endian length and its bytes, with a
    /// transport byte (1: string, 2: binary) before the value.
    static func md5(_ attributes: JSONObject) -> String {
        var bytes: [UInt8] = []
        func lengthPrefixed(_ b: [UInt8]) {
            let n = UInt32(b.count)
            bytes += [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
            bytes += b
        }
        for name in attributes.keys.sorted() {
            guard let a = attributes[name] else { continue }
            let type = a["DataType"]?.stringValue ?? ""
            lengthPrefixed(Array(name.utf8))
            lengthPrefixed(Array(type.utf8))
            if type.hasPrefix("Binary") {
                bytes.append(2)
                lengthPrefixed(binary(a["BinaryValue"]) ?? [])
            } else {
                bytes.append(1)
                lengthPrefixed(Array((a["StringValue"]?.stringValue ?? "").utf8))
            }
        }
        return md5Hex(bytes)
    }

    static func md5Hex(_ bytes: [UInt8]) -> String {
        hex(Insecure.MD5.hash(data: bytes))
    }

    /// Lower-case hex of a digest, written straight into the string's storage.
    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let bytes = Array(digest)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (i, b) in bytes.enumerated() {
                out[2 * i] = digit(b >> 4)
                out[2 * i + 1] = digit(b & 0xF)
            }
            return bytes.count * 2
        }
    }

    static func digit(_ v: UInt8) -> UInt8 { v < 10 ? 48 + v : 87 + v }

    /// A binary value as sent: base64 text (both protocols carry blobs so).
    static func binary(_ v: JSON?) -> [UInt8]? {
        guard let s = v?.stringValue else { return nil }
        return Base64.decode(s)
    }

    /// The size SQS counts against MaximumMessageSize: names, types and values.
    static func size(_ attributes: JSONObject) -> Int {
        var n = 0
        for (name, a) in attributes {
            n += name.utf8.count + (a["DataType"]?.stringValue?.utf8.count ?? 0)
            if let s = a["StringValue"]?.stringValue { n += s.utf8.count }
            if let b = binary(a["BinaryValue"]) { n += b.count }
        }
        return n
    }

    /// Refuses what SQS refuses, in its words; returns the attributes as stored (only the members SQS keeps).
    static func validate(_ value: JSON?, system: Bool = false) throws(ServiceError) -> JSONObject {
        guard let value, !value.isNull else { return [:] }
        guard case .object(let given) = value else { throw invalid("MessageAttributes", "must be a map") }
        if given.count > 10 {
            throw ServiceError("InvalidParameterValueException",
                               "Number of message attributes [\(given.count)] exceeds the allowed maximum [10].")
        }
        var out = JSONObject()
        for name in given.keys.sorted() {
            guard case .object(let a)? = given[name] else { throw invalid(name, "must be a structure") }
            if system && name != "AWSTraceHeader" {
                throw ServiceError("InvalidParameterValueException",
                                   "Message system attribute name '\(name)' is invalid.")
            }
            try checkName(name)
            guard let type = a["DataType"]?.stringValue, !type.isEmpty else {
                throw ServiceError("InvalidParameterValueException", "The message attribute '\(name)' must contain non-empty message attribute type.")
            }
            let base = type.split(separator: ".", maxSplits: 1).first.map(String.init) ?? type
            guard ["String", "Number", "Binary"].contains(base), type.utf8.count <= 256 else {
                throw ServiceError("InvalidParameterValueException",
                                   "The type of message (user) attribute '\(name)' is invalid. You must use only the following supported type prefixes: Binary, Number, String.")
            }
            var kept: JSONObject = ["DataType": .string(type)]
            if base == "Binary" {
                guard let b = a["BinaryValue"]?.stringValue, let bytes = Base64.decode(b), !bytes.isEmpty else {
                    throw ServiceError("InvalidParameterValueException",
                                       "The message attribute '\(name)' with type 'Binary' must use field 'Binary'.")
                }
                kept["BinaryValue"] = .string(b)
            } else {
                guard let s = a["StringValue"]?.stringValue, !s.isEmpty else {
                    throw ServiceError("InvalidParameterValueException",
                                       "The message attribute '\(name)' with type '\(base)' must use field 'String'.")
                }
                if let bad = MessageText.firstInvalidCharacter(s) {
                    throw ServiceError("InvalidParameterValueException",
                                       "Message (user) attribute '\(name)' value contains invalid character #x\(String(bad, radix: 16, uppercase: true)).")
                }
                if base == "Number", Double(s.trimmingSpaces) == nil {
                    throw ServiceError("InvalidParameterValueException", "Can't cast the value of message (user) attribute '\(name)' to a number.")
                }
                kept["StringValue"] = .string(s)
            }
            out[name] = .object(kept)
        }
        return out
    }

    static func checkName(_ name: String) throws(ServiceError) {
        let allowed = name.utf8.allSatisfy { b in
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
                || b == UInt8(ascii: ".")
        }
        let lower = name.lowercased()
        guard !name.isEmpty, name.utf8.count <= 256, allowed, !name.hasPrefix("."), !name.hasSuffix("."), !name.contains(".."),
              !lower.hasPrefix("aws."), !lower.hasPrefix("amazon.") else {
            throw ServiceError("InvalidParameterValueException", "Message (user) attribute name '\(name)' is invalid.")
        }
    }

    static func invalid(_ name: String, _ reason: String) -> ServiceError {
        ServiceError("InvalidParameterValueException", "The message attribute '\(name)' \(reason).")
    }
}

/// The characters a message may carry: XML's (#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to
/// #xFFFD | #x10000 to #x10FFFF).
enum MessageText {
    static func firstInvalidCharacter(_ s: String) -> UInt32? {
        for u in s.unicodeScalars {
            let v = u.value
            let ok = v == 0x9 || v == 0xA || v == 0xD || (0x20...0xD7FF).contains(v) || (0xE000...0xFFFD).contains(v)
                || (0x10000...0x10FFFF).contains(v)
            if !ok { return v }
        }
        return nil
    }
}
