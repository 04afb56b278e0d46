/// HMAC-SHA256 (RFC 2104) over Baton's own SHA-256 (and HMAC-SHA1, for S3's signature
/// version 2), and the encodings senders put it in.
package enum HMAC {
    static let blockSize = 64

    package static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var k = key.count > blockSize ? Hashing.sha256(key) : key
        k += [UInt8](repeating: 0, count: blockSize - k.count)
        let inner = Hashing.sha256(k.map { $0 ^ 0x36 } + message)
        return Hashing.sha256(k.map { $0 ^ 0x5c } + inner)
    }

    package static func sha1(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var k = key.count > blockSize ? Hashing.sha1(key) : key
        k += [UInt8](repeating: 0, count: blockSize - k.count)
        let inner = Hashing.sha1(k.map { $0 ^ 0x36 } + message)
        return Hashing.sha1(k.map { $0 ^ 0x5c } + inner)
    }

    package static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares in time that depends only on the lengths, so a forger learns nothing from
    /// how quickly a wrong signature is refused.
    package static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
