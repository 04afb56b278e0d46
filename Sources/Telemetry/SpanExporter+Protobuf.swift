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
        var scratch = ProtobufScratch()
        for s in spans { encodeProtobuf(s, into: &body, &scratch) }
        return protobufDocument(spans: body, serviceName: serviceName)
    }

    /// One span as ScopeSpans' field 2 (its key, its length, the Span), appended to `out`.
    static func encodeProtobuf(_ s: SpanRecord, into out: inout [UInt8], _ scratch: inout ProtobufScratch) {
        var span = scratch.span, status = scratch.status
        span.bytes.removeAll(keepingCapacity: true)
        span.hexBytes(1, s.traceId)
        span.hexBytes(2, s.spanId)
        if let parent = s.parentSpanId { span.hexBytes(4, parent) }
        span.string(5, s.name)
        span.varint(6, UInt64(s.kind.rawValue))
        span.fixed64(7, UInt64(max(0, s.startNanos)))
        span.fixed64(8, UInt64(max(0, max(s.endNanos, s.startNanos))))
        for (key, value) in s.attributes { span.message(9, keyValue(key, value, &scratch.kv, &scratch.any)) }
        status.bytes.removeAll(keepingCapacity: true)
        if let error = s.error {
            status.string(2, error)
            status.varint(3, 2)
        } else {
            status.varint(3, 1)
        }
        span.message(15, status)
        out.appendVarint(2 << 3 | 2)
        out.appendVarint(UInt64(span.bytes.count))
        out.append(contentsOf: span.bytes)
        scratch.span = span
        scratch.status = status
    }

    /// The ExportTraceServiceRequest around spans written by `encodeProtobuf(_:into:_:)`.
    static func protobufDocument(spans: [UInt8], serviceName: String) -> [UInt8] {
        var resource = Protobuf()
        var kv = Protobuf(), any = Protobuf()
        resource.message(1, keyValue("service.name", .string(serviceName), &kv, &any))
        resource.message(1, keyValue("service.version", .string(BatonRelease.version), &kv, &any))
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

    static func keyValue(_ key: String, _ value: SpanRecord.Value, _ kv: inout Protobuf, _ any: inout Protobuf) -> Protobuf {
        any.bytes.removeAll(keepingCapacity: true)
        switch value {
        case .string(let s): any.string(1, s)
        case .bool(let b): any.varint(2, b ? 1 : 0)
        case .int(let i): any.varint(3, UInt64(bitPattern: i))
        }
        kv.bytes.removeAll(keepingCapacity: true)
        kv.string(1, key)
        kv.message(2, any)
        return kv
    }
}
/// Buffers a span's protobuf writing reuses from span to span.
struct ProtobufScratch {
    var span = Protobuf(), status = Protobuf(), kv = Protobuf(), any = Protobuf()
}

/// Protocol Buffers' wire format, the few field kinds OTLP's spans use.
struct Protobuf {
    var bytes: [UInt8] = []

    mutating func key(_ field: Int, _ wireType: UInt64) { raw(UInt64(field) << 3 | wireType) }

    /// The bytes a varint of `n` takes.
    static func size(_ n: Int) -> Int {
        var n = UInt64(n), k = 1
        while n >= 0x80 { n >>= 7; k += 1 }
        return k
    }

    mutating func raw(_ v: UInt64) { bytes.appendVarint(v) }

    mutating func varint(_ field: Int, _ v: UInt64) {
        key(field, 0)
        raw(v)
    }

    mutating func fixed64(_ field: Int, _ v: UInt64) {
        key(field, 1)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    mutating func string(_ field: Int, _ s: String) {
        key(field, 2)
        raw(UInt64(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }

    mutating func message(_ field: Int, _ m: Protobuf) {
        key(field, 2)
        raw(UInt64(m.bytes.count))
        bytes.append(contentsOf: m.bytes)
    }

    /// An id given in hex (as spans carry them) written as its bytes.
    mutating func hexBytes(_ field: Int, _ hex: String) {
        let digits = Array(hex.utf8)
        key(field, 2)
        raw(UInt64(digits.count / 2))
        var i = 0
        while i + 1 < digits.count {
            bytes.append(Self.nibble(digits[i]) << 4 | Self.nibble(digits[i + 1]))
            i += 2
        }
    }

    static func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return 0
        }
    }
}
