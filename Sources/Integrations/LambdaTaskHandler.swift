import ServiceKit
import Foundation
import StatesInterpreter
import StatesLanguage

/// Task states that call functions: a function ARN as the Resource (the result is the
/// payload), and `arn:aws:states:::lambda:invoke` (the result is Invoke's response shape).
/// Errors surface under the names AWS uses, so Retry and Catch behave as on AWS.
package struct LambdaTaskHandler: TaskHandler {
    package let functions: FunctionService
    package let maximumPayloadBytes: Int

    package init(functions: FunctionService, maximumPayloadBytes: Int = 256 * 1024) {
        self.functions = functions
        self.maximumPayloadBytes = maximumPayloadBytes
    }

    package static let invokeResource = "arn:aws:states:::lambda:invoke"

    package func invoke(_ inv: TaskInvocation) async -> TaskOutcome {
        let resource = TaskResource(inv.resource)
        let integration = resource?.target == .integration(service: "lambda", action: "invoke")
        let reference: String
        let payload: JSON
        if integration {
            guard let name = inv.parameters["FunctionName"]?.stringValue else {
                return .failed(StatesError("States.Runtime", "The field 'FunctionName' is required for \(inv.resource)"))
            }
            reference = name
            // No Payload, or null, sends `{}`.
            let given = inv.parameters["Payload"] ?? .null
            payload = given.isNull ? .object(JSONObject()) : given
        } else {
            reference = inv.resource
            payload = inv.parameters
        }
        // A string Payload is sent as it is: it already is the JSON text (as AWS does).
        var bytes = payload.serializedBytes
        if integration, case .string(let raw) = payload { bytes = Array(raw.utf8) }
        if integration, let type = inv.parameters["InvocationType"]?.stringValue, type != "RequestResponse" {
            return await invokeWithoutWaiting(reference, type: type, payload: bytes, traceHeader: inv.traceHeader)
        }
        let result: InvocationResult
        do {
            result = try await functions.invoke(reference, payload: bytes, traceHeader: inv.traceHeader)
        } catch {
            let message = error.code == "ResourceNotFoundException" ? error.message + ":$LATEST" : error.message
            let cause = "\(message) (Service: AWSLambda; Status Code: \(error.restStatus); Error Code: \(error.code); Request ID: \(UUID().uuidString.lowercased()); Proxy: null)"
            return .failed(StatesError("Lambda.\(error.code)", cause))
        }
        let text = String(decoding: result.payload, as: UTF8.self)
        if result.functionError != nil {
            let errorType = (try? JSONParser.parse(text))?["errorType"]?.stringValue ?? "Lambda.Unknown"
            return .failed(StatesError(errorType, text))
        }
        // `.waitForTaskToken`: the function got the token in its payload and answers with
        // SendTaskSuccess/Failure itself; its own return value is not the task's result.
        if resource?.pattern == .waitForTaskToken { return .pending }
        guard result.payload.count <= maximumPayloadBytes else {
            // AWS names the service ("lambda") for the integration, the function ARN otherwise.
            return .failed(StatesError(StatesError.dataLimitExceeded,
                "The state/task '\(integration ? "lambda" : inv.resource)' returned a result with a size exceeding the maximum number of bytes service limit."))
        }
        let value = (try? JSONParser.parse(text)) ?? .string(text)
        guard integration else { return .succeeded(value) }
        let length = String(result.payload.count)
        let headers: JSONObject = [
            "Connection": "keep-alive", "Content-Length": .string(length), "Content-Type": "application/json",
            "Date": .string(HTTPDate.now()), "X-Amz-Executed-Version": "$LATEST", "x-amzn-Remapped-Content-Length": "0",
            "x-amzn-RequestId": .string(result.requestId), "X-Amzn-Trace-Id": .string("Root=1-\(result.requestId)"),
        ]
        var all = JSONObject()
        for (k, v) in headers { all[k] = .array([v]) }
        var out: JSONObject = [
            "ExecutedVersion": "$LATEST", "Payload": value,
            "SdkHttpMetadata": ["AllHttpHeaders": .object(all), "HttpHeaders": .object(headers), "HttpStatusCode": 200],
            "SdkResponseMetadata": ["RequestId": .string(result.requestId)], "StatusCode": 200,
        ]
        if inv.parameters["LogType"]?.stringValue == "Tail" {
            out["LogResult"] = .string(FunctionService.logTail(result))
        }
        return .succeeded(.object(out))
    }

    /// Invoke's `InvocationType`: `Event` queues the invocation durably and answers 202;
    /// `DryRun` only checks that the function exists and answers 204. Either with an empty Payload.
    func invokeWithoutWaiting(_ reference: String, type: String, payload: [UInt8], traceHeader: String?) async -> TaskOutcome {
        var requestId = UUID().uuidString.lowercased()
        do throws(FunctionError) {
            switch type {
            case "Event": requestId = try await functions.enqueueAsync(reference, payload: payload, traceHeader: traceHeader)
            case "DryRun":
                guard await functions.get(reference) != nil else { throw await functions.notFound(reference) }
            default:
                return .failed(StatesError("Lambda.InvalidParameterValueException",
                    "1 validation error detected: Value '\(type)' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"))
            }
        } catch {
            return .failed(StatesError("Lambda.\(error.code)", "\(error.message) (Service: AWSLambda; Status Code: \(error.restStatus); Error Code: \(error.code); Request ID: \(requestId); Proxy: null)"))
        }
        let status: Int64 = type == "Event" ? 202 : 204
        let headers: JSONObject = ["Content-Length": "0", "Date": .string(HTTPDate.now()), "x-amzn-RequestId": .string(requestId)]
        var all = JSONObject()
        for (k, v) in headers { all[k] = .array([v]) }
        return .succeeded([
            "Payload": "", "SdkHttpMetadata": ["AllHttpHeaders": .object(all), "HttpHeaders": .object(headers), "HttpStatusCode": .int(status)],
            "SdkResponseMetadata": ["RequestId": .string(requestId)], "StatusCode": .int(status),
        ])
    }
}
