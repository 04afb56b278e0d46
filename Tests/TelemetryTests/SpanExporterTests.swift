import Journal
import ServiceKit
import StatesLanguage
import Telemetry
import Testing

/// The OTLP/JSON body: the bytes written directly are the document the JSON model would make,
/// escapes included.
@Suite struct SpanExporterTests {
    static let spans = [
        SpanRecord(traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", parentSpanId: nil, name: "states.StartExecution",
                   kind: .server, startNanos: 1_000, endNanos: 2_000,
                   attributes: [("rpc.method", .string("StartExecution")), ("http.response.status_code", .int(200)), ("retry", .bool(false))]),
        SpanRecord(traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "00f067aa0ba902b7", parentSpanId: "b7ad6b7169203331",
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

    @Test func newIdsAreHexOfTheirLength() {
        for _ in 0..<100 {
            let span = Spans.newSpanId(), trace = Spans.newTraceId()
            #expect(span.count == 16 && trace.count == 32)
            #expect(TraceContext(traceId: trace, parentId: span, sampled: true) != nil)
        }
        #expect(Spans.derivedId("execution|a|0") == Spans.derivedId("execution|a|0"))
        #expect(Spans.derivedId("execution|a|0") != Spans.derivedId("execution|a|1"))
    }
}
