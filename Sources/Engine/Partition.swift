import Foundation
import Journal
import StatesInterpreter
import StatesLanguage

/// One partition of executions. An execution always lands on the same partition (by the
/// hash of its ARN); steps of one execution run one at a time, steps of different executions
/// interleave, and their journal appends meet in the journal's group commit.
actor Partition {
    let journal: any JournalStore
    let clock: any EngineClock
    /// What a task's handler writes in the step that schedules it: its token's correlation
    /// key (webhook waits) and its own writes (`TransactionalTaskHandler`).
    let scheduling: @Sendable (TaskInvocation) -> SchedulingWrites
    /// A worker waiting on an activity, reserved for a task this step schedules (nil: none).
    let reserveWorker: @Sendable (TaskInvocation, String) async -> ActivityBoard.Reservation?
    private var keys = KeyedWaiters()
    /// The last committed row and state of executions this partition parked moments ago (see
    /// `ParkedRuns`): the step that resumes one skips the journal read and the snapshot decode.
    private var parked = ParkedRuns()

    init(journal: any JournalStore, clock: any EngineClock, scheduling: @escaping @Sendable (TaskInvocation) -> SchedulingWrites = { _ in SchedulingWrites() },
         reserveWorker: @escaping @Sendable (TaskInvocation, String) async -> ActivityBoard.Reservation? = { _, _ in nil }) {
        self.journal = journal
        self.clock = clock
        self.scheduling = scheduling
        self.reserveWorker = reserveWorker
    }

    /// Activity tasks this step schedules that a waiting worker takes at once: each one's
    /// ActivityStarted is decided into the same step, so it commits with its scheduling.
    private func startReserved(_ state: inout ExecutionState, _ decision: inout Decision, interpreter: Interpreter, at now: Timestamp)
        async -> [TaskID: ActivityBoard.Reservation]
    {
        var reservations: [TaskID: ActivityBoard.Reservation] = [:]
        for effect in decision.effects {
            guard case .invokeTask(let inv) = effect, state.pendingTasks.contains(inv.id), let activity = state.activityArn(of: inv.id),
                  let reservation = await reserveWorker(inv, activity) else { continue }
            let d = interpreter.decide(&state, on: Trigger(.taskStarted(inv.id, workerName: reservation.workerName), at: now, entropy: Self.entropy()))
            decision.events.append(contentsOf: d.events)
            decision.effects.append(contentsOf: d.effects)
            reservations[inv.id] = reservation
        }
        return reservations
    }

    private func release(_ reservations: [TaskID: ActivityBoard.Reservation]) async {
        for r in reservations.values { await r.board.release(r) }
    }

    private func acquire(_ arn: String) async {
        if keys.tryAcquire(arn) { return }
        await withCheckedContinuation { keys.enqueue(arn, $0) }
    }

    private func release(_ arn: String) { keys.release(arn)?.resume() }

    static func entropy() -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        for _ in 0..<2 {
            let v = g.next()
            for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
        }
        return bytes
    }

    /// Starts an execution: decides its first step and commits it with the execution row.
    func start(_ record: ExecutionRecord, input: JSON, context: ExecutionContext, interpreter: Interpreter,
               attachments: [StepAttachment] = [])
        async throws(EngineError) -> StepResult
    {
        await acquire(record.arn)
        defer { release(record.arn) }
        var state = ExecutionState(context: context, input: input, seed: UInt64.random(in: 0...UInt64.max))
        let before = StepBatchBuilder.Snapshot(state)
        let trigger = Trigger(.start(input: input, context: context, randomSeed: UInt64.random(in: 0...UInt64.max)),
                              at: clock.now(), entropy: Self.entropy())
        var decision = interpreter.decide(&state, on: trigger)
        let reservations = await startReserved(&state, &decision, interpreter: interpreter, at: trigger.now)
        let batch: JournalBatch
        do {
            batch = try StepBatchBuilder.batch(record: record, expectedVersion: nil, before: before, after: state,
                                               decision: decision, now: trigger.now, attachments: attachments, scheduling: scheduling)
        } catch {
            await release(reservations)
            throw error
        }
        do {
            try await journal.append(batch)
        } catch {
            await release(reservations)
            if error.code == .alreadyExists { throw .executionAlreadyExists(record.arn) }
            throw .internalFailure("the journal refused the step: \(error)")
        }
        parked.committed(batch.execution, state)
        return StepResult(record: batch.execution, effects: decision.effects, state: state, events: batch.events,
                          activityTasks: batch.tokenAdds.filter { $0.activityArn != nil }, closedTokens: batch.tokenRemovals, reservations: reservations)
    }

    /// Redrives a finished execution from a state rebuilt by the caller, as one step.
    func redrive(_ record: ExecutionRecord, state: ExecutionState, kind: Trigger.Kind, interpreter: Interpreter,
                 attachments: [StepAttachment] = [])
        async throws(EngineError) -> StepResult
    {
        await acquire(record.arn)
        defer { release(record.arn) }
        var state = state
        let before = StepBatchBuilder.Snapshot(state)
        let trigger = Trigger(kind, at: clock.now(), entropy: Self.entropy())
        let decision = interpreter.decide(&state, on: trigger)
        let batch = try StepBatchBuilder.batch(record: record, expectedVersion: record.lastEventId, before: before, after: state,
                                               decision: decision, now: trigger.now, attachments: attachments, scheduling: scheduling)
        parked.forget(record.arn)
        do {
            try await journal.append(batch)
        } catch {
            throw .internalFailure("the journal refused the step: \(error)")
        }
        parked.committed(batch.execution, state)
        return StepResult(record: batch.execution, effects: decision.effects, state: state, events: batch.events,
                          activityTasks: batch.tokenAdds.filter { $0.activityArn != nil }, closedTokens: batch.tokenRemovals)
    }

    /// Applies triggers to a running execution as one step. Returns nil when the execution is
    /// not running (its triggers are stale and change nothing). With `token`, the triggers are
    /// a callback that names its task by a token: unless the execution is running and that task
    /// is open holding exactly this token, nothing changes and the callback is answered
    /// TaskTimedOut, as AWS answers one for a task that has closed.
    func deliver(_ arn: String, _ kinds: [Trigger.Kind], attachments: [StepAttachment] = [], traceHeader: String? = nil,
                 token: (task: TaskID, token: String)? = nil,
                 interpreterFor: (Int64) async throws(EngineError) -> Interpreter)
        async throws(EngineError) -> StepResult?
    {
        await acquire(arn)
        defer { release(arn) }
        // First from what this partition committed last, if it is remembered; should the journal
        // hold a newer step than that (another node's, after a lease moved), the append below is
        // refused as stale and the step is decided again from the journal.
        if let memo = parked.take(arn) {
            do throws(EngineError) {
                return try await step(arn, memo.record, memo.state, kinds, attachments: attachments, traceHeader: traceHeader, token: token,
                                      interpreterFor: interpreterFor)
            } catch .staleMemo {}
        }
        let record: ExecutionRecord?
        do { record = try await journal.execution(arn: arn) } catch { throw .internalFailure("\(error)") }
        guard let record, record.status == .running, let snapshot = record.snapshot else {
            if token != nil { throw .taskTimedOut(Engine.closedTask) }
            return nil
        }
        let state = try SnapshotCodec.decode(snapshot)
        do throws(EngineError) {
            return try await step(arn, record, state, kinds, attachments: attachments, traceHeader: traceHeader, token: token,
                                  interpreterFor: interpreterFor)
        } catch .staleMemo {
            throw .internalFailure("the journal refused the step: a version conflict")
        }
    }

    /// `deliver`'s step from a row and its decoded state (the partition's key held).
    private func step(_ arn: String, _ record: ExecutionRecord, _ state: ExecutionState, _ kinds: [Trigger.Kind], attachments: [StepAttachment],
                      traceHeader: String?, token: (task: TaskID, token: String)?,
                      interpreterFor: (Int64) async throws(EngineError) -> Interpreter)
        async throws(EngineError) -> StepResult?
    {
        var state = state
        if let token, state.token(of: token.task) != token.token { throw .taskTimedOut(Engine.closedTask) }
        let interpreter = try await interpreterFor(record.definitionId)
        let before = StepBatchBuilder.Snapshot(state)
        let now = clock.now()
        var decision = Decision()
        for kind in kinds {
            let d = interpreter.decide(&state, on: Trigger(kind, at: now, entropy: Self.entropy(), traceHeader: traceHeader))
            decision.events.append(contentsOf: d.events)
            decision.effects.append(contentsOf: d.effects)
        }
        if decision.events.isEmpty && decision.effects.isEmpty { return nil }
        let reservations = await startReserved(&state, &decision, interpreter: interpreter, at: now)
        let started = kinds.compactMap { k -> TaskID? in if case .taskStarted(let id, _) = k { return id }; return nil }
        let batch: JournalBatch
        do {
            batch = try StepBatchBuilder.batch(record: record, expectedVersion: record.lastEventId, before: before,
                                               after: state, decision: decision, now: now, started: started,
                                               attachments: attachments, scheduling: scheduling)
            try await journal.append(batch)
        } catch {
            await release(reservations)
            if let e = error as? EngineError { throw e }
            if let e = error as? JournalError, e.code == .versionConflict { throw .staleMemo }
            throw .internalFailure("the journal refused the step: \(error)")
        }
        parked.committed(batch.execution, state)
        return StepResult(record: batch.execution, effects: decision.effects, state: state, events: batch.events,
                          activityTasks: batch.tokenAdds.filter { $0.activityArn != nil }, closedTokens: batch.tokenRemovals, reservations: reservations)
    }

    /// Forgets every remembered execution (the partition's lease moved: another node may step them).
    func forgetParked() { parked = ParkedRuns() }
}

/// What a committed step leaves for the shell to perform.
struct StepResult: Sendable {
    var record: ExecutionRecord
    var effects: [Effect]
    var state: ExecutionState
    /// The events the step committed (what metrics count).
    var events: [HistoryEvent]
    /// The activity tasks the step scheduled, as their tokens' rows (what workers are handed).
    var activityTasks: [TaskTokenRecord] = []
    /// Tokens the step closed (their tasks ended): the board forgets its claims on them.
    var closedTokens: [String] = []
    /// Workers that took tasks of this step as it was decided: handed them once it commits.
    var reservations: [TaskID: ActivityBoard.Reservation] = [:]
}
