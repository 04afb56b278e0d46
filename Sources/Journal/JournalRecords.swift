import StatesInterpreter
import StatesLanguage

/// An execution's row: what DescribeExecution shows, plus the interpreter's state while it runs.
package struct ExecutionRecord: Sendable, Equatable {
    package var arn: String
    package var stateMachineArn: String
    /// The definition the execution runs (a row of `definitions`).
    package var definitionId: Int64
    package var name: String
    package var status: ExecutionStatus
    package var input: String
    /// The output's text. Set from the interpreter's value (`setOutput(value:)`), the text is
    /// made only when asked for: the SQLite journal stores a reference to the chunk that
    /// already holds the value, and never needs it.
    package var output: String? {
        get {
            switch outputStorage {
            case .none: nil
            case .text(let t): t
            case .value(let v): v.serialized
            }
        }
        set { outputStorage = newValue.map { .text($0) } ?? .none }
    }
    /// The output as a value, when it was set as one (and not replaced by text since).
    package var outputValue: JSON? {
        if case .value(let v) = outputStorage { return v }
        return nil
    }
    private var outputStorage = OutputStorage.none
    private enum OutputStorage: Sendable {
        case none
        case text(String)
        case value(JSON)
    }
    package var error: String?
    package var cause: String?
    package var startMillis: Int64
    package var stopMillis: Int64?
    /// The id of the last journaled event: the optimistic-concurrency version.
    package var lastEventId: Int
    /// The interpreter's state, encoded, while the execution runs; nil once it ended.
    package var snapshot: [UInt8]?
    /// The version or alias ARN the execution was started through, if any.
    package var qualifiedArn: String? = nil
    package var redriveCount = 0
    package var redriveMillis: Int64? = nil
    /// The trace the execution was started in (X-Ray's spelling), as DescribeExecution shows it.
    package var traceHeader: String? = nil

    package init(arn: String, stateMachineArn: String, definitionId: Int64, name: String, status: ExecutionStatus,
                 input: String, output: String? = nil, error: String? = nil, cause: String? = nil, startMillis: Int64,
                 stopMillis: Int64? = nil, lastEventId: Int = 0, snapshot: [UInt8]? = nil, qualifiedArn: String? = nil,
                 redriveCount: Int = 0, redriveMillis: Int64? = nil) {
        self.qualifiedArn = qualifiedArn
        self.redriveCount = redriveCount
        self.redriveMillis = redriveMillis
        self.arn = arn
        self.stateMachineArn = stateMachineArn
        self.definitionId = definitionId
        self.name = name
        self.status = status
        self.input = input
        self.outputStorage = output.map { .text($0) } ?? .none
        self.error = error
        self.cause = cause
        self.startMillis = startMillis
        self.stopMillis = stopMillis
        self.lastEventId = lastEventId
        self.snapshot = snapshot
    }

    /// The output as the interpreter left it (nil for none).
    package mutating func setOutput(value: JSON?) { outputStorage = value.map { .value($0) } ?? .none }

    /// The row this step's record leaves when written over `current`: a step writes the columns
    /// a step changes (the SQL journals' UPDATE), and what the start wrote stays.
    package func written(over current: ExecutionRecord) -> ExecutionRecord {
        var row = self
        row.stateMachineArn = current.stateMachineArn
        row.definitionId = current.definitionId
        row.name = current.name
        row.input = current.input
        row.startMillis = current.startMillis
        row.qualifiedArn = current.qualifiedArn
        row.traceHeader = current.traceHeader
        return row
    }

    /// Equal when every field is, the output compared as text however it was set.
    package static func == (a: ExecutionRecord, b: ExecutionRecord) -> Bool {
        a.arn == b.arn && a.stateMachineArn == b.stateMachineArn && a.definitionId == b.definitionId && a.name == b.name
            && a.status == b.status && a.input == b.input && a.output == b.output && a.error == b.error && a.cause == b.cause
            && a.startMillis == b.startMillis && a.stopMillis == b.stopMillis && a.lastEventId == b.lastEventId
            && a.snapshot == b.snapshot && a.qualifiedArn == b.qualifiedArn && a.redriveCount == b.redriveCount
            && a.redriveMillis == b.redriveMillis && a.traceHeader == b.traceHeader
    }
}

