import StatesLanguage

/// A trace's identity as it travels from service to service. Two spellings arrive: W3C Trace
/// Context's `traceparent` header (`00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`),
/// which OpenTelemetry speaks, and AWS X-Ray's (`Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=1`,
/// the `X-Amzn-Trace-Id` header and the `traceHeader` / `TraceHeader` members of Step Functions
/// and EventBridge). They carry the same 128-bit trace id: X-Ray's root is the W3C trace id cut
/// after its first eight digits. Baton keeps the X-Ray spelling in AWS's fields (that is what
/// their users send and read back) and gives functions both.
package struct TraceContext: Sendable, Equatable {
    /// 32 lowercase hex digits.
    package var traceId: String
    /// 16 lowercase hex digits: the span that caused this hop; nil when the header named none.
    package var parentId: String?
    package var sampled: Bool

    package init?(traceId: String, parentId: String?, sampled: Bool) {
        guard Self.isHex(traceId, count: 32), !traceId.utf8.allSatisfy({ $0 == UInt8(ascii: "0") }) else { return nil }
        if let parentId, !Self.isHex(parentId, count: 16) { return nil }
        // Lowercased only when it has to be (the ids Baton writes are lowercase already).
        self.traceId = traceId.utf8.contains(where: { (0x41...0x46).contains($0) }) ? traceId.lowercased() : traceId
        self.parentId = parentId.map { p in p.utf8.contains(where: { (0x41...0x46).contains($0) }) ? p.lowercased() : p }
        self.sampled = sampled
    }

    /// Ids already checked (read from a header) or made by Baton (`Spans`): not checked again,
    /// as a traced request or task would otherwise do on every hop.
    package init(checked traceId: String, parentId: String, sampled: Bool) {
        self.traceId = traceId
        self.parentId = parentId
        self.sampled = sampled
    }

    /// Either spelling, told apart by the third byte: W3C's version is two hex digits and a
    /// dash; X-Ray's fields are words (`Root=`, `Parent=`, `Sampled=`). Each traced step reads
    /// its execution's header back, so the wrong parser is not tried first.
    package init?(header: String) {
        let b = Self.trimmed(Array(header.utf8)[...])
        if b.count > 2, b[b.startIndex + 2] == UInt8(ascii: "-") {
            guard let t = TraceContext(traceparentBytes: b) else { return nil }
            self = t
        } else {
            guard let t = TraceContext(xrayBytes: b) else { return nil }
            self = t
        }
    }

    /// W3C Trace Context, version 00 (a later version is read by its first four fields, as the
    /// recommendation asks).
    package init?(traceparent: String) {
        self.init(traceparentBytes: Self.trimmed(Array(traceparent.utf8)[...]))
    }

    /// `traceparent` by bytes: every API call may carry one.
    private init?(traceparentBytes b: ArraySlice<UInt8>) {
        var parts: [ArraySlice<UInt8>] = []
        var start = b.startIndex
        for i in b.indices where b[i] == UInt8(ascii: "-") {
            parts.append(b[start..<i])
            start = i + 1
        }
        parts.append(b[start...])
        guard parts.count >= 4, Self.isHex(parts[0], count: 2), !Self.equals(parts[0], "ff"),
              Self.equals(parts[0], "00") ? parts.count == 4 : true,
              Self.isHex(parts[3], count: 2), Self.isHex(parts[1], count: 32), Self.isHex(parts[2], count: 16),
              !parts[2].allSatisfy({ $0 == UInt8(ascii: "0") }) else { return nil }
        let flags = Self.hexValue(parts[3][parts[3].startIndex]) << 4 | Self.hexValue(parts[3][parts[3].startIndex + 1])
        self.init(traceId: String(decoding: parts[1], as: UTF8.self), parentId: String(decoding: parts[2], as: UTF8.self),
                  sampled: flags & 1 == 1)
    }

    private static func hexValue(_ c: UInt8) -> UInt8 {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        default: c &- 0x41 &+ 10
        }
    }

    /// X-Ray: `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`,
    /// fields in any order; other fields (`Lineage`, `Self`) are ignored.
    package init?(xray: String) {
        self.init(xrayBytes: Array(xray.utf8)[...])
    }

    /// X-Ray's spelling by bytes: each traced step reads its execution's header back, and
    /// splitting it into Strings was 4 % of a traced run's CPU.
    private init?(xrayBytes b: ArraySlice<UInt8>) {
        var root: ArraySlice<UInt8>?
        var parent: ArraySlice<UInt8>?
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
        guard root[r] == UInt8(ascii: "1"), root[r + 1] == UInt8(ascii: "-"), root[r + 10] == UInt8(ascii: "-") else { return nil }
        self.init(traceId: String(decoding: root[(r + 2)..<(r + 10)] + root[(r + 11)...], as: UTF8.self),
                  parentId: parent.map { String(decoding: $0, as: UTF8.self) }, sampled: sampled)
    }

    /// Bytes against a literal, compared as bytes (a String's UTF-8 view went through a
    /// generic path on each of a header's fields).
    private static func equals(_ bytes: ArraySlice<UInt8>, _ word: StaticString) -> Bool {
        guard bytes.count == word.utf8CodeUnitCount else { return false }
        return word.withUTF8Buffer { w in bytes.withUnsafeBufferPointer { b in b.elementsEqual(w) } }
    }

    private static func trimmed(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = s
        while s.first == UInt8(ascii: " ") { s = s.dropFirst() }
        while s.last == UInt8(ascii: " ") { s = s.dropLast() }
        return s
    }

    /// A new trace (the entropy is the caller's: 16 bytes for the id, 8 for the first span).
    package static func new(entropy: [UInt8], sampled: Bool = true) -> TraceContext? {
        guard entropy.count >= 24 else { return nil }
        return TraceContext(traceId: hex(entropy[0..<16]), parentId: hex(entropy[16..<24]), sampled: sampled)
    }

    package var traceparent: String {
        // By bytes: every traced request hands its trace on in both spellings.
        var out: [UInt8] = []
        out.reserveCapacity(55)
        out.append(contentsOf: "00-".utf8)
        out.appendUTF8(traceId)
        out.append(UInt8(ascii: "-"))
        if let parentId { out.appendUTF8(parentId) } else { out.append(contentsOf: "0000000000000001".utf8) }
        out.append(contentsOf: (sampled ? "-01" : "-00").utf8)
        return String(decoding: out, as: UTF8.self)
    }

    package var xray: String {
        var out: [UInt8] = []
        out.reserveCapacity(77)
        out.append(contentsOf: "Root=1-".utf8)
        var id = traceId
        id.withUTF8 { b in
            // The W3C id cut after its first eight digits (`1-<8 hex>-<24 hex>`).
            out.append(contentsOf: UnsafeBufferPointer(rebasing: b.prefix(8)))
            out.append(UInt8(ascii: "-"))
            out.append(contentsOf: UnsafeBufferPointer(rebasing: b.dropFirst(8)))
        }
        if let parentId {
            out.append(contentsOf: ";Parent=".utf8)
            out.appendUTF8(parentId)
        }
        out.append(contentsOf: (sampled ? ";Sampled=1" : ";Sampled=0").utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// A nibble's lowercase hex digit.
    static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }

    static func isHex(_ s: String, count: Int) -> Bool {
        s.utf8.count == count && s.utf8.allSatisfy(isHexDigit)
    }

    static func isHex(_ s: ArraySlice<UInt8>, count: Int) -> Bool {
        s.count == count && s.allSatisfy(isHexDigit)
    }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        (0x30...0x39).contains(c) || (0x61...0x66).contains(c) || (0x41...0x46).contains(c)
    }

    package static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        // Written in place: derived span ids are spelled on every traced step.
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            var i = 0
            for b in bytes {
                buffer[i] = Self.hexDigit(b >> 4)
                buffer[i + 1] = Self.hexDigit(b & 0xF)
                i += 2
            }
            return i
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
