import Journal
import ServiceKit
import StatesLanguage

/// The query protocol: `Action=…` with form-encoded parameters (in the body of a POST, or the
/// query string of a GET), XML answers. The action is the service's own JSON action: the
/// parameters become its JSON input through the service's query model, and its JSON output
/// becomes XML through the same model, so each action is written once for both protocols.
extension FrontDoor {
    func performQuery(_ request: Incoming, requestId id: String, trace: TraceContext? = nil) async -> Outgoing {
        var parameters = FormParameters.parse(request.query)
        if request.method == "POST", !request.body.isEmpty {
            for (k, v) in FormParameters.parse(String(decoding: request.body, as: UTF8.self)) { parameters[k] = v }
        }
        let host = request.header("host") ?? "localhost"
        let target = queryService(for: request, parameters)
        guard let q = target else {
            return renderQuery(ServiceError("InvalidAction", "The action \(parameters["Action"] ?? "") is not valid for this endpoint."), nil, id)
        }
        guard let action = parameters["Action"], !action.isEmpty else {
            return renderQuery(ServiceError("MissingAction", "The request must contain the parameter Action."), q, id)
        }
        guard q.query.model.hasOperation(action), let handler = q.actions[action] else {
            return renderQuery(ServiceError("InvalidAction", "The action \(action) is not valid for this endpoint."), q, id)
        }
        if let implied = q.query.pathParameters(request.path, host) {
            for (k, v) in implied where parameters[k] == nil { parameters[k] = v }
        }
        let input = q.query.model.input(action, parameters)
        var headers: [String: String] = [:]
        headers.reserveCapacity(request.headers.count + (trace == nil ? 0 : 2))
        for (k, v) in request.headers { headers[k] = v }
        let handed = Self.hand(trace, into: &headers)
        var call = ServiceCall(action: action, method: "POST", path: request.path, headers: headers,
                               body: JSON.object(input).serializedBytes, requestId: id)
        call.trace = handed
        var out: Outgoing
        do {
            let reply = try await handler(call)
            let output = reply.body.isEmpty ? JSON.object([:]) : ((try? JSONParser.parse(reply.body)) ?? .object([:]))
            if request.header("accept")?.contains("application/json") == true {
                // The query protocol's JSON rendering (what AWS answers an `Accept: application/json`):
                // the XML's envelope, the result's members named with a lower-case initial.
                var result = JSONObject()
                for (k, v) in output.objectValue ?? [:] { result[k.prefix(1).lowercased() + k.dropFirst()] = v }
                let body: JSON = [
                    "\(action)Response": ["\(action)Result": .object(result), "ResponseMetadata": ["RequestId": .string(id)]],
                ]
                out = Outgoing(status: 200, headers: [("Content-Type", "application/json"), ("x-amzn-RequestId", id)], body: body.serializedBytes)
            } else {
                out = Outgoing(status: 200, headers: [("Content-Type", "text/xml"), ("x-amzn-RequestId", id)],
                               body: q.query.model.answer(action, output, requestId: id))
            }
        } catch let error as ServiceError {
            out = renderQuery(error, q, id)
        } catch {
            out = renderQuery(ServiceError.internalFailure("\(error)"), q, id)
        }
        out.served = (q.service.name, action)
        return out
    }

    /// The service a query request is for: the signature's credential scope names it; an
    /// unsigned request is placed by its `Version`, then by its path, then by its action.
    func queryService(for request: Incoming, _ parameters: [String: String]) -> QueryService? {
        if let scope = Self.signingName(request, parameters), let q = queryServices.first(where: { $0.query.signingName == scope }) {
            return q
        }
        if let version = parameters["Version"], let q = queryServices.first(where: { $0.query.model.version == version }) { return q }
        if let q = queryServices.first(where: { $0.query.pathParameters(request.path, "") != nil }) { return q }
        if let action = parameters["Action"], let q = queryServices.first(where: { $0.query.model.hasOperation(action) }) { return q }
        return nil
    }

    /// The service of `Credential=AKID/DATE/REGION/SERVICE/aws4_request` (header or presigned query).
    static func signingName(_ request: Incoming, _ parameters: [String: String]) -> String? {
        let credential: Substring
        if let auth = request.header("authorization"), let r = auth.range(of: "Credential=") {
            credential = auth[r.upperBound...].prefix { $0 != "," && $0 != " " }
        } else if let c = parameters["X-Amz-Credential"] {
            credential = Substring(c)
        } else {
            return nil
        }
        let parts = credential.split(separator: "/")
        return parts.count >= 5 ? String(parts[3]) : nil
    }

    func renderQuery(_ error: ServiceError, _ q: QueryService?, _ id: String) -> Outgoing {
        let mapped: (code: String, status: Int?) = q?.query.model.queryError(error.code) ?? (error.code, nil)
        let status = mapped.status ?? error.status(in: .query(service: ""))
        let type = error.kind == .server || error.kind == .unavailable ? "Receiver" : "Sender"
        let body: [UInt8]
        if let q {
            body = q.query.model.error(type: type, code: mapped.code, message: error.message, requestId: id, detail: q.query.errorDetail)
        } else {
            var x = XMLWriter()
            x.raw("<?xml version=\"1.0\"?><ErrorResponse><Error><Type>\(type)</Type>")
            x.element("Code", mapped.code)
            x.element("Message", error.message)
            x.raw("</Error>")
            x.element("RequestId", id)
            x.raw("</ErrorResponse>")
            body = x.bytes
        }
        return Outgoing(status: status, headers: [("Content-Type", "text/xml"), ("x-amzn-RequestId", id)], body: body)
    }
}
