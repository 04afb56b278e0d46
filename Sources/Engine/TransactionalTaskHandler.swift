import Journal
import StatesInterpreter

/// A Task handler whose durable part is a write in Baton's own database (a message put on a
/// queue, an item written to a table): that write is attached to the step that schedules the
/// task, so the task is scheduled and its write made together or not at all, and a crash
/// between the two cannot send twice or lose the send. `invoke` then does only what is left
/// (often nothing but answering, or waiting for the task token).
package protocol TransactionalTaskHandler: TaskHandler {
    /// The writes for one scheduled invocation, made once: a retry is a new invocation.
    func attachments(scheduling invocation: TaskInvocation) -> [StepAttachment]
    /// The same task called outside any execution step (a rule's target, a topic's
    /// subscription): it makes its write in a commit of its own, then answers.
    func invokeAlone(_ invocation: TaskInvocation) async -> TaskOutcome
}
