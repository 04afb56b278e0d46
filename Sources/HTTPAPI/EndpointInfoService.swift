import ServiceKit
import StatesLanguage

/// What the endpoint itself answers, beside its AWS services: `GET /health` for probes, and
/// `GET /` for a person who opens the endpoint in a browser. The front door adds it; the
/// routes are open (they reveal nothing but that Baton runs, and change nothing).
///
/// Probes as Kubernetes and load balancers use them: `/health/live` answers while the process
/// serves requests at all (restart it when not); `/health/ready` answers 200 only when the
/// node can do work, its journal answering a read (take it out of rotation when 503).
struct EndpointInfoService: BatonService {
    let serviceNames: [String]
    var readiness: @Sendable () async -> String? = { nil }

    var name: String { "endpoint" }
    var wireProtocol: WireProtocol { .restJSON }

    var routes: [RESTRoute] {
        [
            RESTRoute("GET", "/health", action: "Health", authentication: .open("a liveness probe")),
            RESTRoute("GET", "/health/live", action: "Live", authentication: .open("a liveness probe")),
            RESTRoute("GET", "/health/ready", action: "Ready", authentication: .open("a readiness probe")),
            RESTRoute("GET", "/", action: "LandingPage", authentication: .open("a pointer to the documentation")),
        ]
    }

    var actions: [String: Action] {
        let names = serviceNames
        let readiness = self.readiness
        return [
            "Live": { (_: ServiceCall) async throws -> ServiceReply in .json(["status": "live"]) },
            "Ready": { (_: ServiceCall) async throws -> ServiceReply in
                guard let problem = await readiness() else { return .json(["status": "ready"]) }
                return .json(["status": "not ready", "reason": .string(problem)], status: 503)
            },
            "Health": { (_: ServiceCall) async throws -> ServiceReply in
                .json(["status": "ok", "version": .string(BatonRelease.version), "services": .array(names.map { .string($0) })])
            },
            "LandingPage": { (_: ServiceCall) async throws -> ServiceReply in
                ServiceReply(status: 200, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(Self.page(names).utf8))
            },
        ]
    }

    static func page(_ names: [String]) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Baton</title></head>
        <body style="font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.5">
        <h1>Baton \(BatonRelease.version)</h1>
        <p>This is an AWS-compatible endpoint (\(names.joined(separator: ", "))). Point an AWS SDK or the aws CLI at
        this address, for example <code>aws --endpoint-url http://127.0.0.1:8083 stepfunctions list-state-machines</code>.</p>
        <p>The README in Baton's repository has the quick start; <code>GET /health</code> answers probes.</p>
        </body></html>

        """
    }
}
