import Journal
import ServiceKit
import StatesLanguage
import Telemetry
import Testing

/// The OTLP/JSON body: the bytes written directly are the document the JSON model would make,
/// escapes included.
@Suite struct SpanExporterTests {
    static let trace = TraceId(hex: "0af7651916cd43dd8448eb211c80319c") ?? Spans.newTraceId()
    static func id(_ hex: String) -> SpanId { SpanId(hex: hex) ?? Spans.newSpanId() }

    static let spans = [
        SpanRecord(traceId: trace, spanId: id("b7ad6b7169203331"), parentSpanId: nil, name: "states.StartExecution",
                   kind: .server, startNanos: 1_000, endNanos: 2_000,
                   attributes: [("rpc.method", .string("StartExecution")), ("http.response.status_code", .int(200)), ("retry", .bool(false))]),
        SpanRecord(traceId: trace, spanId: id("00f067aa0ba902b7"), parentSpanId: id("b7ad6b7169203331"),
                   name: "state \"quoted\" \\ tab\t and é", kind: .internal, startNanos: 5, endNanos: 3, attributes: [],
                   error: "States.TaskFailed: line\nbreak"),
    ]

    @Test func theWrittenBytesAreTheDocument() throws {
        let written = try JSONParser.parse(SpanExporter.encode(Self.spans, serviceName: "baton \"x\""))
        #expect(written == SpanExporter.document(Self.spans, serviceName: "baton \"x\""))
        let spans = written["resourceSpans"]?.arrayValue?.first?["scopeSpans"]?.arrayValue?.first?["spans"]?.arrayValue ?? []
        #expect(spans.count == 2)
        #expect(spans[1]["name"] == "state \"quoted\" \\ tab\t and é" && spans[1]["parentSpanId"] == "b7ad6b7169203331")
        // An end before its start is sent as the start (a clock step back).
        #expect(spans[1]["endTimeUnixNano"] == "5" && spans[1]["status"]?["code"] == 2)
        #expect(spans[0]["attributes"]?.arrayValue?[1]["value"]?["intValue"] == "200" && spans[0]["status"] == ["code": 1])
    }

    /// Protobuf lengths counted ahead of the writing, at every varint width they take: names
    /// and values of 0, 127, 128, 16,383 and 16,384 bytes (one, two and three length bytes), a
    /// negative number (ten), multi-byte characters, each read back as the JSON document.
    @Test(arguments: [0, 1, 127, 128, 300, 16_383, 16_384, 70_000])
    func protobufLengthsAreCountedAtEveryWidth(_ n: Int) throws {
        let text = String(repeating: "a", count: n)
        let span = SpanRecord(traceId: Self.trace, spanId: Self.id("b7ad6b7169203331"), parentSpanId: n % 2 == 0 ? nil : Self.id("00f067aa0ba902b7"),
                              name: text, kind: .client, startNanos: Int64(n), endNanos: Int64.max,
                              attributes: [(text, .string(text + "é")), ("negative", .int(-Int64(n) - 1)), ("big", .int(Int64.max)), ("", .bool(true))],
                              error: n % 3 == 0 ? text : nil)
        var body: [UInt8] = []
        #expect(SpanExporter.encodeProtobuf(span, into: &body))
        let document = try OTLPProtobufReader.document(SpanExporter.encodeProtobuf([span, span], serviceName: "svc"))
        #expect(document == SpanExporter.document([span, span], serviceName: "svc"))
    }

    @Test func newIdsAreHexOfTheirLength() {
        for _ in 0..<100 {
            let span = Spans.newSpanId(), trace = Spans.newTraceId()
            #expect(span.hex.count == 16 && trace.hex.count == 32)
            #expect(SpanId(hex: span.hex) == span && TraceId(hex: trace.hex) == trace)
            let context = TraceContext(traceId: trace, parentId: span, sampled: true)
            #expect(TraceContext(traceparent: context.traceparent) == context && TraceContext(xray: context.xray) == context)
        }
        #expect(Spans.derivedSpanId("execution|a|0") == Spans.derivedSpanId("execution|a|0"))
        #expect(Spans.derivedSpanId("execution|a|0") != Spans.derivedSpanId("execution|a|1"))
        // Span ids: FNV-1a 64 mixed by MurmurHash3's finalizer (FNV-1a("abc") is e71fa2190541574b),
        // the parts hashed as one text; trace ids: SHA-256's first 16 bytes (ba7816bf… for "abc").
        #expect(Spans.derivedSpanId("abc").hex == "33ebaf9927cbc5bd" && Spans.derivedSpanId("a", "", "bc") == Spans.derivedSpanId("abc"))
        #expect(Spans.derivedSpanId("execution|", "arn:aws:states:us-east-1:000000000000:execution:m:e", "|", "0").hex == "ab3326c45118ec41")
        #expect(Spans.derivedTraceId("abc").hex == "ba7816bf8f01cfea414140de5dae2223")
        #expect(SpanId(hex: "0000000000000000") == nil && SpanId(hex: "00f067aa0ba902bg") == nil && SpanId(hex: "00F067AA0BA902B7")?.hex == "00f067aa0ba902b7")
        #expect(TraceId(hex: String(repeating: "0", count: 32)) == nil && TraceId(hex: "4bf92f3577b34da6a3ce929d0e0e473") == nil)
    }
}
