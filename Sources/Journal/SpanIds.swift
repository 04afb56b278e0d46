/// A span's id: OTLP's 8-byte `span_id`, spelled as 16 lowercase hex digits in trace headers
/// and in OTLP/JSON. Held as its number, not its spelling: a traced request, step and task
/// each make spans, and a spelled id was a String to allocate, copy and parse back at each hop.
package struct SpanId: Hashable, Sendable, CustomStringConvertible {
    /// Never zero: W3C Trace Context and OTLP call an all-zero id invalid.
    package let value: UInt64

    /// nil for zero.
    package init?(_ value: UInt64) {
        guard value != 0 else { return nil }
        self.value = value
    }

    /// A number known not to be zero (a zero is taken as 1).
    init(nonZero value: UInt64) { self.value = value == 0 ? 1 : value }

    /// 16 hex digits (either case), not all zeros.
    package init?(hex: String) {
        var text = hex
        guard let id = text.withUTF8({ SpanId(hexBytes: $0[...]) }) else { return nil }
        self = id
    }

    package init?(hexBytes b: Slice<UnsafeBufferPointer<UInt8>>) {
        guard b.count == 16, let v = HexDigits.parse(b) else { return nil }
        self.init(v)
    }

    package var hex: String { HexDigits.string(value) }
    package var description: String { hex }

    /// Its 16 digits appended to `out`.
    package func writeHex(into out: inout [UInt8]) { HexDigits.append(value, to: &out) }
}

/// A trace's id: OTLP's 16-byte `trace_id` (32 lowercase hex digits), as two numbers.
package struct TraceId: Hashable, Sendable, CustomStringConvertible {
    package let high: UInt64
    /// The half OpenTelemetry's trace-id ratio sampler reads.
    package let low: UInt64

    /// nil for zero.
    package init?(high: UInt64, low: UInt64) {
        guard high != 0 || low != 0 else { return nil }
        self.high = high
        self.low = low
    }

    /// Numbers known not to be both zero (two zeros are taken as 0 and 1).
    init(nonZero high: UInt64, _ low: UInt64) {
        self.high = high
        self.low = high == 0 && low == 0 ? 1 : low
    }

    /// 32 hex digits (either case), not all zeros.
    package init?(hex: String) {
        var text = hex
        guard let id = text.withUTF8({ TraceId(hexBytes: $0[...]) }) else { return nil }
        self = id
    }

    package init?(hexBytes b: Slice<UnsafeBufferPointer<UInt8>>) {
        guard b.count == 32, let high = HexDigits.parse(b.prefix(16)), let low = HexDigits.parse(b.dropFirst(16)) else { return nil }
        self.init(high: high, low: low)
    }

    /// The first 16 bytes of `bytes` (a hash's), big-endian; nil when they are all zero.
    package init?(bytes: some Collection<UInt8>) {
        var high: UInt64 = 0, low: UInt64 = 0
        for (i, b) in bytes.prefix(16).enumerated() {
            if i < 8 { high = high << 8 | UInt64(b) } else { low = low << 8 | UInt64(b) }
        }
        self.init(high: high, low: low)
    }

    package var hex: String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            HexDigits.write(high, into: buffer, at: 0)
            HexDigits.write(low, into: buffer, at: 16)
            return 32
        }
    }

    package var description: String { hex }

    /// Its 32 digits appended to `out`.
    package func writeHex(into out: inout [UInt8]) {
        HexDigits.append(high, to: &out)
        HexDigits.append(low, to: &out)
    }
}

/// 64-bit numbers as 16 lowercase hex digits, and back.
package enum HexDigits {
    /// A nibble's lowercase hex digit.
    @inline(__always)
    package static func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }

    /// A hex digit's value (either case); nil for any other byte.
    @inline(__always)
    package static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }

    /// Up to 16 hex digits as a number; nil when one is not a hex digit.
    package static func parse(_ b: Slice<UnsafeBufferPointer<UInt8>>) -> UInt64? {
        var v: UInt64 = 0
        for c in b {
            guard let d = value(c) else { return nil }
            v = v << 4 | UInt64(d)
        }
        return v
    }

    static func write(_ v: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        for i in 0..<16 { buffer[offset + i] = digit(UInt8(truncatingIfNeeded: v >> UInt64(60 - 4 * i)) & 0xF) }
    }

    static func string(_ v: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            write(v, into: buffer, at: 0)
            return 16
        }
    }

    /// `v`'s 16 digits appended to `out`, written in place.
    static func append(_ v: UInt64, to out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: 16))
        out.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<16 { buffer[start + i] = digit(UInt8(truncatingIfNeeded: v >> UInt64(60 - 4 * i)) & 0xF) }
        }
    }
}

/// FNV-1a over bytes, finished with MurmurHash3's 64-bit mixer: the same value in every process
/// and on every machine (Swift's `Hasher` is seeded per process), and cheap enough to derive an
/// id on every traced step.
package struct StableHash {
    private var state: UInt64 = 0xCBF2_9CE4_8422_2325

    package init() {}

    package mutating func add(_ text: String) {
        var t = text
        t.withUTF8 { bytes in
            for b in bytes { state = (state ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        }
    }

    package var value: UInt64 {
        var k = state
        k ^= k >> 33
        k = k &* 0xFF51_AFD7_ED55_8CCD
        k ^= k >> 33
        k = k &* 0xC4CE_B9FE_1A85_EC53
        k ^= k >> 33
        return k
    }
}
