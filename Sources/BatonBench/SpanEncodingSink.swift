import Foundation
import Journal
import Logging
import ServiceKit
import Telemetry

/// Tracing's cost without a collector: spans are made as `baton serve --otlp-endpoint` makes
/// them and go through the exporter itself (written into its OTLP batches as they arrive, on
/// the thread that made them; protobuf unless `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`), whose
/// batches are then dropped instead of sent, so a benchmark measures the server's side of
/// tracing alone.
enum SpanEncodingSink {
    static func install() {
        // The wire OpenTelemetry's variable names (`OTEL_EXPORTER_OTLP_PROTOCOL`), as `baton serve` reads it.
        let wire = SpanExporter.Wire(environment: ProcessInfo.processInfo.environment) ?? .protobuf
        guard let exporter = SpanExporter(endpoint: "http://127.0.0.1:9/", wire: wire, logger: Logger(label: "bench"),
                                          transport: { _, _, _ in OutboundHTTP.Response(status: 200, body: []) })
        else { return }
        exporter.install()
        // The batches are closed and dropped a few times a second, beside the measured thread.
        Task.detached {
            while true {
                try? await Task.sleep(for: .milliseconds(200))
                await exporter.flush()
            }
        }
    }
}
