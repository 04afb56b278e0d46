import Engine
import ServiceKit
import StatesInterpreter
import StatesLanguage

/// `arn:aws:states:::sns:publish` (and `.waitForTaskToken`): Parameters are Publish's request
/// (a JSON `Message` is sent as its text), the result AWS's (`MessageId`, and `SequenceNumber`
/// for a FIFO topic). The publication is committed (its queue messages and deliveries) before
/// the task succeeds.
struct SNSPublishTaskHandler: TaskHandler {
    let service: SNSService

    func invoke(_ invocation: TaskInvocation) async -> TaskOutcome {
        guard case .object(var body) = invocation.parameters else {
            return .failed(StatesError("SNS.InvalidParameterException", "The Parameters of sns:publish must be an object."))
        }
        if let m = body["Message"], m.stringValue == nil { body["Message"] = .string(m.serialized) }
        do {
            let answer = try await service.publish(JSONRequest(body: body, traceHeader: invocation.traceHeader))
            return invocation.taskToken == nil ? .succeeded(answer) : .pending
        } catch {
            return .failed(StatesError("SNS.\(error.code)", error.message))
        }
    }
}
