/// Where serialised bytes go: a counter (to size the buffer exactly) or the buffer itself.
@usableFromInline protocol JSONSink {
    mutating func append(_ byte: UInt8)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>)
}

@usableFromInline struct ByteCounter: JSONSink {
    @usableFromInline var count = 0
    @inlinable mutating func append(_ byte: UInt8) { count += 1 }
    @inlinable mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) { count += bytes.count }
}

@usableFromInline struct BufferWriter: JSONSink {
    @usableFromInline let base: UnsafeMutablePointer<UInt8>
    @usableFromInline var position = 0
    @inlinable mutating func append(_ byte: UInt8) {
        base[position] = byte
        position += 1
    }
    @inlinable mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let src = bytes.baseAddress, bytes.count > 0 else { return }
        (base + position).update(from: src, count: bytes.count)
        position += bytes.count
    }
}

extension Array: JSONSink where Element == UInt8 {
    @usableFromInline mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) { append(contentsOf: bytes) }
}

extension JSON {
    /// Compact JSON text, as Step Functions prints payloads: no spaces, keys in order,
    /// `/` and non-ASCII left unescaped, doubles in Java's notation (`1.0E10`).
    /// Sized first, then written straight into the string's storage: one allocation.
    public var serialized: String {
        var counter = ByteCounter()
        emit(to: &counter)
        return String(unsafeUninitializedCapacity: counter.count) { buffer in
            var writer = BufferWriter(base: buffer.baseAddress!)
            emit(to: &writer)
            return writer.position
        }
    }

