import Journal
import StatesLanguage
import ServiceKit

/// OTLP's protobuf encoding (`application/x-protobuf`, `OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`;
/// OpenTelemetry's usual default, for collectors that take nothing else): an ExportTraceServiceRequest written field by field (no generated code, no
/// protobuf library): ids as raw bytes, times as fixed64, a third of the JSON's size.
///
///     ExportTraceServiceRequest { 1: repeated ResourceSpans }
///     ResourceSpans { 1: Resource { 1: repeated KeyValue }, 2: repeated ScopeSpans }
///     ScopeSpans { 1: InstrumentationScope { 1: name, 2: version }, 2: repeated Span }
///     Span { 1: trace_id, 2: span_id, 4: parent_span_id, 5: name, 6: kind, 7: start (fixed64),
///            8: end (fixed64), 9: repeated KeyValue, 15: Status { 2: message, 3: code } }
///     KeyValue { 1: key, 2: AnyValue { 1: string, 2: bool, 3: int } }
extension SpanExporter {
    package static func encodeProtobuf(_ spans: [SpanRecord], serviceName: String) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(spans.count * 160)
        for s in spans { encodeProtobuf(s, into: &body) }
        return protobufDocument(spans: body, serviceName: serviceName)
    }

    /// One span as ScopeSpans' field 2 (its key, its length, the Span), appended to `out`.
    /// Each nested message's length is counted before it is written, so the span's bytes are
    /// known in number and written in place: no scratch message to fill and copy per span, per
    /// attribute, per value, and no array append (with its checks) per byte. Returns false, and
    /// leaves `out` as it was, should the count and the writing ever disagree.
    @discardableResult
    package static func encodeProtobuf(_ s: SpanRecord, into out: inout [UInt8]) -> Bool {
        // Sizes: ids 18 + 10 (+ 10 with a parent), kind 2, times 9 + 9.
        var length = 18 + 10 + (s.parentSpanId == nil ? 0 : 10) + Protobuf.field(s.name.utf8.count) + 2 + 9 + 9
        for (key, value) in s.attributes {
            length += Protobuf.field(Protobuf.keyValueLength(key, value))
        }
        let status = Protobuf.statusLength(s.error)
        length += 1 + Protobuf.size(status) + status
        let total = 1 + Protobuf.size(length) + length
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: total))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int in
            var w = ProtobufWriter(buffer, from: start)
            w.byte(2 << 3 | 2)
            w.varint(UInt64(length))
            w.byte(1 << 3 | 2)
            w.byte(16)
            w.bigEndian(s.traceId.high)
            w.bigEndian(s.traceId.low)
            w.byte(2 << 3 | 2)
            w.byte(8)
            w.bigEndian(s.spanId.value)
            if let parent = s.parentSpanId {
                w.byte(4 << 3 | 2)
                w.byte(8)
                w.bigEndian(parent.value)
            }
            w.string(5, s.name)
            w.byte(6 << 3)
            w.byte(UInt8(s.kind.rawValue))
            w.byte(7 << 3 | 1)
            w.littleEndian(UInt64(max(0, s.startNanos)))
            w.byte(8 << 3 | 1)
            w.littleEndian(UInt64(max(0, max(s.endNanos, s.startNanos))))
            for (key, value) in s.attributes { w.keyValue(9, key, value) }
            w.byte(15 << 3 | 2)
            w.varint(UInt64(status))
            if let error = s.error { w.string(2, error) }
            w.byte(3 << 3)
            w.byte(s.error == nil ? 1 : 2)
            return w.at - start
        }
        guard written == total else {
            out.removeLast(out.count - start)
            return false
        }
        return true
    }

    /// The ExportTraceServiceRequest around spans written by `encodeProtobuf(_:into:)`.
    static func protobufDocument(spans: [UInt8], serviceName: String) -> [UInt8] {
        var resource = Protobuf()
        resource.keyValue(1, "service.name", .string(serviceName))
        resource.keyValue(1, "service.version", .string(BatonRelease.version))
        var scope = Protobuf()
        scope.string(1, "baton")
        scope.string(2, BatonRelease.version)
        // ScopeSpans: the scope, then the spans (each already its field 2).
        let scopeField = 1 + Protobuf.size(scope.bytes.count) + scope.bytes.count
        let scopeSpansLength = scopeField + spans.count
        let resourceSpansLength = 1 + Protobuf.size(resource.bytes.count) + resource.bytes.count + 1 + Protobuf.size(scopeSpansLength)
            + scopeSpansLength
        var out = Protobuf()
        out.bytes.reserveCapacity(resourceSpansLength + 8)
        out.key(1, 2)
        out.raw(UInt64(resourceSpansLength))
        out.message(1, resource)
        out.key(2, 2)
        out.raw(UInt64(scopeSpansLength))
        out.message(1, scope)
        out.bytes.append(contentsOf: spans)
        return out.bytes
    }
}