/// An effect waiting to be performed at least once: a task invocation.
package struct OutboxEntry: Sendable, Equatable {
    /// The step's idempotency key (`executionArn/eventId`): the same on every redelivery.
    package var key: String
    package var executionArn: String
    /// The invocation, as JSON text.
    package var payload: String

    package init(key: String, executionArn: String, payload: String) {
        self.key = key
        self.executionArn = executionArn
        self.payload = payload
    }
}

/// A durable timer: Wait, Retry backoff, TimeoutSeconds, HeartbeatSeconds, execution timeout.
package struct TimerRecord: Sendable, Equatable, Hashable {
    package var executionArn: String
    package var timerId: Int
    package var dueMillis: Int64

    package init(executionArn: String, timerId: Int, dueMillis: Int64) {
        self.executionArn = executionArn
        self.timerId = timerId
        self.dueMillis = dueMillis
    }
}

/// An open task token: a `.waitForTaskToken` task, or an activity task, awaiting its answer.
package struct TaskTokenRecord: Sendable, Equatable {
    package var token: String
    package var executionArn: String
    package var taskId: Int
    /// For activity tasks: the activity the task waits on.
    package var activityArn: String?
    /// The task's input, for activity workers.
    package var input: String?
    /// The key a webhook delivery finds this token by (`webhook` + U+001F + `key`).
    package var correlation: String?

    package init(token: String, executionArn: String, taskId: Int, activityArn: String? = nil, input: String? = nil,
                 correlation: String? = nil) {
        self.token = token
        self.executionArn = executionArn
        self.taskId = taskId
        self.activityArn = activityArn
        self.input = input
        self.correlation = correlation
    }
}

/// A state machine: its current definition, type and role; `attributes` holds the API's
/// other settings (logging, tracing, tags) as JSON text.
package struct StateMachineRecord: Sendable, Equatable {
    package var arn: String
    package var name: String
    package var type: String
    package var roleArn: String
    package var definitionId: Int64
    package var createdMillis: Int64
    package var attributes: String

    package init(arn: String, name: String, type: String, roleArn: String, definitionId: Int64, createdMillis: Int64,
                 attributes: String = "{}") {
        self.arn = arn
        self.name = name
        self.type = type
        self.roleArn = roleArn
        self.definitionId = definitionId
        self.createdMillis = createdMillis
        self.attributes = attributes
    }
}

/// A published version of a state machine (`…:stateMachine:NAME:N`).
package struct StateMachineVersionRecord: Sendable, Equatable {
    package var arn: String
    package var stateMachineArn: String
    package var version: Int
    package var definitionId: Int64
    package var description: String?
    package var createdMillis: Int64

    package init(arn: String, stateMachineArn: String, version: Int, definitionId: Int64, description: String?, createdMillis: Int64) {
        self.arn = arn
        self.stateMachineArn = stateMachineArn
        self.version = version
        self.definitionId = definitionId
        self.description = description
        self.createdMillis = createdMillis
    }
}

/// An alias: a name that routes executions to versions by weight.
package struct AliasRecord: Sendable, Equatable {
    package var arn: String
    package var stateMachineArn: String
    package var name: String
    package var description: String?
    /// (version ARN, weight) pairs; weights add up to 100.
    package var routing: [Route]
    package var createdMillis: Int64
    package var updatedMillis: Int64

    package struct Route: Sendable, Equatable {
        package var versionArn: String
        package var weight: Int
        package init(versionArn: String, weight: Int) {
            self.versionArn = versionArn
            self.weight = weight
        }
    }

    package init(arn: String, stateMachineArn: String, name: String, description: String?, routing: [Route],
                 createdMillis: Int64, updatedMillis: Int64) {
        self.arn = arn
        self.stateMachineArn = stateMachineArn
        self.name = name
        self.description = description
        self.routing = routing
        self.createdMillis = createdMillis
        self.updatedMillis = updatedMillis
    }
}

