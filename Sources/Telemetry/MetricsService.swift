import CoreMetrics
import Journal
import Prometheus
import ServiceKit
import StatesLanguage

/// `GET /metrics`: every metric in Prometheus's text format. swift-metrics is bootstrapped
/// with swift-prometheus's factory once, at start (`bootstrap`), and every target records
/// through swift-metrics' API.
///
/// Who may scrape: anyone when the endpoint does not require signatures (loopback, as the
/// rest of the API); otherwise a scraper sends `Authorization: Bearer TOKEN` with the token
/// given by `--metrics-token` (Prometheus's `authorization` setting), since scrapers do not
/// sign requests. Without a token configured, a signed endpoint's metrics stay closed.
package struct MetricsService: BatonService {
    let registry: PrometheusCollectorRegistry
    let token: String?

    package init(registry: PrometheusCollectorRegistry, token: String?) {
        self.registry = registry
        self.token = token
    }

    package var name: String { "metrics" }
    package var wireProtocol: WireProtocol { .restJSON }

    package var routes: [RESTRoute] {
        [RESTRoute("GET", "/metrics", action: "Metrics",
                   authentication: .ownScheme("a Prometheus scrape: open without signatures, else the --metrics-token bearer token"))]
    }

    package var actions: [String: Action] {
        let registry = self.registry, token = self.token
        return [
            "Metrics": { (call: ServiceCall) async throws -> ServiceReply in
                try Self.authorize(call, token: token)
                return ServiceReply(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                                    body: registry.emitToBuffer())
            },
        ]
    }

    static func authorize(_ call: ServiceCall, token: String?) throws(ServiceError) {
        // No signatures required: the front door set no session issuer.
        guard call.sessions != nil else { return }
        guard let token, let header = call.headers["authorization"], header.hasPrefix("Bearer ") else {
            throw ServiceError("MissingAuthenticationTokenException", "Scraping this endpoint's metrics needs the --metrics-token bearer token",
                               kind: .unauthenticated)
        }
        guard HMAC.constantTimeEqual(Array(header.dropFirst("Bearer ".count).utf8), Array(token.utf8)) else {
            throw ServiceError("UnrecognizedClientException", "The bearer token is not this endpoint's metrics token", kind: .unauthenticated)
        }
    }

    /// Installs the Prometheus factory as the process's metrics system and turns recording
    /// on; returns the registry `/metrics` reads. Once per process.
    package static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Journal commits and HTTP answers take well under a millisecond to a few: buckets from 100 µs.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(5),
        ]
        // ExecutionTime is in milliseconds, as AWS reports it: from a Pass chain to an hour's wait.
        factory.valueHistogramBuckets["ExecutionTime"] = [1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000,
                                                          300_000, 900_000, 3_600_000, 86_400_000]
        factory.valueHistogramBuckets["baton_journal_commit_steps"] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
        MetricsSystem.bootstrap(factory)
        MetricHandles.enabled = true
        return registry
    }
}
