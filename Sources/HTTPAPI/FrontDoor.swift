import Foundation
import Journal
import Logging
import ServiceKit
import StatesLanguage

/// The one endpoint's routing table, built from the services list: `POST /` by
/// `X-Amz-Target` prefix, everything else by method and path. Signature checking happens here,
/// before any service sees a request, for every route but those whose declaration names their
/// own scheme; so a route added later cannot forget it.
package struct FrontDoor: Sendable {
    /// A request as it arrived (header names lower-cased, path and query still percent-encoded).
    package struct Incoming: Sendable {
        package var method: String
        package var path: String
        package var query: String
        package var headers: [(String, String)]
        package var body: [UInt8]
        /// The body as it arrives, for a destination that streams (S3's objects).
        package var bodyStream: BodyStream?

        package init(method: String, path: String, query: String = "", headers: [(String, String)] = [], body: [UInt8] = []) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
        }

        package func header(_ name: String) -> String? { headers.first { $0.0 == name }?.1 }
    }

    /// Where a request goes: the service, its action, its protocol, and what it may carry.
    package struct Destination: Sendable {
        package var service: any BatonService
        package var action: String
        package var wireProtocol: WireProtocol
        package var parameters: [String: String]
        package var authentication: Authentication
        package var maximumBodyBytes: Int
        var handler: Action?
        /// The body is handed to the service as it arrives, not read whole first.
        package var streamsBody = false
    }

    /// What goes back: a status picked here, once per protocol.
    package struct Outgoing: Sendable {
        package var status: Int
        package var headers: [(String, String)]
        package var body: [UInt8]
        /// A body sent from a file instead of `body`.
        package var file: FileBody?
        /// Sent with `Transfer-Encoding: chunked` rather than a length (S3's refused preflight).
        package var chunked = false
        /// A body produced as it is sent (the console's server-sent events).
        package var stream: ReplyStream?
        /// The service and action a query-protocol request turned out to be (its destination
        /// knew only the protocol): what metrics, spans and the log name it by.
        package var served: (service: String, action: String)?

        package func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    struct JSONService: Sendable {
        var service: any BatonService
        var version: String
        var actions: [String: Action]
    }

    struct QueryService: Sendable {
        var service: any BatonService
        var query: QueryProtocol
        var actions: [String: Action]
    }

    struct Route: Sendable {
        var route: RESTRoute
        var service: any BatonService
        var handler: Action?
    }

    /// AWS's request size limit for JSON protocol calls is about 1 MiB; a little more is let through
    /// so that the service, not the transport, names the member that is too large.
    package static let maximumJSONBodyBytes = 1024 * 1024 + 512 * 1024

    let byTarget: [String: JSONService]
    let rest: RESTRouteTable
    let queryServices: [QueryService]
    /// The REST-XML object store (S3), which takes what names a bucket by host, or is signed
    /// (or presigned) for S3.
    let objects: (service: any BatonService, handler: Action?)?
    /// A query request's form body may spell a 1 MiB message with every byte escaped.
    package static let maximumQueryBodyBytes = 8 * 1024 * 1024
    package let verifier: SigV4Verifier?
    let clock: @Sendable () -> Timestamp
    package let requestIds: @Sendable () -> String
    let logger: Logger

    /// `readiness`: nil when the node can serve (its journal answers), else why not (`/health/ready`).
    package init(services: [any BatonService], verifier: SigV4Verifier?, clock: @escaping @Sendable () -> Timestamp,
                 requestIds: @escaping @Sendable () -> String = { UUIDText.random() }, logger: Logger = Logger(label: "baton.http"),
                 readiness: @escaping @Sendable () async -> String? = { nil }) {
        self.logger = logger
        var byTarget: [String: JSONService] = [:]
        var rest: [Route] = []
        var queryServices: [QueryService] = []
        var objects: (service: any BatonService, handler: Action?)? = nil
        for service in services + [EndpointInfoService(serviceNames: services.map(\.name), readiness: readiness)] {
            let actions = service.actions
            switch service.wireProtocol {
            case .json(let prefix, let version):
                byTarget[prefix] = JSONService(service: service, version: version, actions: actions)
            case .restJSON, .query:
                break
            case .restXML:
                objects = (service, actions[Self.objectAction])
            }
            if let q = service.queryProtocol { queryServices.append(QueryService(service: service, query: q, actions: actions)) }
            for route in service.routes { rest.append(Route(route: route, service: service, handler: actions[route.action])) }
        }
        self.byTarget = byTarget
        self.rest = RESTRouteTable(rest)
        self.queryServices = queryServices
        self.objects = objects
        self.verifier = verifier
        self.clock = clock
        self.requestIds = requestIds
    }

    /// Every route and action, as (method, example path, X-Amz-Target or nil, authentication):
    /// what a test walks to prove that each one refuses an unsigned request.
    package var everyEntry: [(method: String, path: String, target: String?, authentication: Authentication, host: String?)] {
        var out: [(String, String, String?, Authentication, String?)] = []
        for (prefix, s) in byTarget.sorted(by: { $0.key < $1.key }) {
            for action in s.actions.keys.sorted() { out.append(("POST", "/", "\(prefix).\(action)", .sigV4, nil)) }
        }
        for r in rest.routes { out.append((r.route.method, r.route.path.example, nil, r.route.authentication, nil)) }
        for q in queryServices {
            for action in q.actions.keys.sorted() where q.query.model.hasOperation(action) {
                out.append(("GET", "/?Action=\(action)&Version=\(q.query.model.version)", nil, .sigV4, nil))
            }
        }
        if objects != nil {
            // Addressed by host (`BUCKET.s3.…`): a path-style request is S3's by its signature.
            for (method, path) in [("GET", "/"), ("PUT", "/"), ("GET", "/key"), ("PUT", "/key"), ("DELETE", "/key"), ("POST", "/?delete")] {
                out.append((method, path, nil, .sigV4, "bucket.s3.localhost"))
            }
        }
        return out.map { (method: $0.0, path: $0.1, target: $0.2, authentication: $0.3, host: $0.4) }
    }

    /// Finds the destination from the request line and headers alone, so the body is read
    /// only up to the destination's limit.
    package func destination(method: String, path: String, target: String?, query: String = "",
                             headers: [(String, String)] = []) -> Destination? {
        let hostHeader = headers.first { $0.0 == "host" }?.1 ?? ""
        let host = hostHeader.firstIndex(of: ":").map { String(hostHeader[..<$0]) } ?? hostHeader
        if target == nil, let objects, let bucket = Self.websiteBucket(host) {
            return websiteDestination(objects, bucket: bucket, path: path)
        }
        if target == nil, let objects, let bucket = Self.objectAddress(path: path, query: query, headers: headers) {
            return objectDestination(objects, bucket: bucket, method: method, headers: headers)
        }
        if target == nil, let objects, method == "OPTIONS" || Self.isFormUpload(method: method, headers: headers) {
            // A browser's CORS preflight or form upload: only S3 takes them, path-style included.
            return objectDestination(objects, bucket: Self.pathStyle(path), method: method, headers: headers)
        }
        if method == "POST", let target, path == "/" || path.isEmpty || isQueryResource(path) {
            let (prefix, action) = Self.split(target)
            guard let s = byTarget[prefix] else { return nil }
            return Destination(service: s.service, action: action, wireProtocol: .json(targetPrefix: prefix, version: s.version),
                               parameters: [:], authentication: .sigV4, maximumBodyBytes: s.service.maximumRequestBytes ?? Self.maximumJSONBodyBytes,
                               handler: s.actions[action])
        }
        if let first = queryServices.first, target == nil, method == "POST" || method == "GET",
           (method == "POST" && (path == "/" || path.isEmpty)) || query.hasPrefix("Action=") || query.contains("&Action=") || isQueryResource(path) {
            return Destination(service: first.service, action: "", wireProtocol: .query(service: ""), parameters: [:],
                               authentication: .sigV4, maximumBodyBytes: Self.maximumQueryBodyBytes, handler: nil)
        }
        guard let (r, parameters) = rest.match(method: method, path: path) else { return nil }
        // A query-protocol service's own REST routes (SNS's email outbox) answer in JSON.
        var wire = r.service.wireProtocol
        if case .query = wire { wire = .restJSON }
        return Destination(service: r.service, action: r.route.action, wireProtocol: wire, parameters: parameters,
                           authentication: r.route.authentication, maximumBodyBytes: r.route.maximumBodyBytes, handler: r.handler)
    }

    /// A path one of the query services names as its resource (a queue URL's path).
    func isQueryResource(_ path: String) -> Bool {
        queryServices.contains { $0.query.pathParameters(path, "") != nil }
    }

    static func split(_ target: String) -> (String, String) {
        guard let dot = target.lastIndex(of: ".") else { return (target, "") }
        return (String(target[..<dot]), String(target[target.index(after: dot)...]))
    }

    /// The whole exchange: authenticate, dispatch, render. Never throws: every failure is an answer.
    package func handle(_ request: Incoming) async -> Outgoing {
        let id = requestIds()
        let target = request.header("x-amz-target")
        guard let destination = destination(method: request.method, path: request.path, target: target, query: request.query,
                                            headers: request.headers) else {
            // Unknown routes are refused the same way whether or not the caller signed.
            if request.method == "POST", request.path == "/" || request.path.isEmpty {
                return render(ServiceError("UnknownOperationException", "Unknown target '\(target ?? "")'"), .json(targetPrefix: "", version: "1.0"), id)
            }
            return render(ServiceError("UnknownOperationException", "No route for \(request.method) \(request.path)", kind: .notFound), .restJSON, id)
        }
        return await handle(request, at: destination, requestId: id)
    }

    package func handle(_ request: Incoming, at destination: Destination, requestId id: String) async -> Outgoing {
        let began = MetricHandles.enabled ? ContinuousClock.now : nil
        // Traced: the request is a server span, child of the caller's trace (W3C or X-Ray
        // header) or the root of a new one; the service sees this span as its caller.
        var span: (context: TraceContext, parent: SpanId?, start: Int64)?
        if Spans.enabled {
            let incoming = request.header("traceparent").flatMap { TraceContext(traceparent: $0) }
                ?? request.header("x-amzn-trace-id").flatMap { TraceContext(xray: $0) }
            let traceId = incoming?.traceId ?? Spans.newTraceId()
            // Not sampled: no span, but what the request starts still carries the decision.
            let context = TraceContext(traceId: traceId, parentId: Spans.newSpanId(), sampled: Spans.sampled(incoming, traceId: traceId))
            span = (context, incoming?.parentId, Spans.nowNanos())
        }
        // `baton_http_requests_in_flight{service}`: requests being answered now (long polls among them).
        let inFlight = began == nil ? nil : RequestMetrics.shared.inFlight(service: destination.service.name)
        inFlight?.increment()
        let out = await perform(request, at: destination, requestId: id, trace: span?.context)
        inFlight?.decrement()
        let (service, action) = out.served ?? (destination.service.name, destination.action.isEmpty ? request.method : destination.action)
        if let span, span.context.sampled, let spanId = span.context.parentId {
            Spans.emit(SpanRecord(traceId: span.context.traceId, spanId: spanId, parentSpanId: span.parent, name: "\(service).\(action)",
                                  kind: .server, startNanos: span.start, endNanos: Spans.nowNanos(),
                                  attributes: [("rpc.system", .string("aws-api")), ("rpc.service", .string(service)),
                                               ("rpc.method", .string(action)), ("http.request.method", .string(request.method)),
                                               ("http.response.status_code", .int(Int64(out.status))), ("aws.request_id", .string(id))],
                                  error: out.status >= 500 ? "HTTP \(out.status)" : nil))
        }
        if let began {
            // Requests by service, action and status, and their time to the answer (a streamed
            // body's time is its first byte's).
            let handles = RequestMetrics.shared.action(service: service, action: action)
            handles.requests(status: out.status).increment()
            handles.duration.record(elapsed: ContinuousClock.now - began)
        }
        // One structured line per request; bodies (secrets among them) are never logged. The
        // metadata is built only for a line that is written (the level is checked first).
        func metadata() -> Logger.Metadata {
            ["request-id": "\(id)", "service": "\(service)", "action": "\(action)", "status": "\(out.status)"]
        }
        if out.status >= 500 {
            logger.error("request failed", metadata: metadata())
        } else {
            logger.debug("request", metadata: metadata())
        }
        return out
    }

    func perform(_ request: Incoming, at destination: Destination, requestId id: String, trace: TraceContext? = nil) async -> Outgoing {
        if destination.authentication == .sigV4 || destination.authentication == .sigV4OrSession, let verifier,
           !hasSession(request, at: destination, verifier) {
            var signed = SigV4Verifier.SignedRequest(method: request.method, path: request.path, query: request.query,
                                                     headers: request.headers, body: request.body)
            signed.bodyStreamed = destination.streamsBody
            if let failure = verifier.verify(signed, now: clock()) { return render(failure, destination.wireProtocol, id) }
        }
        if request.body.count > destination.maximumBodyBytes {
            return render(ServiceError("RequestEntityTooLargeException", "Request body is larger than \(destination.maximumBodyBytes) bytes",
                                       kind: .tooLarge), destination.wireProtocol, id)
        }
        if case .query = destination.wireProtocol { return await performQuery(request, requestId: id, trace: trace) }
        guard let handler = destination.handler else {
            return render(ServiceError.unknownOperation(destination.action), destination.wireProtocol, id)
        }
        var headers: [String: String] = [:]
        // Room for the two trace headers too: growing the table rehashed every header.
        headers.reserveCapacity(request.headers.count + (trace == nil ? 0 : 2))
        for (k, v) in request.headers { headers[k] = v }
        // Past the signature check, which covered the caller's own headers.
        let handed = Self.hand(trace, into: &headers)
        var query: [String: String] = [:]
        var queryValues: [String: [String]] = [:]
        for (k, v) in SigV4Verifier.queryPairs(request.query) {
            let value = v.replacingOccurrences(of: "+", with: " ").percentDecoded
            query[k.percentDecoded] = value
            queryValues[k.percentDecoded, default: []].append(value)
        }
        var call = ServiceCall(action: destination.action, method: request.method, path: request.path, parameters: destination.parameters,
                               query: query, headers: headers, body: request.body, requestId: id)
        call.queryValues = queryValues
        call.trace = handed
        call.bodyStream = request.bodyStream
        if let verifier { call.sessions = ConsoleSessions(accessKeyId: verifier.accessKeyId, secretAccessKey: verifier.secretAccessKey, now: clock) }
        if destination.authentication == Self.formUpload, let verifier {
            let clock = self.clock
            call.verifyForm = { fields in verifier.verifyForm(fields, now: clock()) }
        }
        do {
            let reply = try await handler(call)
            return render(reply, destination.wireProtocol, id)
        } catch let error as ServiceError {
            var out = render(error, destination.wireProtocol, id, messageMember: destination.service.errorMessageMember)
            // S3 streams a refused CORS preflight's error document (no Content-Length).
            if destination.wireProtocol == .restXML, request.method == "OPTIONS" { out.chunked = true }
            if case .json = destination.wireProtocol, let q = destination.service.queryProtocol, q.queryCompatibleJSON {
                let (code, status) = q.model.queryError(error.code)
                if let status { out.status = status }
                out.headers.append(("x-amzn-query-error", "\(code);\(error.kind == .server ? "Receiver" : "Sender")"))
            }
            return out
        } catch {
            return render(ServiceError.internalFailure("\(error)"), destination.wireProtocol, id)
        }
    }

    /// The request's span becomes the caller the service sees (what it starts is the span's child).
    /// Tells the X-Ray spelling it wrote, for `ServiceCall.trace`.
    @discardableResult
    static func hand(_ trace: TraceContext?, into headers: inout [String: String]) -> String? {
        guard let trace else { return nil }
        let xray = trace.xray
        headers["x-amzn-trace-id"] = xray
        headers["traceparent"] = trace.traceparent
        return xray
    }

    /// A console session stands in for a signature on the routes that take one, and on JSON
    /// protocol calls: those carry `X-Amz-Target`, a header no other site's page may send
    /// here without a CORS preflight, which this endpoint never grants for them; and the
    /// cookie is SameSite=Strict besides.
    func hasSession(_ request: Incoming, at destination: Destination, _ verifier: SigV4Verifier) -> Bool {
        let json: Bool
        if case .json = destination.wireProtocol { json = request.header("x-amz-target") != nil } else { json = false }
        guard destination.authentication == .sigV4OrSession || json,
              let cookie = ConsoleSessions.cookie(in: request.header("cookie")) else { return false }
        return ConsoleSessions(accessKeyId: verifier.accessKeyId, secretAccessKey: verifier.secretAccessKey, now: clock).isValid(cookie, now: clock())
    }

    func render(_ reply: ServiceReply, _ wire: WireProtocol, _ id: String) -> Outgoing {
        var headers = reply.headers
        if case .json(_, let version) = wire, !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            headers.append(("Content-Type", "application/x-amz-json-\(version)"))
        }
        if case .restXML = wire {
            headers.append(("x-amz-request-id", id))
            headers.append(("x-amz-id-2", ServiceReply.hostId(id)))
            var out = Outgoing(status: reply.status, headers: headers, body: reply.body, file: reply.file)
            out.stream = reply.stream
            return out
        }
        if !headers.contains(where: { $0.0.lowercased() == "x-amzn-requestid" }) { headers.append(("x-amzn-RequestId", id)) }
        var out = Outgoing(status: reply.status, headers: headers, body: reply.body)
        out.stream = reply.stream
        return out
    }

    /// The one place an error becomes a status, per protocol.
    package func render(_ error: ServiceError, _ wire: WireProtocol, _ id: String, messageMember: String = "message") -> Outgoing {
        var fields: JSONObject = ["__type": .string(error.code)]
        fields[messageMember] = .string(error.message)
        for (k, v) in error.details ?? [:] { fields[k] = v }
        let body = JSON.object(fields)
        switch wire {
        case .json(_, let version):
            return Outgoing(status: error.status(in: wire),
                            headers: [("Content-Type", "application/x-amz-json-\(version == "" ? "1.0" : version)"), ("x-amzn-RequestId", id)],
                            body: body.serializedBytes)
        case .query(let name):
            let q = queryServices.first { $0.service.name == name } ?? queryServices.first
            return renderQuery(error, q, id)
        case .restXML:
            return renderXML(error, id)
        case .restJSON:
            var b: JSONObject = ["Type": .string(error.kind == .server ? "Service" : "User"), "Message": .string(error.message)]
            b["__type"] = .string(error.code)
            b["message"] = .string(error.message)
            return Outgoing(status: error.restStatus,
                            headers: [("Content-Type", "application/json"), ("x-amzn-ErrorType", error.code), ("x-amzn-RequestId", id)],
                            body: JSON.object(b).serializedBytes)
        }
    }
}