/// Protocol Buffers' wire format, the few field kinds OTLP's spans use: a message built whole
/// (the document's wrappers, once a batch), and the sizes `ProtobufWriter` counts ahead.
struct Protobuf {
    var bytes: [UInt8] = []

    mutating func key(_ field: Int, _ wireType: UInt64) { raw(UInt64(field) << 3 | wireType) }

    mutating func raw(_ v: UInt64) { bytes.appendVarint(v) }

    mutating func string(_ field: Int, _ s: String) {
        key(field, 2)
        raw(UInt64(s.utf8.count))
        bytes.appendUTF8(s)
    }

    mutating func message(_ field: Int, _ m: Protobuf) {
        key(field, 2)
        raw(UInt64(m.bytes.count))
        bytes.append(contentsOf: m.bytes)
    }

    /// A KeyValue as field `field`, through the span writer's own code.
    mutating func keyValue(_ field: UInt8, _ key: String, _ value: SpanRecord.Value) {
        let start = bytes.count, total = Self.field(Self.keyValueLength(key, value))
        bytes.append(contentsOf: repeatElement(0, count: total))
        bytes.withUnsafeMutableBufferPointer { buffer in
            var w = ProtobufWriter(buffer, from: start)
            w.keyValue(field, key, value)
        }
    }

    /// The bytes a varint of `n` takes.
    static func size(_ n: Int) -> Int { size(UInt64(n)) }

    static func size(_ v: UInt64) -> Int {
        var n = v, k = 1
        while n >= 0x80 { n >>= 7; k += 1 }
        return k
    }

    /// A length-delimited field's size: its key (one byte, fields 1 to 15), its length, its bytes.
    static func field(_ length: Int) -> Int { 1 + size(length) + length }

    /// KeyValue { 1: key, 2: AnyValue { 1: string, 2: bool, 3: int } }'s size.
    static func keyValueLength(_ key: String, _ value: SpanRecord.Value) -> Int {
        field(key.utf8.count) + field(anyValueLength(value))
    }

    static func anyValueLength(_ value: SpanRecord.Value) -> Int {
        switch value {
        case .string(let s): field(s.utf8.count)
        case .bool: 2
        case .int(let i): 1 + size(UInt64(bitPattern: i))
        }
    }

    /// Status { 2: message, 3: code }'s size.
    static func statusLength(_ error: String?) -> Int { (error.map { field($0.utf8.count) } ?? 0) + 2 }
}

/// Writes a message whose size was counted ahead into its room in an array: a byte at a time
/// with one bounds check, strings copied whole. Past the room's end nothing is written but the
/// position still moves, so the caller sees the disagreement and drops the span.
struct ProtobufWriter {
    let base: UnsafeMutablePointer<UInt8>?
    let end: Int
    var at: Int

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>, from start: Int) {
        base = buffer.baseAddress
        end = buffer.count
        at = start
    }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        if at < end, let base { base[at] = b }
        at += 1
    }

    mutating func varint(_ v: UInt64) {
        var n = v
        while n >= 0x80 {
            byte(UInt8(truncatingIfNeeded: n) | 0x80)
            n >>= 7
        }
        byte(UInt8(n))
    }

    mutating func bigEndian(_ v: UInt64) {
        for i in 0..<8 { byte(UInt8(truncatingIfNeeded: v >> UInt64(56 - 8 * i))) }
    }

    mutating func littleEndian(_ v: UInt64) {
        for i in 0..<8 { byte(UInt8(truncatingIfNeeded: v >> UInt64(8 * i))) }
    }

    mutating func string(_ field: UInt8, _ s: String) {
        byte(field << 3 | 2)
        var text = s
        text.withUTF8 { bytes in
            varint(UInt64(bytes.count))
            if let base, let from = bytes.baseAddress, at + bytes.count <= end {
                (base + at).update(from: from, count: bytes.count)
            }
            at += bytes.count
        }
    }

    mutating func keyValue(_ field: UInt8, _ key: String, _ value: SpanRecord.Value) {
        byte(field << 3 | 2)
        varint(UInt64(Protobuf.keyValueLength(key, value)))
        string(1, key)
        byte(2 << 3 | 2)
        varint(UInt64(Protobuf.anyValueLength(value)))
        switch value {
        case .string(let s): string(1, s)
        case .bool(let b):
            byte(2 << 3)
            byte(b ? 1 : 0)
        case .int(let i):
            byte(3 << 3)
            varint(UInt64(bitPattern: i))
        }
    }
}
