import Engine
import Foundation
import Journal
import ServiceKit
import StatesLanguage

/// The web console at `/console`: a page and its scripts compiled into the binary (no build
/// step, no CDN, works offline), which read through the same APIs as any client (Step
/// Functions' JSON actions) plus the few views AWS's API has no action for: every state
/// machine's executions with filters, and one execution's history as it grows (server-sent
/// events). When the endpoint requires signatures, a person logs in with its access key and
/// secret and the console's calls carry a session cookie instead.
package struct ConsoleService: BatonService {
    let engine: Engine
    /// The services whose lists the console shows (their `browseViews`).
    let browsed: [any BatonService]

    package init(_ context: ServiceContext, browsing services: [any BatonService] = []) {
        engine = context.engine
        browsed = services
    }

    package init(engine: Engine, browsing services: [any BatonService] = []) {
        self.engine = engine
        browsed = services
    }

    package var name: String { "console" }
    package var wireProtocol: WireProtocol { .restJSON }

    static let assetsReason = "the console's page, scripts and styles: the same for everyone, no data"

    package var routes: [RESTRoute] {
        [
            RESTRoute("GET", "/console", action: "ConsolePage", authentication: .open(Self.assetsReason)),
            RESTRoute("GET", "/console/assets/{name}", action: "ConsoleAsset", authentication: .open(Self.assetsReason)),
            RESTRoute("POST", "/console/login", action: "ConsoleLogin",
                      authentication: .ownScheme("the console's login: the endpoint's access key and secret, checked by the console"),
                      maximumBodyBytes: 4096),
            RESTRoute("POST", "/console/logout", action: "ConsoleLogout",
                      authentication: .open("clears the console's cookie: reveals nothing, changes nothing stored"), maximumBodyBytes: 0),
            RESTRoute("GET", "/console/api/session", action: "ConsoleSession", authentication: .sigV4OrSession),
            RESTRoute("GET", "/console/api/executions", action: "ConsoleExecutions", authentication: .sigV4OrSession),
            RESTRoute("GET", "/console/api/watch", action: "ConsoleWatch", authentication: .sigV4OrSession),
            RESTRoute("GET", "/console/api/browse", action: "ConsoleBrowseIndex", authentication: .sigV4OrSession),
            RESTRoute("GET", "/console/api/browse/{service}/{view}", action: "ConsoleBrowse", authentication: .sigV4OrSession),
        ]
    }

    package var actions: [String: Action] {
        let engine = self.engine
        let browser = Browser(services: browsed)
        return [
            "ConsoleBrowseIndex": { (_: ServiceCall) async throws -> ServiceReply in .json(browser.index()) },
            "ConsoleBrowse": { (call: ServiceCall) async throws -> ServiceReply in
                .json(try await browser.view(service: call.parameters["service"] ?? "", index: call.parameters["view"] ?? ""))
            },
            "ConsolePage": { (_: ServiceCall) async throws -> ServiceReply in Self.asset("index.html") ?? ServiceReply(status: 404) },
            "ConsoleAsset": { (call: ServiceCall) async throws -> ServiceReply in
                guard let reply = Self.asset(call.parameters["name"] ?? "") else {
                    throw ServiceError("ResourceNotFoundException", "No console asset \(call.parameters["name"] ?? "")", kind: .notFound)
                }
                return reply
            },
            "ConsoleLogin": { (call: ServiceCall) async throws -> ServiceReply in try Self.login(call) },
            "ConsoleLogout": { (_: ServiceCall) async throws -> ServiceReply in
                .json(["loggedOut": true], headers: [("Set-Cookie", ConsoleSessions.clearCookie)])
            },
            "ConsoleSession": { (call: ServiceCall) async throws -> ServiceReply in
                .json(["authenticated": true, "signatureRequired": .bool(call.sessions != nil)])
            },
            "ConsoleExecutions": { (call: ServiceCall) async throws -> ServiceReply in
                .json(try await ExecutionList(journal: engine.journal).page(call.query))
            },
            "ConsoleWatch": { (call: ServiceCall) async throws -> ServiceReply in
                try await HistoryStream(engine: engine).reply(call.query)
            },
        ]
    }

    /// A login: the endpoint's key and secret in, a session cookie out. Without signatures
    /// required there is nothing to prove, and no cookie.
    static func login(_ call: ServiceCall) throws(ServiceError) -> ServiceReply {
        guard let sessions = call.sessions else { return .json(["authenticated": true, "signatureRequired": false]) }
        let body = try call.jsonObject()
        guard case .string(let id)? = body["accessKeyId"], case .string(let secret)? = body["secretAccessKey"] else {
            throw ServiceError.validation("accessKeyId and secretAccessKey are required")
        }
        guard let cookie = sessions.issue(accessKeyId: id, secretAccessKey: secret, now: sessions.now()) else {
            throw ServiceError("UnrecognizedClientException", "The access key or the secret is not the endpoint's", kind: .unauthenticated)
        }
        return .json(["authenticated": true, "signatureRequired": true], headers: [("Set-Cookie", ConsoleSessions.setCookie(cookie))])
    }

    /// The assets by file name, with their types.
    static func asset(_ name: String) -> ServiceReply? {
        let types = ["html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"]
        guard let bytes = ConsoleAssets.files[name], let ext = name.split(separator: ".").last, let type = types[String(ext)] else { return nil }
        // The page may not be framed (clickjacking), and runs only its own scripts.
        return ServiceReply(status: 200, headers: [
            ("Content-Type", type), ("Cache-Control", "no-cache"), ("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'"),
        ], body: bytes)
    }
}
