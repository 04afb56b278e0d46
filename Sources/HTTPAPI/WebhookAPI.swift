import HTTPTypes
import Hummingbird
import HummingbirdCore
import StatesLanguage
import Webhooks

/// Webhooks on the one endpoint: the receiver (`POST /webhooks/{name}`, authenticated by the
/// webhook's own signature scheme, never by SigV4: third parties call it) and Baton's admin
/// API under `/baton/webhooks` (SigV4 when the server requires it).
package enum WebhookAPI {
    /// Senders' payloads are small; AWS's own payload limit is 256 KiB.
    static let maximumDeliveryBytes = 1024 * 1024

    static func json(_ value: JSON, status: Int = 200) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: HTTPResponse.Status(code: status), headers: headers,
                        body: .init(byteBuffer: ByteBuffer(string: value.serialized)))
    }

    static func error(_ e: WebhookError) -> Response {
        var r = json(["__type": .string(e.code), "message": .string(e.message)], status: e.status)
        r.headers[LambdaAPI.errorType] = e.code
        return r
    }

    static func headers(_ request: HummingbirdCore.Request) -> [String: String] {
        var out: [String: String] = [:]
        for field in request.headers { out[field.name.canonicalName] = field.value }
        return out
    }

    static func query(_ request: HummingbirdCore.Request) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in request.uri.queryParameters { out[String(k)] = String(v).removingPercentEncoding ?? String(v) }
        return out
    }

    static func raw(_ request: inout HummingbirdCore.Request) async -> [UInt8] {
        guard let buffer = try? await request.collectBody(upTo: maximumDeliveryBytes) else { return [] }
        return Array(buffer.readableBytesView)
    }

    /// The admin body: a JSON object, or a ValidationException.
    static func object(_ bytes: [UInt8]) throws(WebhookError) -> JSONObject {
        guard case .object(let o)? = try? JSONParser.parse(bytes) else {
            throw WebhookError("ValidationException", "The request body must be a JSON object")
        }
        return o
    }

    static func admin(_ request: HummingbirdCore.Request, _ verifier: SigV4Verifier?, body: [UInt8] = []) -> Response? {
        guard let verifier else { return nil }
        var headers: [(String, String)] = request.headers.map { ($0.name.canonicalName, $0.value) }
        if let authority = request.head.authority { headers.append(("host", authority)) }
        guard let failure = verifier.verify(method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "",
                                            headers: headers, body: body) else { return nil }
        return error(WebhookError(failure.code, failure.message, status: failure.status))
    }

    package static func routes(_ router: Router<BasicRequestContext>, receiver: WebhookReceiver, verifier: SigV4Verifier? = nil) {
        router.post("/webhooks/:name") { request, context -> Response in
            var request = request
            guard let buffer = try? await request.collectBody(upTo: maximumDeliveryBytes) else {
                return error(WebhookError("RequestEntityTooLargeException", "A delivery is at most \(maximumDeliveryBytes) bytes", status: 413))
            }
            let delivery = WebhookRequest(webhook: context.parameters.get("name") ?? "", body: Array(buffer.readableBytesView),
                                          headers: headers(request), query: query(request))
            let answer = await receiver.receive(delivery)
            return json(answer.body, status: answer.status)
        }
        router.post("/baton/webhooks") { request, _ -> Response in
            var request = request
            let bytes = await raw(&request)
            if let refused = admin(request, verifier, body: bytes) { return refused }
            do throws(WebhookError) {
                return json(.object(try await receiver.create(try object(bytes))), status: 201)
            } catch { return Self.error(error) }
        }
        router.get("/baton/webhooks") { request, _ -> Response in
            if let refused = admin(request, verifier) { return refused }
            do throws(WebhookError) { return json(["Webhooks": .array(try await receiver.list().map { .object($0) })]) } catch { return Self.error(error) }
        }
        router.get("/baton/webhooks/:name") { request, context -> Response in
            if let refused = admin(request, verifier) { return refused }
            do throws(WebhookError) { return json(.object(try await receiver.describe(name: context.parameters.get("name") ?? ""))) } catch { return Self.error(error) }
        }
        router.put("/baton/webhooks/:name") { request, context -> Response in
            var request = request
            let bytes = await raw(&request)
            if let refused = admin(request, verifier, body: bytes) { return refused }
            do throws(WebhookError) {
                return json(.object(try await receiver.update(name: context.parameters.get("name") ?? "", try object(bytes))))
            } catch { return Self.error(error) }
        }
        router.delete("/baton/webhooks/:name") { request, context -> Response in
            if let refused = admin(request, verifier) { return refused }
            do throws(WebhookError) {
                try await receiver.delete(name: context.parameters.get("name") ?? "")
                return Response(status: .noContent)
            } catch { return Self.error(error) }
        }
        router.get("/baton/webhooks/:name/deliveries") { request, context -> Response in
            if let refused = admin(request, verifier) { return refused }
            let q = query(request)
            do throws(WebhookError) {
                let rows = try await receiver.deliveries(name: context.parameters.get("name") ?? "", key: q["key"],
                                                         limit: Int(q["limit"] ?? "") ?? 100)
                return json(["Deliveries": .array(rows.map { .object($0) })])
            } catch { return Self.error(error) }
        }
    }
}
