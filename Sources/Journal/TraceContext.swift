import StatesLanguage

/// A trace's identity as it travels from service to service. Two spellings arrive: W3C Trace
/// Context's `traceparent` header (`00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`),
/// which OpenTelemetry speaks, and AWS X-Ray's (`Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=1`,
/// the `X-Amzn-Trace-Id` header and the `traceHeader` / `TraceHeader` members of Step Functions
/// and EventBridge). They carry the same 128-bit trace id: X-Ray's root is the W3C trace id cut
/// after its first eight digits. Baton keeps the X-Ray spelling in AWS's fields (that is what
/// their users send and read back) and gives functions both.
package struct TraceContext: Sendable, Equatable {
    package var traceId: TraceId
    /// The span that caused this hop; nil when the header named none.
    package var parentId: SpanId?
    package var sampled: Bool

    package init(traceId: TraceId, parentId: SpanId?, sampled: Bool) {
        self.traceId = traceId
        self.parentId = parentId
        self.sampled = sampled
    }

    /// A header's bytes, read in place (no copy of the header is made to read it).
    typealias Bytes = Slice<UnsafeBufferPointer<UInt8>>

    /// Either spelling, told apart by the third byte: W3C's version is two hex digits and a
    /// dash; X-Ray's fields are words (`Root=`, `Parent=`, `Sampled=`). Each traced step reads
    /// its execution's header back, so the wrong parser is not tried first.
    package init?(header: String) {
        var text = header
        let parsed: TraceContext? = text.withUTF8 { all in
            let b = Self.trimmed(all[...])
            if b.count > 2, b[b.startIndex + 2] == UInt8(ascii: "-") { return TraceContext(traceparentBytes: b) }
            return TraceContext(xrayBytes: b)
        }
        guard let parsed else { return nil }
        self = parsed
    }

    /// W3C Trace Context, version 00 (a later version is read by its first four fields, as the
    /// recommendation asks).
    package init?(traceparent: String) {
        var text = traceparent
        guard let parsed = text.withUTF8({ TraceContext(traceparentBytes: Self.trimmed($0[...])) }) else { return nil }
        self = parsed
    }

    /// `traceparent` by bytes: every API call may carry one.
    private init?(traceparentBytes b: Bytes) {
        // `vv-<32>-<16>-<2>`, and for a later version more fields after a dash.
        let s = b.startIndex
        guard b.count >= 55, b[s + 2] == UInt8(ascii: "-"), b[s + 35] == UInt8(ascii: "-"), b[s + 52] == UInt8(ascii: "-"),
              let version = HexDigits.parse(b[s..<(s + 2)]), version != 0xFF,
              b.count == 55 || (version != 0 && b[s + 55] == UInt8(ascii: "-")),
              let flags = HexDigits.parse(b[(s + 53)..<(s + 55)]),
              let traceId = TraceId(hexBytes: b[(s + 3)..<(s + 35)]), let parent = SpanId(hexBytes: b[(s + 36)..<(s + 52)]) else { return nil }
        self.init(traceId: traceId, parentId: parent, sampled: flags & 1 == 1)
    }

    /// X-Ray: `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`,
    /// fields in any order; other fields (`Lineage`, `Self`) are ignored.
    package init?(xray: String) {
        var text = xray
        guard let parsed = text.withUTF8({ TraceContext(xrayBytes: $0[...]) }) else { return nil }
        self = parsed
    }

    /// X-Ray's spelling by bytes: each traced step reads its execution's header back, and
    /// splitting it into Strings was 4 % of a traced run's CPU.
    private init?(xrayBytes b: Bytes) {
        var root: Bytes?
        var parent: Bytes?
        var sampled = false
        var i = b.startIndex
        while i < b.endIndex {
            var j = i
            while j < b.endIndex, b[j] != UInt8(ascii: ";") { j += 1 }
            let field = Self.trimmed(b[i..<j])
            if let eq = field.firstIndex(of: UInt8(ascii: "=")) {
                let key = Self.trimmed(field[field.startIndex..<eq]), value = Self.trimmed(field[(eq + 1)...])
                if Self.equals(key, "Root") {
                    root = value
                } else if Self.equals(key, "Parent") {
                    parent = value
                } else if Self.equals(key, "Sampled") {
                    sampled = Self.equals(value, "1")
                }
            }
            i = j + 1
        }
        // `1-<8 hex>-<24 hex>`: the trace id is the two hex parts together.
        guard let root, root.count == 35 else { return nil }
        let r = root.startIndex
        guard root[r] == UInt8(ascii: "1"), root[r + 1] == UInt8(ascii: "-"), root[r + 10] == UInt8(ascii: "-"),
              let first = HexDigits.parse(root[(r + 2)..<(r + 10)]), let middle = HexDigits.parse(root[(r + 11)..<(r + 19)]),
              let last = HexDigits.parse(root[(r + 19)..<(r + 35)]),
              let traceId = TraceId(high: first << 32 | middle, low: last) else { return nil }
        var parentId: SpanId?
        if let parent {
            guard let id = SpanId(hexBytes: parent) else { return nil }
            parentId = id
        }
        self.init(traceId: traceId, parentId: parentId, sampled: sampled)
    }

    /// Bytes against a literal, compared as bytes (a String's UTF-8 view went through a
    /// generic path on each of a header's fields).
    private static func equals(_ bytes: Bytes, _ word: StaticString) -> Bool {
        guard bytes.count == word.utf8CodeUnitCount else { return false }
        return word.withUTF8Buffer { w in bytes.elementsEqual(w) }
    }

    private static func trimmed(_ s: Bytes) -> Bytes {
        var s = s
        while s.first == UInt8(ascii: " ") { s = s.dropFirst() }
        while s.last == UInt8(ascii: " ") { s = s.dropLast() }
        return s
    }

    /// `00-<trace id>-<parent id>-<flags>`, written in place: every traced request hands its
    /// trace on in both spellings.
    package var traceparent: String {
        String(unsafeUninitializedCapacity: 55) { b in
            var w = HeaderWriter(b)
            w.literal("00-")
            w.hex(traceId.high)
            w.hex(traceId.low)
            w.literal("-")
            w.hex(parentId?.value ?? 1)
            w.literal(sampled ? "-01" : "-00")
            return w.at
        }
    }

    /// `Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=<0|1>`: the W3C id cut after its first
    /// eight digits.
    package var xray: String {
        String(unsafeUninitializedCapacity: 78) { b in
            var w = HeaderWriter(b)
            w.literal("Root=1-")
            w.hex(traceId.high >> 32, digits: 8)
            w.literal("-")
            w.hex(traceId.high, digits: 8)
            w.hex(traceId.low)
            if let parentId {
                w.literal(";Parent=")
                w.hex(parentId.value)
            }
            w.literal(sampled ? ";Sampled=1" : ";Sampled=0")
            return w.at
        }
    }
}

/// A trace header's bytes written into a String's storage as it is made.
private struct HeaderWriter {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    var at = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

    mutating func literal(_ text: StaticString) {
        text.withUTF8Buffer { bytes in
            for b in bytes where at < buffer.count {
                buffer[at] = b
                at += 1
            }
        }
    }

    /// The low `digits` hex digits of `v`.
    mutating func hex(_ v: UInt64, digits: Int = 16) {
        for i in 0..<digits where at < buffer.count {
            buffer[at] = HexDigits.digit(UInt8(truncatingIfNeeded: v >> UInt64(4 * (digits - 1 - i))) & 0xF)
            at += 1
        }
    }
}

extension String {
    package var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
