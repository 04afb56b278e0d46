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

/// Base64url without padding (RFC 4648 §5).
enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let n = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            if i + 1 < bytes.count { out.append(alphabet[Int(n >> 6 & 63)]) }
            if i + 2 < bytes.count { out.append(alphabet[Int(n & 63)]) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        for c in text.utf8 {
            let v: UInt32
            switch c {
            case 65...90: v = UInt32(c - 65)
            case 97...122: v = UInt32(c - 71)
            case 48...57: v = UInt32(c + 4)
            case 45: v = 62
            case 95: v = 63
            default: return nil
            }
            acc = acc << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
                acc &= (1 << UInt32(bits)) - 1
            }
        }
        // A lone sixth of a byte left over is not base64url.
        return bits >= 6 ? nil : out
    }
}