    /// The compact text as bytes, for a wire: sized first and written in place, with neither a
    /// String's UTF-8 check nor a copy out of one.
    public var serializedBytes: [UInt8] {
        var counter = ByteCounter()
        emit(to: &counter)
        return [UInt8](unsafeUninitializedCapacity: counter.count) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            var writer = BufferWriter(base: base)
            emit(to: &writer)
            initialized = writer.position
        }
    }

    /// The size of the compact text in bytes (used for the 256 KiB payload limit).
    public var serializedByteCount: Int {
        var counter = ByteCounter()
        emit(to: &counter)
        return counter.count
    }

    public func write(to out: inout [UInt8]) {
        emit(to: &out)
    }

    static func appendASCII<S: JSONSink>(_ s: StaticString, to out: inout S) {
        out.append(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    static func appendString<S: JSONSink>(_ s: String, to out: inout S) {
        var s = s
        s.withUTF8 { out.append($0) }
    }

    @usableFromInline func emit<S: JSONSink>(to out: inout S) {
        switch self {
        case .null: JSON.appendASCII("null", to: &out)
        case .bool(let b): if b { JSON.appendASCII("true", to: &out) } else { JSON.appendASCII("false", to: &out) }
        case .int(let i): JSON.appendString(String(i), to: &out)
        case .double(let d): JSON.appendString(JSON.formatDouble(d), to: &out)
        case .bigNumber(let s): JSON.appendString(s, to: &out)
        case .string(let s): JSON.emitString(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            var first = true
            for v in a {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                v.emit(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var first = true
            for e in o.entries {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JSON.emitString(e.key, to: &out)
                out.append(UInt8(ascii: ":"))
                e.value.emit(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func writeString(_ s: String, to out: inout [UInt8]) {
        emitString(s, to: &out)
    }

    @usableFromInline static func emitString<S: JSONSink>(_ s: String, to out: inout S) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            var runStart = 0
            var i = 0
            let n = bytes.count
            let raw = UnsafeRawBufferPointer(bytes)
            // Eight bytes at a time: an exact mask marks the bytes to escape, so a word with a
            // quote or two (JSON text inside a string is full of them) is not walked byte by byte.
            while i + 8 <= n {
                var mask = JSONBytes.escapeMask(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                while mask != 0 {
                    let j = i + mask.trailingZeroBitCount >> 3
                    out.append(UnsafeBufferPointer(rebasing: bytes[runStart..<j]))
                    escape(bytes[j], to: &out)
                    runStart = j + 1
                    mask &= mask &- 1
                }
                i += 8
            }
            while i < n {
                let c = bytes[i]
                if c < 0x20 || c == 0x22 || c == 0x5C {
                    out.append(UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                    escape(c, to: &out)
                    runStart = i + 1
                }
                i += 1
            }
            out.append(UnsafeBufferPointer(rebasing: bytes[runStart..<n]))
        }
        out.append(UInt8(ascii: "\""))
    }

    @usableFromInline static func escape<S: JSONSink>(_ c: UInt8, to out: inout S) {
        out.append(0x5C)
        switch c {
        case 0x22: out.append(0x22)
        case 0x5C: out.append(0x5C)
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        default:
            out.append(UInt8(ascii: "u"))
            out.append(0x30)
            out.append(0x30)
            out.append(hexDigits[Int(c >> 4)])
            out.append(hexDigits[Int(c & 0xF)])
        }
    }

    /// Formats a double the way Java's `Double.toString` does (AWS's runtime is Java):
    /// plain notation for 1e-3 <= |d| < 1e7 with at least one fractional digit, otherwise
    /// `d.dddE±n`. The digits are the shortest that round-trip, which Swift computes too.
    public static func formatDouble(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        // In this range Swift's shortest form is already Java's (plain notation, ".0" on integers).
        if d.magnitude >= 1e-3 && d.magnitude < 1e7 { return d.description }
        // Decompose Swift's shortest representation into digits and a decimal exponent.
        let text = d.magnitude.description
        var digits: [UInt8] = []
        var exponent = 0  // value = 0.digits × 10^exponent
        var seenPoint = false
        var intDigits = 0
        var explicitExp = 0
        var iterator = text.utf8.makeIterator()
        while let c = iterator.next() {
            if c == UInt8(ascii: ".") {
                seenPoint = true
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                var rest = ""
                while let r = iterator.next() { rest.append(Character(Unicode.Scalar(r))) }
                explicitExp = Int(rest) ?? 0
                break
            } else {
                digits.append(c)
                if !seenPoint { intDigits += 1 }
            }
        }
        // Strip leading zeros (adjusting the exponent) and trailing zeros.
        exponent = intDigits + explicitExp
        while let first = digits.first, first == UInt8(ascii: "0") {
            digits.removeFirst()
            exponent -= 1
        }
        while let last = digits.last, last == UInt8(ascii: "0") { digits.removeLast() }
        if digits.isEmpty { return "0.0" }
        var out = d.sign == .minus ? "-" : ""
        let magnitude = d.magnitude
        if magnitude >= 1e-3 && magnitude < 1e7 {
            if exponent <= 0 {
                out += "0." + String(repeating: "0", count: -exponent) + String(decoding: digits, as: UTF8.self)
            } else if exponent >= digits.count {
                out += String(decoding: digits, as: UTF8.self) + String(repeating: "0", count: exponent - digits.count) + ".0"
            } else {
                out += String(decoding: digits[0..<exponent], as: UTF8.self) + "."
                    + String(decoding: digits[exponent...], as: UTF8.self)
            }
        } else {
            out += String(Character(Unicode.Scalar(digits[0]))) + "."
            out += digits.count > 1 ? String(decoding: digits[1...], as: UTF8.self) : "0"
            out += "E" + String(exponent - 1)
        }
        return out
    }
}

extension JSON: CustomStringConvertible {
    public var description: String { serialized }
}

/// Serialized sizes of large containers by storage identity, for one interpreter step: a
/// member shared by many values (a large blob carried through a chain of states) is measured
/// once. It keeps the values alive, so an identity cannot be reused while it is remembered.
public final class ByteCountMemo {
    private var sizes: [UInt: (size: Int, value: JSON)] = [:]
    /// Containers smaller than this are not remembered: measuring them again is cheaper.
    static let threshold = 1024

    public init() {}

    func size(of value: JSON) -> Int {
        guard let id = value.storageIdentity else {
            var counter = ByteCounter()
            value.emit(to: &counter)
            return counter.count
        }
        if let known = sizes[id] { return known.size }
        var total = 0
        switch value {
        case .array(let a):
            total = 2 + max(0, a.count - 1)
            for v in a { total += size(of: v) }
        case .object(let o):
            total = 2 + max(0, o.count - 1)
            for e in o.entries {
                var key = ByteCounter()
                JSON.emitString(e.key, to: &key)
                total += key.count + 1 + size(of: e.value)
            }
        default:
            var counter = ByteCounter()
            value.emit(to: &counter)
            total = counter.count
        }
        if total >= Self.threshold { sizes[id] = (total, value) }
        return total
    }
}

extension JSON {
    /// `serializedByteCount`, remembering large containers' sizes in `memo`.
    public func serializedByteCount(memo: ByteCountMemo) -> Int { memo.size(of: self) }
}

/// Word-at-a-time byte tests (SWAR) for the scanners of JSON strings.
@usableFromInline enum JSONBytes {
    @usableFromInline static let ones: UInt64 = 0x0101_0101_0101_0101
    @usableFromInline static let highs: UInt64 = 0x8080_8080_8080_8080

    @usableFromInline static let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F

    /// The high bit of each byte of `w` that is zero, exactly (no borrow crosses bytes).
    @inlinable static func zeroBytes(_ w: UInt64) -> UInt64 { ~(((w & lows) &+ lows) | w) & highs }

    /// The high bit of each byte of `w` that JSON escapes: a control character, `"` or `\\`.
    @inlinable static func escapeMask(_ w: UInt64) -> UInt64 {
        // Below 0x20: the high bit clear, and adding 0x60 to the low seven bits does not set it.
        let control = ~((w & lows) &+ (ones &* 0x60)) & ~w & highs
        return control | zeroBytes(w ^ (ones &* 0x22)) | zeroBytes(w ^ (ones &* 0x5C))
    }
}
