import Engine
import Foundation
import HTTPTypes
import Hummingbird
import StatesLanguage

/// The one HTTP endpoint: AWS JSON 1.0 (`POST /` with `X-Amz-Target: AWSStepFunctions.<Action>`).
/// Statuses and error shapes are decided here and nowhere else.
package enum BatonServer {
    /// AWS's request size limit for Step Functions calls is about 1 MiB; larger bodies are refused.
    package static let maximumBodyBytes = 1024 * 1024 + 512 * 1024
    static let amzTarget = HTTPField.Name("X-Amz-Target")!
    static let requestId = HTTPField.Name("x-amzn-RequestId")!

    /// `verifier`: when set (always, when bound beyond loopback), every request must carry a
    /// valid Signature Version 4 made with the configured key.
    package static func router(api: StepFunctionsAPI, verifier: SigV4Verifier? = nil) -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/") { request, _ -> Response in
            var request = request
            let id = UUIDText.random()
            let target = request.headers[amzTarget] ?? ""
            let result: Result<JSON, APIError>
            do {
                let buffer = try await request.collectBody(upTo: maximumBodyBytes)
                let body = Array(buffer.readableBytesView)
                if let verifier {
                    var headers: [(String, String)] = request.headers.map { ($0.name.canonicalName, $0.value) }
                    if let authority = request.head.authority { headers.append(("host", authority)) }
                    let path = request.uri.path
                    let query = request.uri.query ?? ""
                    if let failure = verifier.verify(method: "POST", path: path, query: query, headers: headers, body: body) {
                        return respond(.failure(failure), requestId: id)
                    }
                }
                result = await dispatch(api: api, target: target, body: body)
            } catch {
                result = .failure(APIError("RequestEntityTooLargeException", "Request body is larger than \(maximumBodyBytes) bytes", status: 413))
            }
            return respond(result, requestId: id)
        }
        return router
    }

    static func dispatch(api: StepFunctionsAPI, target: String, body: [UInt8]) async -> Result<JSON, APIError> {
        let prefix = "AWSStepFunctions."
        guard target.hasPrefix(prefix) else {
            return .failure(APIError("UnknownOperationException", "Unknown target '\(target)': expected \(prefix)<Action>"))
        }
        let parsed: JSON
        do {
            parsed = body.isEmpty ? .object(JSONObject()) : try JSONParser.parse(body)
        } catch {
            return .failure(APIError("SerializationException", "Malformed JSON in the request body: \(error)"))
        }
        guard case .object(let object) = parsed else {
            return .failure(APIError("SerializationException", "The request body must be a JSON object"))
        }
        do {
            return .success(try await api.handle(String(target.dropFirst(prefix.count)), object))
        } catch {
            return .failure(error)
        }
    }

    static func respond(_ result: Result<JSON, APIError>, requestId id: String) -> Response {
        let status: HTTPResponse.Status
        let body: JSON
        switch result {
        case .success(let v):
            status = .ok
            body = v
        case .failure(let e):
            status = HTTPResponse.Status(code: e.status)
            body = ["__type": .string(e.code), "message": .string(e.message)]
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/x-amz-json-1.0"
        headers[requestId] = id
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body.serialized)))
    }
}
