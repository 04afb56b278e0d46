import Foundation
import Journal
import Telemetry

/// Tracing's cost without a collector: spans are made as `baton serve --otlp-endpoint` makes
/// them and encoded in the exporter's batches of 2,048 (OTLP JSON), then dropped, so a
/// benchmark measures the server's side of tracing alone.
final class SpanEncodingSink: @unchecked Sendable {
    // @unchecked Sendable: `pending` and `bytes` are touched only under `lock`.
    private let lock = NSLock()
    private var pending: [SpanRecord] = []
    private(set) var bytes = 0

    static func install() {
        let sink = SpanEncodingSink()
        Spans.install({ sink.add($0) })
    }

    func add(_ span: SpanRecord) {
        let batch: [SpanRecord]? = lock.withLock {
            pending.append(span)
            guard pending.count >= 2048 else { return nil }
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        if let batch {
            let encoded = SpanExporter.encode(batch, serviceName: "baton").count
            lock.withLock { bytes += encoded }
        }
    }
}
