import StatesLanguage

/// What one step decided: the events to journal and the effects to perform once they are.
package struct Decision: Sendable {
    package var events: [HistoryEvent] = []
    package var effects: [Effect] = []
    package init() {}
}

/// An effect as a value: the shell performs it after the decision is committed.
package enum Effect: Sendable, Equatable {
    case invokeTask(TaskInvocation)
    case startTimer(TimerID, dueAt: Timestamp)
    case cancelTimer(TimerID)
    /// The task will not be needed any more (timed out, or its branch was aborted).
    case cancelTask(TaskID)
    case executionFinished(ExecutionStatus)
}

/// One call of a Task state's resource.
package struct TaskInvocation: Sendable, Equatable, Codable {
    package var id: TaskID
    package var stateName: String
    package var resource: String
    package var parameters: JSON
    package var timeoutSeconds: Int?
    package var heartbeatSeconds: Int?
    /// Set for `.waitForTaskToken` resources: the token the caller must send back.
    package var taskToken: String?
    /// Stable across redeliveries of the same attempt: `executionArn/eventId`.
    package var idempotencyKey: String
    /// The trace the task runs in (X-Ray's spelling): the step's cause's, else the execution's.
    package var traceHeader: String?
    /// Set while the execution runs a mock test case: which of the state's mocked responses answers.
    package var mock: MockCall?

    package init(id: TaskID, stateName: String, resource: String, parameters: JSON, timeoutSeconds: Int?, heartbeatSeconds: Int?,
                 taskToken: String?, idempotencyKey: String, traceHeader: String? = nil) {
        self.traceHeader = traceHeader
        self.id = id
        self.stateName = stateName
        self.resource = resource
        self.parameters = parameters
        self.timeoutSeconds = timeoutSeconds
        self.heartbeatSeconds = heartbeatSeconds
        self.taskToken = taskToken
        self.idempotencyKey = idempotencyKey
    }
}

/// A Task state's invocation in a mock test case: the state machine and case it belongs to,
/// and its number among the state's invocations (from 0).
package struct MockCall: Sendable, Equatable, Codable {
    package var stateMachine: String
    package var testCase: String
    package var invocation: Int

    package init(stateMachine: String, testCase: String, invocation: Int) {
        self.stateMachine = stateMachine
        self.testCase = testCase
        self.invocation = invocation
    }
}

package enum ExecutionStatus: String, Sendable, Equatable, Codable {
    case running = "RUNNING"
    case succeeded = "SUCCEEDED"
    case failed = "FAILED"
    case timedOut = "TIMED_OUT"
    case aborted = "ABORTED"
}
