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
        case .double(let d): JSON.emitDouble(d, to: &out)
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
        if d.isFinite, d != 0, d.magnitude >= 1e-3 && d.magnitude < 1e7 { return d.description }
        var out: [UInt8] = []
        emitDouble(d, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes `d` as Java's `Double.toString` spells it, without intermediate strings in the
    /// exponent form (an epoch time in seconds, 1.76469E9, is the common case in payloads).
    @usableFromInline static func emitDouble<S: JSONSink>(_ d: Double, to out: inout S) {
        if d.isNaN { return appendASCII("NaN", to: &out) }
        if d.isInfinite { return d < 0 ? appendASCII("-Infinity", to: &out) : appendASCII("Infinity", to: &out) }
        if d == 0 { return d.sign == .minus ? appendASCII("-0.0", to: &out) : appendASCII("0.0", to: &out) }
        let magnitude = d.magnitude
        // In this range Swift's shortest form is already Java's (plain notation, ".0" on integers).
        if magnitude >= 1e-3 && magnitude < 1e7 { return appendString(d.description, to: &out) }
        // Swift's shortest digits (plain, "1764690000.5", or with an exponent, "1e-05"), as
        // value = 0.DIGITS × 10^exponent, then Java's d.DDDEn.
        var text = magnitude.description
        text.withUTF8 { t in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: t.count + 24) { buffer in
                guard let b = buffer.baseAddress else { return }
                var count = 0
                var intDigits = 0
                var seenPoint = false
                var explicitExp = 0
                var i = 0
                while i < t.count {
                    let c = t[i]
                    if c == UInt8(ascii: ".") {
                        seenPoint = true
                    } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                        var negative = false
                        i += 1
                        if i < t.count, t[i] == UInt8(ascii: "-") || t[i] == UInt8(ascii: "+") {
                            negative = t[i] == UInt8(ascii: "-")
                            i += 1
                        }
                        while i < t.count { explicitExp = explicitExp * 10 + Int(t[i] &- UInt8(ascii: "0")); i += 1 }
                        if negative { explicitExp = -explicitExp }
                        break
                    } else {
                        b[count] = c
                        count += 1
                        if !seenPoint { intDigits += 1 }
                    }
                    i += 1
                }
                var exponent = intDigits + explicitExp
                var first = 0
                while first < count, b[first] == UInt8(ascii: "0") {
                    first += 1
                    exponent -= 1
                }
                while count > first, b[count - 1] == UInt8(ascii: "0") { count -= 1 }
                if first == count { return appendASCII("0.0", to: &out) }
                if d.sign == .minus { out.append(UInt8(ascii: "-")) }
                out.append(b[first])
                out.append(UInt8(ascii: "."))
                if count - first > 1 {
                    out.append(UnsafeBufferPointer(start: b + first + 1, count: count - first - 1))
                } else {
                    out.append(UInt8(ascii: "0"))
                }
                out.append(UInt8(ascii: "E"))
                var e = exponent - 1
                if e < 0 {
                    out.append(UInt8(ascii: "-"))
                    e = -e
                }
                // At most three digits: a double's decimal exponent is within ±324.
                var tens = 1
                while tens * 10 <= e { tens *= 10 }
                while tens > 0 {
                    out.append(UInt8(ascii: "0") &+ UInt8(e / tens))
                    e %= tens
                    tens /= 10
                }
            }
        }
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

extension ByteCountMemo {
    /// Whether `value` serializes to at most `limit` bytes. Most values are far below the
    /// limit, and a bound taken from lengths alone shows it without formatting a number or
    /// escaping a string (measuring every state's output exactly was 4 % of an Express run);
    /// only a value the bound cannot clear is measured.
    func fits(_ value: JSON, within limit: Int) -> Bool {
        var budget = limit
        if boundFits(value, &budget) { return true }
        return size(of: value) <= limit
    }

    /// Takes an upper bound of `value`'s serialized size from `budget`; false once it is spent.
    private func boundFits(_ value: JSON, _ budget: inout Int) -> Bool {
        switch value {
        case .null, .bool: budget -= 5
        case .int: budget -= 20
        // The longest a Double prints: "-2.2250738585072014e-308" (24 bytes).
        case .double: budget -= 24
        case .bigNumber(let n): budget -= n.utf8.count
        // Each byte escapes to at most six ("\u001f"); a non-ASCII scalar to at most six per
        // scalar of two or more bytes.
        case .string(let t): budget -= 2 + 6 * t.utf8.count
        // Sizes are remembered only for large containers: most values meet none, and then no
        // lookup (a hash per container) is made.
        case .array(let a):
            if !sizes.isEmpty, let id = value.storageIdentity, let known = sizes[id] {
                budget -= known.size
                break
            }
            budget -= 2 + a.count
            // Through the buffer: no copy (a retain and a release) of each element on the way.
            let fits = a.withUnsafeBufferPointer { (items) -> Bool in
                for i in items.indices where !boundFits(items[i], &budget) { return false }
                return true
            }
            guard fits else { return false }
        case .object(let o):
            if !sizes.isEmpty, let id = value.storageIdentity, let known = sizes[id] {
                budget -= known.size
                break
            }
            budget -= 2 + o.count
            let fits = o.entries.withUnsafeBufferPointer { (entries) -> Bool in
                for i in entries.indices {
                    budget -= 3 + 6 * entries[i].key.utf8.count
                    guard boundFits(entries[i].value, &budget) else { return false }
                }
                return true
            }
            guard fits else { return false }
        }
        return budget >= 0
    }
}

extension JSON {
    /// `serializedByteCount`, remembering large containers' sizes in `memo`.
    public func serializedByteCount(memo: ByteCountMemo) -> Int { memo.size(of: self) }

    /// Whether the value serializes to at most `limit` bytes (the payload limit's test),
    /// measuring exactly only when a quick bound cannot tell.
    public func serializes(within limit: Int, memo: ByteCountMemo) -> Bool { memo.fits(self, within: limit) }
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
