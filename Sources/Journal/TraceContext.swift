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

    package var traceparent: String {
        // By bytes: every traced request hands its trace on in both spellings.
        var out: [UInt8] = []
        out.reserveCapacity(55)
        out.append(contentsOf: "00-".utf8)
        traceId.writeHex(into: &out)
        out.append(UInt8(ascii: "-"))
        if let parentId { parentId.writeHex(into: &out) } else { out.append(contentsOf: "0000000000000001".utf8) }
        out.append(contentsOf: (sampled ? "-01" : "-00").utf8)
        return String(decoding: out, as: UTF8.self)
    }

    package var xray: String {
        var out: [UInt8] = []
        out.reserveCapacity(77)
        out.append(contentsOf: "Root=1-".utf8)
        // The W3C id cut after its first eight digits (`1-<8 hex>-<24 hex>`).
        traceId.writeHex(into: &out)
        out.insert(UInt8(ascii: "-"), at: 7 + 8)
        if let parentId {
            out.append(contentsOf: ";Parent=".utf8)
            parentId.writeHex(into: &out)
        }
        out.append(contentsOf: (sampled ? ";Sampled=1" : ";Sampled=0").utf8)
        return String(decoding: out, as: UTF8.self)
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
