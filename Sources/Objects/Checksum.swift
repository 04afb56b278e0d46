import Crypto
import Foundation

/// The checksums S3 takes beside Content-MD5 (`x-amz-checksum-crc32`, `-crc32c`, `-sha1`,
/// `-sha256`), computed as the bytes stream through; values are base64 of the big-endian digest.
struct Checksum {
    enum Algorithm: String, CaseIterable {
        case crc32 = "CRC32", crc32c = "CRC32C", sha1 = "SHA1", sha256 = "SHA256"
        var header: String { "x-amz-checksum-" + rawValue.lowercased() }
    }

    let algorithm: Algorithm
    private var crc: UInt32 = 0xFFFF_FFFF
    private var sha1 = Insecure.SHA1()
    private var sha256 = SHA256()

    init(_ algorithm: Algorithm) { self.algorithm = algorithm }

    mutating func update(_ bytes: [UInt8]) {
        switch algorithm {
        case .crc32: crc = Self.crc(crc, bytes, Self.crc32Table)
        case .crc32c: crc = Self.crc(crc, bytes, Self.crc32cTable)
        case .sha1: sha1.update(data: bytes)
        case .sha256: sha256.update(data: bytes)
        }
    }

    /// The digest as S3 shows it (base64).
    func value() -> String {
        switch algorithm {
        case .crc32, .crc32c:
            let v = crc ^ 0xFFFF_FFFF
            return Data([UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]).base64EncodedString()
        case .sha1: return Data(sha1.finalize()).base64EncodedString()
        case .sha256: return Data(sha256.finalize()).base64EncodedString()
        }
    }

    static func crc(_ start: UInt32, _ bytes: [UInt8], _ table: [UInt32]) -> UInt32 {
        var c = start
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c
    }

    static func table(_ polynomial: UInt32) -> [UInt32] {
        (0..<256).map { i -> UInt32 in
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 == 1 ? polynomial ^ (c >> 1) : c >> 1 }
            return c
        }
    }

    static let crc32Table = table(0xEDB8_8320)
    static let crc32cTable = table(0x82F6_3B78)
}
