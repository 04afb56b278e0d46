import Foundation
import Journal
import Logging
import ServiceKit
import ServiceLifecycle
import StatesLanguage

/// Sends finished spans to an OpenTelemetry collector: OTLP over HTTP (`POST <endpoint>/v1/traces`),
/// protobuf- or JSON-encoded (`OTEL_EXPORTER_OTLP_PROTOCOL`), in batches (`Batching`: by default
/// up to 8,192 spans, every second), the last batch on shutdown. A collector that is down loses
/// spans, never the server's work: at most 65,536 wait, and past that the newest are dropped.
///
/// Not swift-otel: a durable execution outlives the process that started it, so its span's id
/// is derived from the journal and its span is sent when it ends, spanning a restart; a tracer
/// that makes its own ids and keeps open spans in memory cannot say that. The wire format is
/// OTLP's own, which any collector reads.
package final class SpanExporter: ServiceLifecycle.Service, @unchecked Sendable {
    // @unchecked Sendable: the batches and counts are touched only under `lock`.
    let url: URL
    let serviceName: String
    let logger: Logger
    let wire: Wire

    /// OTLP over HTTP's two encodings (`OTEL_EXPORTER_OTLP_PROTOCOL`): `http/protobuf` by
    /// default, as OpenTelemetry's SDKs default (a third of JSON's bytes, and since its lengths
    /// are counted ahead and its bytes written in place, no dearer to write), or `http/json`.
    package enum Wire: String, Sendable {
        case protobuf = "http/protobuf"
        case json = "http/json"

        /// From `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` or `OTEL_EXPORTER_OTLP_PROTOCOL`; nil for a
        /// value that is neither (`grpc` is not served).
        package init?(environment env: [String: String]) {
            guard let given = env["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] ?? env["OTEL_EXPORTER_OTLP_PROTOCOL"] else {
                self = .protobuf
                return
            }
            self.init(rawValue: given.lowercased())
        }
    }
    /// How a batch reaches the collector: an HTTP POST, or a test's fake.
    package typealias Transport = @Sendable (_ url: String, _ contentType: String, _ body: [UInt8]) async throws -> OutboundHTTP.Response
    let transport: Transport
    let batching: Batching
    private let lock = NSLock()
    /// Spans are written in the wire's bytes as they arrive, into batches of up to `batching.batchSize`:
    /// nothing of a span is kept but its bytes, so a span is copied once, not held, copied into
    /// a batch and walked again when the batch goes. A JSON batch begins with the document's
    /// opening, so it is sent as it stands once closed.
    private var full: [Batch] = []
    private var current: Batch?
    private var pendingCount = 0
    private var dropped = 0
    /// The last full batch's size in bytes: a new batch's room, so a busy server's batches do
    /// not grow (and copy) their way up a megabyte each time.
    private var lastFullBytes = 0

    struct Batch {
        var bytes: [UInt8]
        var count = 0
    }

    package init?(endpoint: String, serviceName: String = "baton", wire: Wire = .protobuf, logger: Logger,
                  batching: Batching = Batching(), transport: Transport? = nil) {
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base.hasSuffix("/v1/traces") ? base : base + "/v1/traces"), url.scheme?.hasPrefix("http") == true else {
            return nil
        }
        self.url = url
        self.serviceName = serviceName
        self.wire = wire
        self.logger = logger
        self.batching = batching
        let timeoutSeconds = max(1, batching.timeout.components.seconds + (batching.timeout.components.attoseconds > 0 ? 1 : 0))
        self.transport = transport ?? { url, type, body in
            try await OutboundHTTP.send("POST", to: url, headers: [("Content-Type", type)], body: body, timeoutSeconds: timeoutSeconds)
        }
    }

    /// Makes this the process's span sink; `ratio` of new traces are recorded.
    package func install(ratio: Double = 1) {
        // Held strongly while installed (`run` uninstalls it as it ends): a weak reference was
        // loaded on every span.
        Spans.install({ span in self.add(span) }, batch: { spans in self.add(contentsOf: spans) }, ratio: ratio)
    }

    /// The ratio of new traces to record, from OpenTelemetry's variables: `OTEL_TRACES_SAMPLER`
    /// (`parentbased_always_on` by default, `…_always_off`, `…traceidratio` with
    /// `OTEL_TRACES_SAMPLER_ARG`); a caller's sampled flag always decides for its own trace.
    package static func ratio(environment env: [String: String]) -> Double {
        switch env["OTEL_TRACES_SAMPLER"]?.lowercased() {
        case "always_off", "parentbased_always_off": return 0
        case "traceidratio", "parentbased_traceidratio": return Double(env["OTEL_TRACES_SAMPLER_ARG"] ?? "1") ?? 1
        default: return 1
        }
    }

    package func add(_ span: SpanRecord) {
        lock.withLock { append(span) }
    }

    /// A step's spans, under one lock.
    package func add(contentsOf spans: [SpanRecord]) {
        lock.withLock { for span in spans { append(span) } }
    }

    /// Under `lock`.
    private func append(_ span: SpanRecord) {
        // Full (the collector is slow or down): the newest are dropped, in O(1).
        if pendingCount >= batching.maximumPending {
            dropped += 1
            return
        }
        var batch = current ?? Batch(bytes: openBatch())
        current = nil
        switch wire {
        case .json:
            if batch.count > 0 { batch.bytes.append(UInt8(ascii: ",")) }
            Self.encode(span, into: &batch.bytes)
        case .protobuf:
            Self.encodeProtobuf(span, into: &batch.bytes)
        }
        batch.count += 1
        pendingCount += 1
        if batch.count >= batching.batchSize {
            lastFullBytes = batch.bytes.count
            full.append(batch)
        } else {
            current = batch
        }
    }

    /// A new batch's first bytes: JSON's document up to its spans (protobuf's wrappers need the
    /// spans' length, so they are written when the batch goes).
    private func openBatch() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(max(lastFullBytes + 64, wire == .json ? 64 * 1024 : 16 * 1024))
        if wire == .json { Self.openDocument(serviceName: serviceName, &bytes) }
        return bytes
    }

    package func run() async throws {
        // Only the wait between batches ends early on shutdown: a batch being sent is not
        // cancelled with it (that lost the spans in flight, up to a second's worth).
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.batching.interval) }
            await flush()
        }
        // Shutting down: what is left goes now.
        await flush()
        Spans.install(nil)
    }

    /// Sends everything pending, a batch at a time.
    package func flush() async {
        while true {
            let taken: Batch? = lock.withLock {
                let b: Batch?
                if !full.isEmpty {
                    b = full.removeFirst()
                } else {
                    b = current
                    current = nil
                }
                pendingCount -= b?.count ?? 0
                return b
            }
            guard var batch = taken, batch.count > 0 else { return }
            do {
                let body: [UInt8]
                if wire == .json {
                    Self.closeDocument(&batch.bytes)
                    body = batch.bytes
                } else {
                    body = Self.protobufDocument(spans: batch.bytes, serviceName: serviceName)
                }
                let type = wire == .json ? "application/json" : "application/x-protobuf"
                let response = try await transport(url.absoluteString, type, body)
                if !response.succeeded {
                    logger.warning("the trace collector refused spans", metadata: ["status": "\(response.status)", "spans": "\(batch.count)"])
                }
            } catch {
                logger.warning("the trace collector cannot be reached", metadata: ["error": "\(error)", "spans": "\(batch.count)"])
                return
            }
        }
    }

    /// OTLP/JSON's ExportTraceServiceRequest: ids in hex, times as decimal strings.
    package static func document(_ spans: [SpanRecord], serviceName: String) -> JSON {
        let rendered: [JSON] = spans.map { s in
            var o: JSONObject = ["traceId": .string(s.traceId.hex), "spanId": .string(s.spanId.hex), "name": .string(s.name), "kind": .int(Int64(s.kind.rawValue)),
                                 "startTimeUnixNano": .string(String(s.startNanos)), "endTimeUnixNano": .string(String(max(s.endNanos, s.startNanos))),
                                 "attributes": .array(s.attributes.map(attribute))]
            if let parent = s.parentSpanId { o["parentSpanId"] = .string(parent.hex) }
            o["status"] = s.error.map { ["code": 2, "message": .string($0)] } ?? ["code": 1]
            return .object(o)
        }
        return ["resourceSpans": [[
            "resource": ["attributes": .array([attribute(("service.name", .string(serviceName))),
                                               attribute(("service.version", .string(BatonRelease.version)))])],
            "scopeSpans": [["scope": ["name": "baton", "version": .string(BatonRelease.version)], "spans": .array(rendered)]],
        ]]]
    }

    /// The same document as `document`, written straight to bytes: no JSON tree is built for
    /// the tens of thousands of spans a busy second makes.
    package static func encode(_ spans: [SpanRecord], serviceName: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(spans.count * 400 + 256)
        openDocument(serviceName: serviceName, &out)
        for (i, s) in spans.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            encode(s, into: &out)
        }
        closeDocument(&out)
        return out
    }

    /// The document up to its first span.
    static func openDocument(serviceName: String, _ out: inout [UInt8]) {
        literal(#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"#, &out)
        string(serviceName, &out)
        literal(#"}},{"key":"service.version","value":{"stringValue":"#, &out)
        string(BatonRelease.version, &out)
        literal(#"}}]},"scopeSpans":[{"scope":{"name":"baton","version":"#, &out)
        string(BatonRelease.version, &out)
        literal(#"},"spans":["#, &out)
    }

    static func closeDocument(_ out: inout [UInt8]) {
        literal("]}]}]}", &out)
    }

    /// One span's object.
    static func encode(_ s: SpanRecord, into out: inout [UInt8]) {
        literal(#"{"traceId":""#, &out)
        s.traceId.writeHex(into: &out)
        literal(#"","spanId":""#, &out)
        s.spanId.writeHex(into: &out)
        out.append(UInt8(ascii: "\""))
        if let parent = s.parentSpanId {
            literal(#","parentSpanId":""#, &out)
            parent.writeHex(into: &out)
            out.append(UInt8(ascii: "\""))
        }
        literal(#","name":"#, &out)
        string(s.name, &out)
        literal(#","kind":"#, &out)
        decimal(Int64(s.kind.rawValue), &out)
        literal(#","startTimeUnixNano":""#, &out)
        decimal(s.startNanos, &out)
        literal(#"","endTimeUnixNano":""#, &out)
        decimal(max(s.endNanos, s.startNanos), &out)
        literal(#"","attributes":["#, &out)
        for (j, (key, value)) in s.attributes.enumerated() {
            if j > 0 { out.append(UInt8(ascii: ",")) }
            literal(#"{"key":"#, &out)
            string(key, &out)
            switch value {
            case .string(let v):
                literal(#","value":{"stringValue":"#, &out)
                string(v, &out)
            case .int(let v):
                literal(#","value":{"intValue":""#, &out)
                decimal(v, &out)
                out.append(UInt8(ascii: "\""))
            case .bool(let v): v ? literal(#","value":{"boolValue":true"#, &out) : literal(#","value":{"boolValue":false"#, &out)
            }
            literal("}}", &out)
        }
        literal(#"],"status":{"code":"#, &out)
        if let error = s.error {
            literal(#"2,"message":"#, &out)
            string(error, &out)
        } else {
            out.append(UInt8(ascii: "1"))
        }
        literal("}}", &out)
    }

    /// The wire's fixed text, copied whole (appending a String's UTF-8 view went byte by byte
    /// through a generic path: a quarter of a span's encoding).
    static func literal(_ s: StaticString, _ out: inout [UInt8]) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }


    /// A decimal integer, its digits written straight into `out` (no String made).
    static func decimal(_ v: Int64, _ out: inout [UInt8]) {
        if v < 0 { out.append(UInt8(ascii: "-")) }
        var m = v.magnitude
        // 20 digits at most, written from the end of a stack buffer.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var i = 20
            repeat {
                i -= 1
                digits[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: m % 10)
                m /= 10
            } while m > 0
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[i...]))
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped.
    static func string(_ s: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most names and values need no escape: copied whole, scanned as contiguous bytes.
        var text = s
        let plain = text.withUTF8 { bytes -> Bool in
            for b in bytes where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain {
            out.append(UInt8(ascii: "\""))
            return
        }
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0..<0x20: out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func attribute(_ pair: (String, SpanRecord.Value)) -> JSON {
        let value: JSON
        switch pair.1 {
        case .string(let s): value = ["stringValue": .string(s)]
        case .int(let i): value = ["intValue": .string(String(i))]
        case .bool(let b): value = ["boolValue": .bool(b)]
        }
        return ["key": .string(pair.0), "value": value]
    }
}
