import StatesLanguage

/// Everything the interpreter needs to decide the next step of one execution. A value:
/// the shell keeps it (or rebuilds it), and hands it back with each trigger.
package struct ExecutionState: Sendable, Codable {
    package var context: ExecutionContext
    package var input: JSON
    package var status: ExecutionStatus = .running
    package var output: JSON?
    package var failure: StatesError?
    package var nextEventId = 1
    var frames = FrameTable()
    var nextFrameId = 0
    var nextTaskId = 0
    var nextTimerId = 0
    var tasks: [TaskID: Int] = [:]
    var timers: [TimerID: TimerPurpose] = [:]
    var random: RandomSource
    /// The top level's variables (an object; nil until an Assign sets one).
    var variables: JSON?
    /// The serialized size of every variable set so far (AWS's 10 MiB limit). Optional so
    /// snapshots written before variables existed still decode.
    var storedVariableBytes: Int?
    /// How many times each Task state has been invoked, kept while the execution runs a mock
    /// test case: invocation n takes the state's nth mocked response (retries count).
    var mockInvocations: [String: Int]?
    /// Distributed Map states between their Map Run's start and their end, by frame id: the
    /// run's ARN and what the state is waiting for (`read` its items, `write` its results).
    var mapRuns: [Int: JSON]?
    var variableBytes: Int {
        get { storedVariableBytes ?? 0 }
        set { storedVariableBytes = newValue }
    }

    package init(context: ExecutionContext, input: JSON, seed: UInt64) {
        self.context = context
        self.input = input
        self.random = RandomSource(seed: seed)
    }

    static let placeholder = ExecutionState(context: .local(at: Timestamp(seconds: 0)), input: .null, seed: 0)

    /// Number of history events recorded so far.
    package var eventCount: Int { nextEventId - 1 }
    /// Tasks awaiting an outcome (for the shell's bookkeeping and tests).
    package var pendingTasks: [TaskID] { Array(tasks.keys) }
    package var pendingTimers: [TimerID] { Array(timers.keys) }

    /// The tokens of the tasks waiting for a callback (`.waitForTaskToken`, activities).
    package var openTokens: [TaskID: String] {
        var out: [TaskID: String] = [:]
        for id in tasks.keys {
            if let token = token(of: id) { out[id] = token }
        }
        return out
    }

    /// The token an open task waits on, if it waits for a callback.
    package func token(of task: TaskID) -> String? {
        guard let fid = tasks[task] else { return nil }
        return frames[fid]?.task?.token
    }

    /// The activity ARN a task waits on, for activity tasks.
    package func activityArn(of task: TaskID) -> String? {
        guard let fid = tasks[task], let t = frames[fid]?.task, t.kind == .activity else { return nil }
        return t.resource
    }
}

enum TimerPurpose: Sendable, Equatable, Codable {
    case wait(frame: Int)
    case retry(frame: Int)
    case taskTimeout(frame: Int, task: TaskID)
    case heartbeat(frame: Int, task: TaskID)
    case executionTimeout
}

/// One thread of control: the top level, a Parallel branch or a Map iteration.
struct Frame: Sendable, Codable {
    enum Phase: Sendable, Equatable, Codable {
        case enter
        case execute
        case blocked
    }

    var id: Int
    var machine: Int
    var state: Int
    var phase: Phase = .enter
    /// The current state's raw input.
    var input: JSON
    var lastEventId: Int
    var enteredEventId = 0
    /// The event the state's Entered event follows (AWS chains EvaluationFailed to it).
    /// Optional so that snapshots written before it existed still decode.
    var storedEnteredPreviousId: Int? = nil
    var enteredPreviousId: Int {
        get { storedEnteredPreviousId ?? 0 }
        set { storedEnteredPreviousId = newValue }
    }
    var enteredTime: Timestamp
    var retryCounts: [Int] = []
    var parent: Int?
    /// Index in the parent's fan-out (branch or item index).
    var slot: Int = 0
    /// Distributed Map iterations record their events in child executions, not here.
    var silent: Bool = false
    var fanOut: FanOut?
    var task: PendingTask?
    /// A Task's timers, so they are cancelled with it.
    var taskTimers: [TimerID] = []
    /// A Map iteration's or Parallel branch's own variables (nil for the top level, whose
    /// variables are the execution state's).
    var variables: JSON?
}

struct PendingTask: Sendable, Codable {
    var id: TaskID
    var kind: ResourceKind
    var resource: String = ""
    var token: String?
    /// TaskStarted is recorded once, however often the shell reports it.
    var started = false
    var effectiveInput: JSON
    var heartbeatSeconds: Int?
    var heartbeatTimer: TimerID?
}

/// Bookkeeping of a Parallel or Map state waiting on its children.
struct FanOut: Sendable, Codable {
    var isMap: Bool
    var effectiveInput: JSON
    var results: [JSON?]
    var itemInputs: [JSON] = []
    var nextToStart = 0
    var running: Set<Int> = []
    var children: [Int: Int] = [:]  // slot -> frame id
    var completed = 0
    var failures = 0
    var maxConcurrency = 0
    var toleratedCount: Int?
    var toleratedPercentage: Double?
    var lastIterationEndId = 0
    var distributed = false
}

/// How a Task's resource shows in the history: each family has its own event names.
enum ResourceKind: Sendable, Equatable, Codable {
    /// `arn:aws:lambda:…:function:NAME`: LambdaFunctionScheduled, …
    case lambdaFunction
    /// `arn:aws:states:…:activity:NAME`: ActivityScheduled, …
    case activity
    /// `arn:aws:states:::SERVICE:ACTION[.pattern]`: TaskScheduled with resourceType and resource.
    case service(resourceType: String, resource: String)

    init(arn: String) { self.init(TaskResource(arn), arn: arn) }

    /// From a resource already parsed (a Task state's, parsed with its definition).
    init(_ parsed: TaskResource?, arn: String) {
        guard let resource = parsed else {
            self = .service(resourceType: "baton", resource: arn)
            return
        }
        switch resource.target {
        case .function: self = .lambdaFunction
        case .activity: self = .activity
        case .integration(let service, let action): self = .service(resourceType: service, resource: action + resource.pattern.rawValue)
        // AWS records an SDK integration as resourceType `aws-sdk:SERVICE`, resource `ACTION`.
        case .sdk(let service, let action): self = .service(resourceType: "aws-sdk:" + service, resource: action + resource.pattern.rawValue)
        case .other(let other): self = .service(resourceType: other.service, resource: other.resourceFields.last ?? arn)
        }
    }

    var waitsForTaskToken: Bool {
        if case .service(_, let r) = self { return r.hasSuffix(".waitForTaskToken") }
        return false
    }
}
