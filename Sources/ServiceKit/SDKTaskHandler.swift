import StatesInterpreter
import StatesLanguage

/// `arn:aws:states:::aws-sdk:<service>:<action>` for a service on the seam: the Task's
/// parameters are the action's request, its answer the result, through the same action table
/// the API serves. AWS: "the error name is the service name followed by the exception name"
/// (`Ssm.ParameterNotFoundException`), so Retry and Catch match what they match on AWS.
package struct SDKTaskHandler: TaskHandler {
    let service: String
    let actions: [String: Action]

    package init(service: String, actions: [String: Action]) {
        self.service = service
        self.actions = actions
    }

    package func invoke(_ inv: TaskInvocation) async -> TaskOutcome {
        guard case .sdk(_, let name)? = TaskResource(inv.resource)?.target else {
            return .failed(StatesError(StatesError.runtime, "\(inv.resource) is not an AWS SDK integration"))
        }
        let action = (name.first.map { String($0).uppercased() } ?? "") + name.dropFirst()
        guard let perform = actions[action] else {
            return .failed(StatesError(StatesError.runtime, "\(inv.resource) is not an action of \(service)"))
        }
        let body = inv.parameters.isNull ? JSON.object(JSONObject()) : inv.parameters
        do {
            let reply = try await perform(ServiceCall(action: action, body: body.serializedBytes))
            let result = reply.body.isEmpty ? JSON.object(JSONObject()) : ((try? JSONParser.parse(reply.body)) ?? .object(JSONObject()))
            return .succeeded(result)
        } catch let e as ServiceError {
            let exception = e.code.hasSuffix("Exception") ? e.code : e.code + "Exception"
            return .failed(StatesError("\(service).\(exception)", "\(e.message) (Service: \(service), Status Code: \(e.status(in: .json(targetPrefix: "", version: "1.1"))), Error Code: \(e.code))"))
        } catch {
            return .failed(StatesError(StatesError.runtime, "\(error)"))
        }
    }
}