/// An activity that workers poll.
package struct ActivityRecord: Sendable, Equatable {
    package var arn: String
    package var name: String
    package var createdMillis: Int64

    package init(arn: String, name: String, createdMillis: Int64) {
        self.arn = arn
        self.name = name
        self.createdMillis = createdMillis
    }
}

/// Everything that must commit together for one execution step.
package struct JournalBatch: Sendable {
    package var execution: ExecutionRecord
    /// The `lastEventId` this step was decided on; nil when the step creates the execution.
    package var expectedVersion: Int?
    package var events: [HistoryEvent] = []
    package var outboxAdds: [OutboxEntry] = []
    package var outboxRemovals: [String] = []
    package var timerAdds: [TimerRecord] = []
    package var timerRemovals: [Int] = []
    package var tokenAdds: [TaskTokenRecord] = []
    package var tokenRemovals: [String] = []
    /// When the execution ended: its tokens and timers all go.
    package var clearsWaits = false
    /// Services' own writes that commit with this step (a webhook delivery that this step
    /// applies, so it is never acknowledged without its effect, nor applied twice).
    package var attachments: [StepAttachment] = []

    package init(execution: ExecutionRecord, expectedVersion: Int?) {
        self.execution = execution
        self.expectedVersion = expectedVersion
    }

    /// Whether the step writes its execution's row and nothing else (a synchronous Express
    /// run's): one statement, which SQL applies whole or not at all.
    package var writesTheRowAlone: Bool {
        events.isEmpty && outboxAdds.isEmpty && outboxRemovals.isEmpty && timerAdds.isEmpty && timerRemovals.isEmpty
            && tokenAdds.isEmpty && tokenRemovals.isEmpty && !clearsWaits && attachments.isEmpty
    }
}

extension JournalStore {
    package func timers() async throws(JournalError) -> [TimerRecord] { try await timers(dueBefore: nil) }

    package func appendVisible(_ batch: JournalBatch) async throws(JournalError) { try await append(batch) }

    package func appendDetached(_ batch: JournalBatch) -> Bool { false }

    /// Whether the services' own stores live in this journal's database, so that a Task
    /// handler's write can be attached to the step that schedules it (see
    /// `TransactionalTaskHandler`). The SQLite journal is that database; the PostgreSQL journal
    /// is not yet, for the services still on SQLite.
    package var servicesShareTheDatabase: Bool { true }
}

