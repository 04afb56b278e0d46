import ServiceKit
import StatesInterpreter
import StatesLanguage

/// `arn:aws:states:::events:putEvents` (and `.waitForTaskToken`) from a Task state: the
/// Parameters are PutEvents' request (`{"Entries": [...]}`), the result its answer. With a task
/// token the task waits for SendTaskSuccess/Failure, usually from the workflow the event started.
struct PutEventsTaskHandler: TaskHandler {
    let service: EventsService

    func invoke(_ invocation: TaskInvocation) async -> TaskOutcome {
        guard case .object(let body) = invocation.parameters, body["Entries"]?.arrayValue != nil else {
            return .failed(StatesError("EventBridge.ValidationException", "The Parameters of events:putEvents must hold an 'Entries' array."))
        }
        // The optimised integration takes Detail as JSON (a state's data), PutEvents as text.
        var request = body
        request["Entries"] = .array((body["Entries"]?.arrayValue ?? []).map { entry in
            guard case .object(var e) = entry, let detail = e["Detail"], detail.stringValue == nil else { return entry }
            e["Detail"] = .string(detail.serialized)
            return .object(e)
        })
        do {
            // The events travel in the task's trace (the run's, or the callback's that resumed it).
            let answer = try await service.putEvents(JSONRequest(body: request, traceHeader: invocation.traceHeader))
            if let failed = answer["FailedEntryCount"]?.integerValue, failed > 0 {
                // AWS: a partial failure fails the task, with the answer as the cause.
                return .failed(StatesError("EventBridge.FailedEntry", answer.serialized))
            }
            return invocation.taskToken == nil ? .succeeded(answer) : .pending
        } catch {
            return .failed(StatesError("EventBridge.\(error.code)", error.message))
        }
    }
}
