import StatesLanguage

/// A task token that names its own task: the execution's ARN and the task's id travel inside
/// it, beside the secret that makes it unguessable, so a callback (SendTaskSuccess,
/// SendTaskFailure, SendTaskHeartbeat) finds its execution and partition from the token
/// alone, with no lookup. The execution still decides: a token is accepted only when it is
/// the one its open task holds (a forged or stale token changes nothing).
///
/// The bytes are a version (1), the 24-byte secret, the task id (8 bytes, little-endian) and
/// the ARN's UTF-8, written base64url without padding (safe in URLs and headers). AWS's tokens
/// are opaque strings of up to 2,048 characters; an ARN of 256 characters makes one of 400.
/// Tokens of the earlier form (the 32-character secret alone) are still found by their row.
package struct TaskToken: Sendable, Equatable {
    package let executionArn: String
    package let taskId: TaskID

    static let version: UInt8 = 1
    static let secretBytes = 24

    /// The token for `task` of the execution `executionArn` with `secret` (24 bytes).
    package static func make(secret: [UInt8], task: TaskID, executionArn: String) -> String {
        var bytes: [UInt8] = [version]
        bytes.reserveCapacity(1 + secretBytes + 8 + executionArn.utf8.count)
        bytes += secret.prefix(secretBytes)
        let raw = UInt64(bitPattern: Int64(task.rawValue))
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: raw >> (8 * UInt64(i)))) }
        bytes += executionArn.utf8
        // The version byte's top six bits are zero: the token begins with "A", never with "-"
        // (which the aws CLI would read as an option).
        return Base64URL.encode(bytes)
    }

    /// The task a token names, or nil for a token of the earlier form or not one of ours.
    package init?(_ token: String) {
        guard token.utf8.count > 44, let bytes = Base64URL.decode(token), bytes.count > 1 + Self.secretBytes + 8,
              bytes[0] == Self.version else { return nil }
        var id: UInt64 = 0
        for i in 0..<8 { id |= UInt64(bytes[1 + Self.secretBytes + i]) << (8 * UInt64(i)) }
        guard let arn = String(validating: bytes[(1 + Self.secretBytes + 8)...], as: UTF8.self), arn.hasPrefix("arn:") else { return nil }
        executionArn = arn
        taskId = TaskID(Int(truncatingIfNeeded: id))
    }
}

/// Base64url without padding (RFC 4648 §5): standard base64's alphabet with `-` and `_` for
/// `+` and `/`, through the project's one base64 codec.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        String(decoding: Base64.encode(bytes).utf8.compactMap { c -> UInt8? in
            switch c {
            case UInt8(ascii: "+"): UInt8(ascii: "-")
            case UInt8(ascii: "/"): UInt8(ascii: "_")
            case UInt8(ascii: "="): nil
            default: c
            }
        }, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        var standard: [UInt8] = []
        standard.reserveCapacity(text.utf8.count + 3)
        for c in text.utf8 {
            switch c {
            case UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="): return nil
            case UInt8(ascii: "-"): standard.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): standard.append(UInt8(ascii: "/"))
            default: standard.append(c)
            }
        }
        while standard.count % 4 != 0 { standard.append(UInt8(ascii: "=")) }
        return Base64.decode(String(decoding: standard, as: UTF8.self))
    }
}
