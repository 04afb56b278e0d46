import Journal
import Logging
import NIOConcurrencyHelpers
import ServiceKit
import StatesLanguage
import Telemetry
import Testing

/// Spans are written into their batch as they arrive: what a flush sends is, batch by batch,
/// the document the spans themselves make (the JSON model's tree; protobuf is read back into
/// that tree field by field), in batches of 2,048, in arrival order, and past 16,384 waiting the
/// newest are dropped.
@Suite struct SpanExporterBatchTests {
    /// OpenTelemetry's variables, as `baton serve` reads them.
    static let batching = SpanExporter.Batching.from(environment: ["OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "2048", "OTEL_BSP_MAX_QUEUE_SIZE": "16384"]).batching

    static func span(_ n: Int) -> SpanRecord {
        SpanRecord(traceId: Spans.newTraceId(), spanId: Spans.newSpanId(), parentSpanId: n % 2 == 0 ? nil : SpanId(hex: "b7ad6b7169203331"),
                   name: "span \(n) \"q\"", kind: n % 3 == 0 ? .server : .internal, startNanos: Int64(n), endNanos: Int64(n + 5),
                   attributes: [("n", .int(Int64(n))), ("even", .bool(n % 2 == 0)), ("text", .string("t\\\(n)"))],
                   error: n % 5 == 0 ? "failed \(n)" : nil)
    }

    final class Bodies: Sendable {
        let bodies = NIOLockedValueBox<[(type: String, body: [UInt8])]>([])
        func transport() -> SpanExporter.Transport {
            { _, type, body in
                self.bodies.withLockedValue { $0.append((type, body)) }
                return OutboundHTTP.Response(status: 200, body: [])
            }
        }
    }

    @Test(arguments: [SpanExporter.Wire.json, .protobuf])
    func batchesAreTheDocumentsOfTheirSpans(_ wire: SpanExporter.Wire) async throws {
        let sent = Bodies()
        let exporter = try #require(SpanExporter(endpoint: "http://collector.test:4318", serviceName: "svc", wire: wire,
                                                 logger: Logger(label: "test"), batching: Self.batching, transport: sent.transport()))
        let spans = (0..<5000).map(Self.span)
        // One at a time and a step's at once, as requests and executions hand them on.
        for s in spans[..<1000] { exporter.add(s) }
        exporter.add(contentsOf: Array(spans[1000..<3000]))
        for s in spans[3000...] { exporter.add(s) }
        await exporter.flush()
        let bodies = sent.bodies.withLockedValue { $0 }
        #expect(bodies.count == 3)
        let batches = [Array(spans[0..<2048]), Array(spans[2048..<4096]), Array(spans[4096...])]
        for (body, batch) in zip(bodies, batches) {
            switch wire {
            case .json:
                #expect(body.type == "application/json")
                #expect(try JSONParser.parse(body.body) == SpanExporter.document(batch, serviceName: "svc"))
            case .protobuf:
                #expect(body.type == "application/x-protobuf")
                // Read back field by field into OTLP/JSON's tree: the same document as the JSON.
                #expect(try OTLPProtobufReader.document(body.body) == SpanExporter.document(batch, serviceName: "svc"))
            }
        }
        // Nothing is left to send.
        await exporter.flush()
        #expect(sent.bodies.withLockedValue { $0.count } == 3)
    }

    @Test func pastTheLimitTheNewestAreDropped() async throws {
        let sent = Bodies()
        let exporter = try #require(SpanExporter(endpoint: "http://collector.test:4318", wire: .json, logger: Logger(label: "test"), batching: Self.batching,
                                                 transport: sent.transport()))
        for n in 0..<20_000 { exporter.add(Self.span(n)) }
        await exporter.flush()
        let names = sent.bodies.withLockedValue { $0 }.flatMap { body in
            ((try? JSONParser.parse(body.body))?["resourceSpans"]?.arrayValue?.first?["scopeSpans"]?.arrayValue?.first?["spans"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        }
        #expect(names.count == 16_384)
        #expect(names.first == "span 0 \"q\"" && names.last == "span 16383 \"q\"")
        // Room again once sent.
        exporter.add(Self.span(1))
        await exporter.flush()
        #expect(sent.bodies.withLockedValue { $0.count } == 9)
    }
}
