import ServiceKit
import StatesInterpreter
import StatesLanguage

/// The Task handler for `arn:aws:states:::baton:webhook.waitForTaskToken`. The token was
/// registered under its correlation key in the step that scheduled the task; this only
/// checks that the webhook exists and the key is usable, so a typo fails the task at once
/// (catchable as `Baton.WebhookNotFound`) instead of waiting for a delivery that cannot come.
package struct WebhookTaskHandler: TaskHandler {
    package let directory: WebhookDirectory

    package init(directory: WebhookDirectory) { self.directory = directory }

    /// The token is found by (webhook, key): the receiver looks it up by the sender's key.
    package func tokenCorrelation(for invocation: TaskInvocation) -> String? {
        WebhookWait.correlation(resource: invocation.resource, parameters: invocation.parameters)
    }

    package func invoke(_ inv: TaskInvocation) async -> TaskOutcome {
        guard let name = inv.parameters["Webhook"]?.stringValue, WebhookWait.isValidName(name) else {
            return .failed(StatesError(StatesError.runtime, "The field 'Webhook' must name a webhook, got \(inv.parameters["Webhook"]?.serialized ?? "nothing")"))
        }
        guard inv.parameters["Key"].flatMap(WebhookWait.keyText) != nil else {
            return .failed(StatesError(StatesError.runtime, "The field 'Key' must be a non-empty string or a number, got \(inv.parameters["Key"]?.serialized ?? "nothing")"))
        }
        guard (try? await directory.config(name)) != nil else {
            return .failed(StatesError("Baton.WebhookNotFound", "Webhook \(name) does not exist"))
        }
        return .pending
    }
}
