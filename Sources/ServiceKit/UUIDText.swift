import Foundation
import Journal
import StatesInterpreter
import StatesLanguage

/// Request ids, message ids, receipts and the names AWS generates when none is given: a random
/// (version 4) UUID. Drawn from one generator seeded once from the system's randomness, under
/// a lock: a getrandom call per id cost more than the rest of a send.
package enum UUIDText {
    private final class Generator: @unchecked Sendable {
        // @unchecked Sendable: `source` is only touched under `lock`.
        private let lock = NSLock()
        private var source: RandomSource

        init() {
            var system = SystemRandomNumberGenerator()
            source = RandomSource(seed: system.next())
        }

        func pair() -> (UInt64, UInt64) { lock.withLock { (source.next(), source.next()) } }

        /// A version 7 UUID's two halves: 48 bits of Unix milliseconds, then a 12-bit counter
        /// that orders the ids drawn within one millisecond, then 62 random bits.
        private var lastMillis: Int64 = 0
        private var counter: UInt64 = 0
        func ordered(millis: Int64) -> (UInt64, UInt64) {
            lock.withLock {
                if millis > lastMillis {
                    lastMillis = millis
                    counter = source.next() & 0x1FF
                } else {
                    // The same millisecond (or a clock that stepped back): count on from the last.
                    counter += 1
                    if counter > 0xFFF { lastMillis += 1; counter = 0 }
                }
                let high = UInt64(lastMillis) << 16 | 0x7000 | counter
                return (high, source.next())
            }
        }
    }

    private static let generator = Generator()

    package static func random() -> String {
        let (a, b) = generator.pair()
        return format(a, b)
    }

    /// A time-ordered (version 7) UUID: ids drawn later sort later, so rows keyed by them are
    /// appended to a table's last pages instead of dirtying a random page each (a delivery's
    /// id names the execution it starts, and random names cost ~35 journal pages per event).
    package static func ordered(millis: Int64) -> String {
        let (a, b) = generator.ordered(millis: millis)
        return formatBigEndian(a, b)
    }

    /// A UUID derived from a name (RFC 9562's version 8, from the name's SHA-256): the same
    /// name gives the same id, so an id drawn for a delivery is the same on every retry of it.
    package static func named(_ name: String) -> String {
        var bytes = Array(Hashing.sha256(Array(name.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return text(bytes)
    }

    /// 16 random hex characters (a receipt's nonce).
    package static func randomHex() -> String {
        let (a, _) = generator.pair()
        return String(unsafeUninitializedCapacity: 16) { buffer in
            for i in 0..<16 { buffer[i] = HexDigits.digit(UInt8(truncatingIfNeeded: a >> (4 * UInt64(15 - i))) & 0xF) }
            return 16
        }
    }

    /// The UUID text of two halves written most significant byte first, the variant bits set.
    static func formatBigEndian(_ a: UInt64, _ b: UInt64) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            bytes[i] = UInt8(truncatingIfNeeded: a >> (8 * UInt64(7 - i)))
            bytes[8 + i] = UInt8(truncatingIfNeeded: b >> (8 * UInt64(7 - i)))
        }
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return text(bytes)
    }

    /// The UUID text of 128 bits, with the version and variant bits set.
    static func format(_ a: UInt64, _ b: UInt64) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            bytes[i] = UInt8(truncatingIfNeeded: a >> (8 * UInt64(i)))
            bytes[8 + i] = UInt8(truncatingIfNeeded: b >> (8 * UInt64(i)))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return text(bytes)
    }

    static func text(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: 36) { out in
            var j = 0
            for (i, byte) in bytes.enumerated() {
                if i == 4 || i == 6 || i == 8 || i == 10 {
                    out[j] = UInt8(ascii: "-")
                    j += 1
                }
                out[j] = HexDigits.digit(byte >> 4)
                out[j + 1] = HexDigits.digit(byte & 0xF)
                j += 2
            }
            return j
        }
    }
}
