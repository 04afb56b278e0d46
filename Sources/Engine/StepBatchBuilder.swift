import Foundation
import Journal
import StatesInterpreter
import StatesLanguage

/// Turns one decided step into the journal batch that commits it: the execution row with
/// the new snapshot, the events, and the outbox, timer and token rows that appeared or went.
enum StepBatchBuilder {
    /// What of the state the rows mirror, taken before the step.
    struct Snapshot {
        var tasks: Set<TaskID>
        var timers: Set<TimerID>
        var tokens: [TaskID: String]

        init(_ s: ExecutionState) {
            tasks = Set(s.pendingTasks)
            timers = Set(s.pendingTimers)
            tokens = s.openTokens
        }
    }

    static func outboxKey(_ arn: String, _ task: TaskID) -> String { "\(arn)#\(task.rawValue)" }

    /// `started`: tasks reported started in this step; for callback tasks that confirms the
    /// invocation, so their outbox rows go and a restart does not perform them again.
    static func batch(record: ExecutionRecord, expectedVersion: Int?, before: Snapshot, after state: ExecutionState,
                      decision: Decision, now: Timestamp, started: [TaskID] = [],
                      attachments: [StepAttachment] = [],
                      scheduling: (TaskInvocation) -> SchedulingWrites = { _ in SchedulingWrites() }) throws(EngineError) -> JournalBatch
    {
        var row = record
        let arn = record.arn
        row.status = state.status
        row.lastEventId = state.eventCount
        if state.status == .running {
            row.snapshot = try SnapshotCodec.encode(state)
            // A redriven execution runs again: its end is no longer known.
            row.stopMillis = nil
            row.output = nil
            row.error = nil
            row.cause = nil
        } else {
            row.snapshot = nil
            row.stopMillis = now.milliseconds
            row.setOutput(value: state.output)
            row.error = state.failure?.error
            row.cause = state.failure?.cause
        }
        var b = JournalBatch(execution: row, expectedVersion: expectedVersion)
        b.events = decision.events
        let after = Snapshot(state)
        for effect in decision.effects {
            switch effect {
            case .invokeTask(let inv) where after.tasks.contains(inv.id) && state.activityArn(of: inv.id) == nil:
                guard let data = try? JSONEncoder().encode(inv) else { throw .internalFailure("cannot encode a task invocation") }
                b.outboxAdds.append(OutboxEntry(key: outboxKey(arn, inv.id), executionArn: arn,
                                                payload: String(decoding: data, as: UTF8.self)))
            case .startTimer(let id, let due) where after.timers.contains(id):
                b.timerAdds.append(TimerRecord(executionArn: arn, timerId: id.rawValue, dueMillis: due.milliseconds))
            default:
                break
            }
        }
        var inputs: [TaskID: String] = [:]
        var correlations: [TaskID: String] = [:]
        var handlerWrites: [StepAttachment] = []
        for effect in decision.effects {
            if case .invokeTask(let inv) = effect {
                inputs[inv.id] = inv.parameters.serialized
                // Only for a task this step leaves scheduled (not one decided and ended within it).
                guard after.tasks.contains(inv.id) else { continue }
                let writes = scheduling(inv)
                correlations[inv.id] = writes.correlation
                handlerWrites += writes.attachments
            }
        }
        // A callback task's invocation is confirmed once it started; a synchronous one only by
        // its outcome (a crash in between performs it again).
        for t in before.tasks.subtracting(after.tasks).union(started.filter { before.tasks.contains($0) && after.tokens[$0] != nil }) {
            b.outboxRemovals.append(outboxKey(arn, t))
        }
        for t in before.timers.subtracting(after.timers) { b.timerRemovals.append(t.rawValue) }
        for (task, token) in after.tokens where before.tokens[task] == nil {
            b.tokenAdds.append(TaskTokenRecord(token: token, executionArn: arn, taskId: task.rawValue,
                                               activityArn: state.activityArn(of: task), input: inputs[task],
                                               correlation: correlations[task]))
        }
        for (task, token) in before.tokens where after.tokens[task] == nil { b.tokenRemovals.append(token) }
        b.clearsWaits = state.status != .running
        b.attachments = attachments + handlerWrites
        return b
    }
}

/// What a step writes for a task it schedules besides the task itself, from the task's
/// handler: a key its token can be found by, and the handler's own writes (committed with the
/// step, so "schedule the task" and "do its durable part" happen together or not at all).
struct SchedulingWrites {
    var correlation: String?
    var attachments: [StepAttachment] = []
}
