import Foundation
import Journal
import Logging
import ServiceKit
import ServiceLifecycle
import StatesLanguage
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends finished spans to an OpenTelemetry collector: OTLP over HTTP with the JSON encoding
/// (`POST <endpoint>/v1/traces`), in batches of up to 512 every half second, the last batch on
/// shutdown. A collector that is down loses spans, never the server's work: at most 16,384 wait,
/// and the oldest are dropped first.
///
/// Not swift-otel: a durable execution outlives the process that started it, so its span's id
/// is derived from the journal and its span is sent when it ends, spanning a restart; a tracer
/// that makes its own ids and keeps open spans in memory cannot say that. The wire format is
/// OTLP's own, which any collector reads.
package final class SpanExporter: ServiceLifecycle.Service, @unchecked Sendable {
    // @unchecked Sendable: `pending` is touched only under `lock`.
    let url: URL
    let serviceName: String
    let logger: Logger
    private let lock = NSLock()
    private var pending: [SpanRecord] = []
    private var dropped = 0

    static let batchSize = 512
    static let maximumPending = 16_384

    package init?(endpoint: String, serviceName: String = "baton", logger: Logger) {
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base.hasSuffix("/v1/traces") ? base : base + "/v1/traces"), url.scheme?.hasPrefix("http") == true else {
            return nil
        }
        self.url = url
        self.serviceName = serviceName
        self.logger = logger
    }

    /// Makes this the process's span sink.
    package func install() {
        Spans.install { [weak self] span in self?.add(span) }
    }

    func add(_ span: SpanRecord) {
        lock.withLock {
            pending.append(span)
            if pending.count > Self.maximumPending {
                pending.removeFirst(pending.count - Self.maximumPending)
                dropped += 1
            }
        }
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 500_000_000)
                await self.flush()
            }
        }
        // Shutting down: what is left goes now.
        await flush()
        Spans.install(nil)
    }

    /// Sends everything pending, a batch at a time.
    package func flush() async {
        while true {
            let batch: [SpanRecord] = lock.withLock {
                let n = min(pending.count, Self.batchSize)
                let b = Array(pending.prefix(n))
                pending.removeFirst(n)
                return b
            }
            if batch.isEmpty { return }
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(Self.document(batch, serviceName: serviceName).serializedBytes)
            request.timeoutInterval = 10
            do {
                let (_, response) = try await URLSession.shared.data(for: request)
                if let status = (response as? HTTPURLResponse)?.statusCode, !(200..<300).contains(status) {
                    logger.warning("the trace collector refused spans", metadata: ["status": "\(status)", "spans": "\(batch.count)"])
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
            var o: JSONObject = ["traceId": .string(s.traceId), "spanId": .string(s.spanId), "name": .string(s.name), "kind": .int(Int64(s.kind.rawValue)),
                                 "startTimeUnixNano": .string(String(s.startNanos)), "endTimeUnixNano": .string(String(max(s.endNanos, s.startNanos))),
                                 "attributes": .array(s.attributes.map(attribute))]
            if let parent = s.parentSpanId { o["parentSpanId"] = .string(parent) }
            o["status"] = s.error.map { ["code": 2, "message": .string($0)] } ?? ["code": 1]
            return .object(o)
        }
        return ["resourceSpans": [[
            "resource": ["attributes": .array([attribute(("service.name", .string(serviceName))),
                                               attribute(("service.version", .string(BatonRelease.version)))])],
            "scopeSpans": [["scope": ["name": "baton", "version": .string(BatonRelease.version)], "spans": .array(rendered)]],
        ]]]
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
