import Crypto
import Foundation

/// The checksums S3 takes beside Content-MD5 (`x-amz-checksum-crc32`, `-crc32c`, `-sha1`,
/// `-sha256`), computed as the bytes stream through; values are base64 of the big-endian digest.
struct Checksum {
    enum Algorithm: String, CaseIterable {
        case crc32 = "CRC32", crc32c = "CRC32C", crc64nvme = "CRC64NVME", sha1 = "SHA1", sha256 = "SHA256"
        var header: String { "x-amz-checksum-" + rawValue.lowercased() }
        /// The digest's length in bytes (a value that decodes to another length is refused).
        var length: Int {
            switch self {
            case .crc32, .crc32c: return 4
            case .crc64nvme: return 8
            case .sha1: return 20
            case .sha256: return 32
            }
        }
    }

    let algorithm: Algorithm
    private var crc: UInt32 = 0xFFFF_FFFF
    private var crc64: UInt64 = 0xFFFF_FFFF_FFFF_FFFF
    private var sha1 = Insecure.SHA1()
    private var sha256 = SHA256()

    init(_ algorithm: Algorithm) { self.algorithm = algorithm }

    mutating func update(_ bytes: [UInt8]) {
        switch algorithm {
        case .crc32: crc = Self.crc(crc, bytes, Self.crc32Table)
        case .crc32c: crc = Self.crc(crc, bytes, Self.crc32cTable)
        case .crc64nvme: crc64 = Self.crc64(crc64, bytes)
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
        case .crc64nvme:
            let v = crc64 ^ 0xFFFF_FFFF_FFFF_FFFF
            return Data((0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64($0))) }).base64EncodedString()
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
    /// CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5), S3's default checksum since 2025.
    static let crc64Table: [UInt64] = (0..<256).map { i -> UInt64 in
        var c = UInt64(i)
        for _ in 0..<8 { c = c & 1 == 1 ? 0x9A6C_9329_AC4B_C9B5 ^ (c >> 1) : c >> 1 }
        return c
    }
    static let crc32cTable = table(0x82F6_3B78)

    /// Slicing-by-8 tables for CRC-64/NVME: table k maps a byte k places further on. S3 adds
    /// this checksum to every object sent without one, so it runs on every upload's bytes.
    static let crc64Slices: [UInt64] = {
        var t = [UInt64](repeating: 0, count: 8 * 256)
        for i in 0..<256 { t[i] = crc64Table[i] }
        for k in 1..<8 {
            for i in 0..<256 {
                let prev = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (prev >> 8) ^ crc64Table[Int(prev & 0xFF)]
            }
        }
        return t
    }()

    static func crc64(_ start: UInt64, _ bytes: [UInt8]) -> UInt64 {
        var c = start
        crc64Slices.withUnsafeBufferPointer { t in
            bytes.withUnsafeBytes { raw in
                var i = 0
                let n = raw.count
                while i + 8 <= n {
                    c ^= UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    c = t[7 * 256 + Int(c & 0xFF)] ^ t[6 * 256 + Int((c >> 8) & 0xFF)] ^ t[5 * 256 + Int((c >> 16) & 0xFF)]
                        ^ t[4 * 256 + Int((c >> 24) & 0xFF)] ^ t[3 * 256 + Int((c >> 32) & 0xFF)] ^ t[2 * 256 + Int((c >> 40) & 0xFF)]
                        ^ t[256 + Int((c >> 48) & 0xFF)] ^ t[Int(c >> 56)]
                    i += 8
                }
                while i < n {
                    c = t[Int((c ^ UInt64(raw[i])) & 0xFF)] ^ (c >> 8)
                    i += 1
                }
            }
        }
        return c
    }
}
