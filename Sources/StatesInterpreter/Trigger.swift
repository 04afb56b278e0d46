import StatesLanguage

/// What happened that the interpreter must react to. Time and randomness arrive here,
/// as inputs, and are written into the events, so a replay reproduces them.
package struct Trigger: Sendable {
    package enum Kind: Sendable {
        /// Starts the execution.
        case start(input: JSON, context: ExecutionContext, randomSeed: UInt64)
        case taskStarted(TaskID, workerName: String? = nil)
        case taskSucceeded(TaskID, output: JSON)
        case taskFailed(TaskID, StatesError)
        case taskHeartbeat(TaskID)
        /// Records an event of the shell's in the task's branch of the history (a webhook
        /// delivery), while the task is open; nothing once it has closed.
        case annotate(TaskID, type: String, detailsKey: String, details: JSONObject)
        case timerFired(TimerID)
        /// The run outlived the service's maximum duration (AWS: one year) with no
        /// TimeoutSeconds of its own: the engine's sweep finds it, no timer row is kept for it.
        case maximumDurationReached
        /// StopExecution: aborts the run.
        case stop(error: String?, cause: String?)
        /// RedriveExecution: a failed, timed-out or aborted run starts again at `state` (a
        /// top-level state) with `input`, its history continuing after `lastEventId`.
        case redrive(state: String, input: JSON, lastEventId: Int)
    }

    package var kind: Kind
    package var now: Timestamp
    /// Fresh secure random bytes from the shell, from which task tokens are made (≥ 16 bytes).
    package var entropy: [UInt8]
    /// The trace of what caused this step (a callback's or a webhook delivery's), if it came
    /// with one: the tasks the step schedules carry it, else the execution's own.
    package var traceHeader: String?

    package init(_ kind: Kind, at now: Timestamp, entropy: [UInt8] = [], traceHeader: String? = nil) {
        self.traceHeader = traceHeader
        self.kind = kind
        self.now = now
        self.entropy = entropy
    }
}

package struct TaskID: Sendable, Hashable, Codable, CustomStringConvertible {
    package var rawValue: Int
    package init(_ v: Int) { rawValue = v }
    package var description: String { "task-\(rawValue)" }
}

package struct TimerID: Sendable, Hashable, Codable, CustomStringConvertible {
    package var rawValue: Int
    package init(_ v: Int) { rawValue = v }
    package var description: String { "timer-\(rawValue)" }
}

/// What the execution knows about itself: the `$$.Execution` and `$$.StateMachine` context.
package struct ExecutionContext: Sendable, Equatable, Codable {
    package var executionArn: String
    package var name: String
    package var roleArn: String
    package var stateMachineArn: String
    package var stateMachineName: String
    package var startTime: Timestamp
    package var redriveCount: Int
    /// The trace the execution was started in (X-Ray's spelling), carried to its tasks.
    package var traceHeader: String?
    /// The mock configuration's test case the execution runs (`StartExecution` on
    /// `stateMachineArn#CASE`, as Step Functions Local takes it); nil for a real run.
    package var testCase: String?
    /// TestState's `context`: fields of the context object given by the caller (a JSON
    /// object's text), laid over the ones the execution has. Nil for every real run.
    package var contextOverlay: String?

    package init(executionArn: String, name: String, roleArn: String, stateMachineArn: String, stateMachineName: String,
                 startTime: Timestamp, redriveCount: Int = 0, traceHeader: String? = nil) {
        self.traceHeader = traceHeader
        self.executionArn = executionArn
        self.name = name
        self.roleArn = roleArn
        self.stateMachineArn = stateMachineArn
        self.stateMachineName = stateMachineName
        self.startTime = startTime
        self.redriveCount = redriveCount
    }

    package static func local(name: String = "local", at time: Timestamp) -> ExecutionContext {
        ExecutionContext(
            executionArn: "arn:aws:states:us-east-1:000000000000:execution:local:\(name)", name: name,
            roleArn: "arn:aws:iam::000000000000:role/baton", stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:local",
            stateMachineName: "local", startTime: time)
    }
}
