import StatesLanguage

/// Performs one task invocation. Called at least once per scheduled task, with the same
/// idempotency key on every redelivery. Business failures are returned as `.failed` so Retry
/// and Catch see them; `.pending` means the answer comes later through the task token.
package protocol TaskHandler: Sendable {
    func invoke(_ invocation: TaskInvocation) async -> TaskOutcome
}

/// A handler from a closure (tests and small integrations).
package struct ClosureTaskHandler: TaskHandler {
    let body: @Sendable (TaskInvocation) async -> TaskOutcome
    package init(_ body: @escaping @Sendable (TaskInvocation) async -> TaskOutcome) { self.body = body }
    package func invoke(_ invocation: TaskInvocation) async -> TaskOutcome { await body(invocation) }
}