/// The journal: the only durable state of the engine.
package protocol JournalStore: Sendable {
    /// Whether services' own stores share this journal's database (see the extension's default).
    var servicesShareTheDatabase: Bool { get }
    /// Commits one step atomically. Throws `.versionConflict` (nothing written) when the
    /// execution's last event id is not `expectedVersion`, or `.alreadyExists` on creation.
    func append(_ batch: JournalBatch) async throws(JournalError)
    /// `append`, answered once the batch is written into the next commit rather than once that
    /// commit is durable: for a record a crash may lose without breaking a promise. Errors of
    /// the batch itself (a conflict, a name taken) are still reported. By default, `append`.
    func appendVisible(_ batch: JournalBatch) async throws(JournalError)
    /// Queues a batch that nobody waits for: it joins a later commit, and should it fail (a
    /// name taken, a full disk) it is dropped. For a record whose caller already has
    /// everything it says and that AWS does not keep (a synchronous Express run's row). False
    /// when the journal does not queue batches so, or has too many queued: the caller then
    /// appends as usual. By default, false.
    func appendDetached(_ batch: JournalBatch) -> Bool
    /// Stores a definition and returns its id.
    func saveDefinition(stateMachineArn: String, definition: String) async throws(JournalError) -> Int64
    func definition(id: Int64) async throws(JournalError) -> String?
    func execution(arn: String) async throws(JournalError) -> ExecutionRecord?
    func history(arn: String) async throws(JournalError) -> [HistoryEvent]
    /// Deletes up to `limit` finished executions (never a running one) that stopped before
    /// `stoppedBefore` (ms), oldest first, with their events, payloads and leftovers; returns
    /// how many (the history retention sweep).
    func deleteFinishedExecutions(stoppedBefore: Int64, limit: Int) async throws(JournalError) -> Int
    /// The events after event `after`, at most `limit` of them, in order (a live view's next part).
    func history(arn: String, after: Int, limit: Int) async throws(JournalError) -> [HistoryEvent]
    func executions(status: ExecutionStatus?) async throws(JournalError) -> [ExecutionRecord]
    /// ARNs of running executions started at or before `startedBy` (ms), oldest first, at
    /// most `limit`: the runs that outlived the maximum duration, for the engine's sweep.
    func runningExecutions(startedBy: Int64, limit: Int) async throws(JournalError) -> [String]
    /// One page of a state machine's executions, newest first (at most `query.limit`).
    func listExecutions(_ query: ExecutionQuery) async throws(JournalError) -> [ExecutionSummary]
    /// Timers due at or before `dueBefore` (all when nil), earliest first.
    func timers(dueBefore: Int64?) async throws(JournalError) -> [TimerRecord]
    func outbox() async throws(JournalError) -> [OutboxEntry]
    func token(_ token: String) async throws(JournalError) -> TaskTokenRecord?
    func tokens(activityArn: String) async throws(JournalError) -> [TaskTokenRecord]
    /// Open tokens of callback tasks (not activities).
    func callbackTokens() async throws(JournalError) -> [TaskTokenRecord]

    /// Creates or replaces a state machine (UpdateStateMachine replaces).
    func putStateMachine(_ record: StateMachineRecord) async throws(JournalError)
    func stateMachine(arn: String) async throws(JournalError) -> StateMachineRecord?
    func stateMachines() async throws(JournalError) -> [StateMachineRecord]
    /// Deletes a state machine and its versions; its executions stay.
    func deleteStateMachine(arn: String) async throws(JournalError)
    /// Publishes a version; throws `.alreadyExists` when that number is taken.
    func putVersion(_ record: StateMachineVersionRecord) async throws(JournalError)
    func versions(stateMachineArn: String) async throws(JournalError) -> [StateMachineVersionRecord]
    func deleteVersion(arn: String) async throws(JournalError)

    /// Stores a function's configuration (JSON text) and, when given, its code.
    func putFunction(name: String, config: String, code: [UInt8]?) async throws(JournalError)
    func functions() async throws(JournalError) -> [(name: String, config: String, code: [UInt8]?)]
    func deleteFunction(name: String) async throws(JournalError)

    func putAlias(_ record: AliasRecord) async throws(JournalError)
    func aliases(stateMachineArn: String) async throws(JournalError) -> [AliasRecord]
    func deleteAlias(arn: String) async throws(JournalError)

    func tags(resourceArn: String) async throws(JournalError) -> [(key: String, value: String)]
    func tag(resourceArn: String, _ tags: [(key: String, value: String)]) async throws(JournalError)
    func untag(resourceArn: String, keys: [String]) async throws(JournalError)

    /// Open tokens registered under a correlation key, by execution and task.
    func tokens(correlation: String) async throws(JournalError) -> [TaskTokenRecord]
    /// The execution that last registered a correlation key, even if its token has closed.
    func correlationOwner(_ correlation: String) async throws(JournalError) -> String?

    /// Creates an activity; throws `.alreadyExists` when the ARN is taken.
    func putActivity(_ record: ActivityRecord) async throws(JournalError)
    func activities() async throws(JournalError) -> [ActivityRecord]
    func deleteActivity(arn: String) async throws(JournalError)
}
