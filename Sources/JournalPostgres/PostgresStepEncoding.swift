import Journal
import NIOCore
import StatesInterpreter
import StatesLanguage

/// A step as `baton_append_steps` reads it: one JSON object (every text a JSON string, so it
/// comes out as written) and its snapshot beside it (empty for none).
struct EncodedStep: Sendable {
    var json: String
    var snapshot: ByteBuffer

    init(_ b: JournalBatch, fence: LeaseFence?) throws(JournalError) {
        let e = b.execution
        var o: JSONObject = [
            "arn": .string(e.arn), "status": .string(e.status.rawValue), "output": Self.text(e.output), "error": Self.text(e.error),
            "cause": Self.text(e.cause), "stop": Self.int(e.stopMillis), "last": .int(Int64(e.lastEventId)),
            "redrives": .int(Int64(e.redriveCount)), "redriveMs": Self.int(e.redriveMillis),
        ]
        if let expected = b.expectedVersion {
            o["expected"] = .int(Int64(expected))
        } else {
            o["machine"] = .string(e.stateMachineArn)
            o["definition"] = .int(e.definitionId)
            o["name"] = .string(e.name)
            o["input"] = .string(e.input)
            o["start"] = .int(e.startMillis)
            o["qualified"] = Self.text(e.qualifiedArn)
            o["trace"] = Self.text(e.traceHeader)
        }
        // An Express run's rows are its node's alone (it runs in memory there): no lease to check.
        if let fence, !e.arn.contains(":express:") {
            let p = fence.partition(of: e.arn)
            guard let token = fence.token(p) else { throw JournalError(.fenced, "partition \(p) is not held by node \(fence.node)") }
            o["fence"] = ["p": .int(Int64(p)), "t": .int(token)]
        }
        if !b.events.isEmpty {
            o["events"] = .array(b.events.map { ev in
                ["id": .int(Int64(ev.id)), "prev": .int(Int64(ev.previousEventId)), "ts": .int(ev.timestamp.milliseconds),
                 "type": .string(ev.type), "key": Self.text(ev.detailsKey),
                 "details": ev.detailsKey == nil ? .null : .string(JSON.object(ev.details).serialized)]
            })
        }
        if !b.outboxAdds.isEmpty {
            o["outboxAdds"] = .array(b.outboxAdds.map { ["key": .string($0.key), "arn": .string($0.executionArn), "payload": .string($0.payload)] })
        }
        if !b.outboxRemovals.isEmpty { o["outboxRemovals"] = .array(b.outboxRemovals.map { .string($0) }) }
        if !b.timerAdds.isEmpty {
            o["timerAdds"] = .array(b.timerAdds.map { ["arn": .string($0.executionArn), "id": .int(Int64($0.timerId)), "due": .int($0.dueMillis)] })
        }
        if !b.timerRemovals.isEmpty { o["timerRemovals"] = .array(b.timerRemovals.map { .int(Int64($0)) }) }
        if !b.tokenAdds.isEmpty {
            o["tokenAdds"] = .array(b.tokenAdds.map { t in
                ["token": .string(t.token), "arn": .string(t.executionArn), "task": .int(Int64(t.taskId)), "activity": Self.text(t.activityArn),
                 "input": Self.text(t.input), "correlation": Self.text(t.correlation)]
            })
        }
        if !b.tokenRemovals.isEmpty { o["tokenRemovals"] = .array(b.tokenRemovals.map { .string($0) }) }
        if b.clearsWaits { o["clearsWaits"] = true }
        json = JSON.object(o).serialized
        snapshot = ByteBuffer(bytes: e.snapshot ?? [])
    }

    static func text(_ s: String?) -> JSON { s.map { .string($0) } ?? .null }
    static func int(_ i: Int64?) -> JSON { i.map { .int($0) } ?? .null }

    /// A step's result from `baton_append_steps`: '' for applied, else its SQLSTATE and message.
    static func outcome(_ result: String) -> Result<Void, JournalError> {
        guard !result.isEmpty else { return .success(()) }
        let code = String(result.prefix { $0 != " " })
        let message = String(result.dropFirst(code.count + 1))
        switch code {
        case "BT001": return .failure(JournalError(.versionConflict, message))
        case "BT002": return .failure(JournalError(.notFound, message))
        case "BT003": return .failure(JournalError(.fenced, message))
        case "BT004", "23505": return .failure(JournalError(.alreadyExists, message))
        default: return .failure(JournalError(.postgres(code), "the step was not applied: \(message)"))
        }
    }
}
