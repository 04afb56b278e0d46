import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Integrations
import StatesLanguage

/// Lambda's REST API on the same endpoint (`/2015-03-31/functions…`), as boto3's lambda client
/// sends it. Errors: the status, `x-amzn-ErrorType`, and `{"Type","Message"}` in the body.
package enum LambdaAPI {
    static let errorType = HTTPField.Name("x-amzn-ErrorType")!
    static let functionError = HTTPField.Name("X-Amz-Function-Error")!
    static let logResult = HTTPField.Name("X-Amz-Log-Result")!
    static let executedVersion = HTTPField.Name("X-Amz-Executed-Version")!
    static let invocationType = HTTPField.Name("X-Amz-Invocation-Type")!
    static let logType = HTTPField.Name("X-Amz-Log-Type")!

    static func json(_ value: JSON, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: value.serialized)))
    }

    static func error(_ e: FunctionError) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[errorType] = e.code
        let body: JSON = ["Type": "User", "Message": .string(e.message), "__type": .string(e.code), "message": .string(e.message)]
        return Response(status: HTTPResponse.Status(code: e.status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: body.serialized)))
    }

    static func body(_ request: inout HummingbirdCore.Request) async -> JSON? {
        guard let buffer = try? await request.collectBody(upTo: 70 * 1024 * 1024) else { return nil }
        return try? JSONParser.parse(Array(buffer.readableBytesView))
    }

    static func zip(_ code: JSON?) throws(FunctionError) -> [UInt8] {
        guard let text = code?["ZipFile"]?.stringValue, let data = Data(base64Encoded: text) else {
            throw FunctionError("InvalidParameterValueException", "Code.ZipFile (a base64 zip archive) is required")
        }
        return [UInt8](data)
    }

    static func environment(_ json: JSON?) -> [String: String]? {
        guard let vars = json?["Variables"]?.objectValue else { return nil }
        var out: [String: String] = [:]
        for (k, v) in vars { out[k] = v.stringValue ?? v.serialized }
        return out
    }

    package static func routes(_ router: Router<BasicRequestContext>, functions: FunctionService) {
        let base = "/2015-03-31/functions"
        router.post(RouterPath(base)) { request, _ -> Response in
            var request = request
            guard let b = await body(&request) else { return error(FunctionError("InvalidRequestContentException", "Could not parse request body into json")) }
            do {
                let config = try await functions.create(
                    name: b["FunctionName"]?.stringValue ?? "", runtime: b["Runtime"]?.stringValue ?? "",
                    handler: b["Handler"]?.stringValue ?? "lambda_function.handler", zip: try zip(b["Code"]),
                    timeout: Int(b["Timeout"]?.integerValue ?? 3), memory: Int(b["MemorySize"]?.integerValue ?? 128),
                    environment: environment(b["Environment"]) ?? [:], role: b["Role"]?.stringValue ?? "")
                return json(config.json, status: .created)
            } catch let e as FunctionError {
                return error(e)
            }
        }
        router.get(RouterPath(base)) { _, _ -> Response in
            json(["Functions": .array(await functions.list().map(\.json))])
        }
        router.get(RouterPath(base + "/:name")) { _, context -> Response in
            let name = context.parameters.get("name") ?? ""
            guard let config = await functions.get(name) else {
                return error(FunctionError("ResourceNotFoundException", "Function not found: \(name)", status: 404))
            }
            return json(["Configuration": config.json, "Code": ["RepositoryType": "S3", "Location": ""]])
        }
        router.delete(RouterPath(base + "/:name")) { _, context -> Response in
            do {
                try await functions.delete(context.parameters.get("name") ?? "")
                return Response(status: .noContent)
            } catch let e as FunctionError {
                return error(e)
            }
        }
        let invokeConfig = "/2019-09-25/functions/:name/event-invoke-config"
        router.put(RouterPath(invokeConfig)) { request, context -> Response in
            var request = request
            let b = await body(&request)
            do {
                return json(try await functions.setEventInvokeConfig(
                    context.parameters.get("name") ?? "", maximumRetryAttempts: b?["MaximumRetryAttempts"]?.integerValue.map(Int.init),
                    maximumEventAgeSeconds: b?["MaximumEventAgeInSeconds"]?.integerValue.map(Int.init),
                    onFailure: b?["DestinationConfig"]?["OnFailure"]?["Destination"]?.stringValue))
            } catch let e as FunctionError {
                return error(e)
            }
        }
        router.get(RouterPath(invokeConfig)) { _, context -> Response in
            let name = context.parameters.get("name") ?? ""
            guard let config = await functions.get(name) else {
                return error(FunctionError("ResourceNotFoundException", "Function not found: \(name)", status: 404))
            }
            return json(await functions.eventInvokeConfig(config))
        }
        // Baton's own: asynchronous events that exhausted their retries.
        router.get("/baton/failed-invocations") { _, _ -> Response in
            json(["FailedInvocations": .array(await functions.failedInvocations())])
        }
        router.put(RouterPath(base + "/:name/code")) { request, context -> Response in
            var request = request
            let b = await body(&request)
            do {
                return json(try await functions.updateCode(context.parameters.get("name") ?? "", zip: try zip(b)).json)
            } catch let e as FunctionError {
                return error(e)
            }
        }
        router.put(RouterPath(base + "/:name/configuration")) { request, context -> Response in
            var request = request
            let b = await body(&request)
            do {
                let config = try await functions.updateConfiguration(
                    context.parameters.get("name") ?? "", timeout: b?["Timeout"]?.integerValue.map(Int.init),
                    memory: b?["MemorySize"]?.integerValue.map(Int.init), handler: b?["Handler"]?.stringValue,
                    environment: environment(b?["Environment"]))
                return json(config.json)
            } catch let e as FunctionError {
                return error(e)
            }
        }
        router.post(RouterPath(base + "/:name/invocations")) { request, context -> Response in
            var request = request
            let name = context.parameters.get("name") ?? ""
            let type = request.headers[invocationType] ?? "RequestResponse"
            let tail = request.headers[logType] == "Tail"
            let payload = (try? await request.collectBody(upTo: 6 * 1024 * 1024)).map { Array($0.readableBytesView) } ?? []
            if !payload.isEmpty, (try? JSONParser.parse(payload)) == nil {
                return error(FunctionError("InvalidRequestContentException", "Could not parse request body into json"))
            }
            if type == "Event" {
                do {
                    let id = try await functions.enqueueAsync(name, payload: payload.isEmpty ? Array("{}".utf8) : payload)
                    var headers = HTTPFields()
                    headers[HTTPField.Name("x-amzn-RequestId")!] = id
                    return Response(status: .accepted, headers: headers)
                } catch let e as FunctionError {
                    return error(e)
                }
            }
            if type == "DryRun" {
                guard await functions.get(name) != nil else {
                    return error(FunctionError("ResourceNotFoundException", "Function not found: \(name)", status: 404))
                }
                return Response(status: .noContent)
            }
            do {
                let result = try await functions.invoke(name, payload: payload.isEmpty ? Array("{}".utf8) : payload)
                var headers = HTTPFields()
                headers[.contentType] = "application/json"
                headers[executedVersion] = "$LATEST"
                if let fe = result.functionError { headers[functionError] = fe }
                if tail { headers[logResult] = FunctionService.logTail(result) }
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: result.payload)))
            } catch let e as FunctionError {
                return error(e)
            }
        }
    }
}
