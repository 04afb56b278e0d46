import StatesLanguage

/// Performs one task invocation. Called at least once per scheduled task, with the same
/// idempotency key on every redelivery. Business failures are returned as `.failed` so Retry
/// and Catch see them; `.pending` means the answer comes later through the task token.
package protocol TaskHandler: Sendable {
    func invoke(_ invocation: TaskInvocation) async -> TaskOutcome
    /// A key under which the task's token can also be found (a webhook wait's webhook and
    /// key), written with the token in the step that schedules the task, before any answer can
    /// arrive. Nil for most handlers.
    func tokenCorrelation(for invocation: TaskInvocation) -> String?
}

extension TaskHandler {
    package func tokenCorrelation(for invocation: TaskInvocation) -> String? { nil }
}

/// A handler from a closure (tests and small integrations).
package struct ClosureTaskHandler: TaskHandler {
    let body: @Sendable (TaskInvocation) async -> TaskOutcome
    package init(_ body: @escaping @Sendable (TaskInvocation) async -> TaskOutcome) { self.body = body }
    package func invoke(_ invocation: TaskInvocation) async -> TaskOutcome { await body(invocation) }
}
