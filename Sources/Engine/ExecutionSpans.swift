import Foundation
import Journal
import StatesInterpreter
import StatesLanguage

/// OpenTelemetry spans of executions, their states and their tasks, made from committed events
/// when tracing is on. An execution's span id is derived from its ARN (and redrive count), so
/// a run that outlives a process keeps one span; it is sent when the run ends, spanning its
/// start to its end, as the child of the request (or delivery, or event) that started it. A
/// state's span goes from its entered event to its exited one; a task's covers its
/// invocation, and its id is the parent a function sees in its trace header.
///
/// Open states are remembered in memory only while tracing is on: a state still open when the
/// process stops gets no span (its execution's span still covers it).
final class ExecutionSpans: @unchecked Sendable {
    // @unchecked Sendable: `open` is touched only under `lock`.
    private let lock = NSLock()
    /// Per execution, per state name, the spans open now (a Map's iterations open one state
    /// many times): id and start.
    private var open: [String: [String: [(id: String, start: Int64)]]] = [:]

    static let terminal: Set<String> = ["ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"]

    /// The execution's trace and the span that started it; a run started outside any trace
    /// gets a trace of its own, derived from its ARN.
    static func trace(arn: String, header: String?) -> (traceId: String, parent: String?, sampled: Bool) {
        if let header, let t = TraceContext(header: header) { return (t.traceId, t.parentId, t.sampled) }
        let traceId = Spans.derivedId("trace|" + arn, digits: 32)
        return (traceId, nil, Spans.sampled(nil, traceId: traceId))
    }

    static func executionSpanId(arn: String, redriveCount: Int) -> String {
        Spans.derivedId("execution|\(arn)|\(redriveCount)")
    }

    func committed(_ record: ExecutionRecord, _ events: [HistoryEvent]) {
        let (traceId, parent, sampled) = Self.trace(arn: record.arn, header: record.traceHeader)
        guard sampled else { return }
        // Derived (a SHA-256) once per step, and only when a span needs it.
        var derived: String?
        func executionSpan() -> String {
            if let derived { return derived }
            let id = Self.executionSpanId(arn: record.arn, redriveCount: record.redriveCount)
            derived = id
            return id
        }
        for e in events {
            let at = e.timestamp.milliseconds * 1_000_000
            if e.type.hasSuffix("StateEntered"), let name = e.details["name"]?.stringValue {
                if e.type == "FailStateEntered" {
                    emitState(name, type: e.type, traceId: traceId, parent: executionSpan(), id: Spans.newSpanId(), start: at, end: at,
                              arn: record.arn, error: e.details["error"]?.stringValue ?? "Fail")
                } else {
                    lock.withLock { open[record.arn, default: [:]][name, default: []].append((Spans.newSpanId(), at)) }
                }
            } else if e.type.hasSuffix("StateExited"), let name = e.details["name"]?.stringValue {
                let span: (id: String, start: Int64)? = lock.withLock { open[record.arn]?[name]?.popLast() }
                if let span {
                    emitState(name, type: e.type, traceId: traceId, parent: executionSpan(), id: span.id, start: span.start, end: at, arn: record.arn)
                }
            } else if Self.terminal.contains(e.type) {
                let failed = e.type == "ExecutionSucceeded" ? nil : (e.details["error"]?.stringValue ?? e.type)
                let left = lock.withLock { open.removeValue(forKey: record.arn) } ?? [:]
                for (name, spans) in left {
                    for span in spans {
                        emitState(name, type: "", traceId: traceId, parent: executionSpan(), id: span.id, start: span.start, end: at,
                                  arn: record.arn, error: failed ?? "ended with the execution")
                    }
                }
                let machine = record.stateMachineArn.split(separator: ":").last.map(String.init) ?? record.stateMachineArn
                Spans.emit(SpanRecord(traceId: traceId, spanId: executionSpan(), parentSpanId: parent, name: "execution \(machine)", kind: .internal,
                                      startNanos: record.startMillis * 1_000_000, endNanos: at,
                                      attributes: [("aws.step_functions.execution_arn", .string(record.arn)),
                                                   ("aws.step_functions.state_machine_arn", .string(record.stateMachineArn)),
                                                   ("aws.step_functions.status", .string(String(e.type.dropFirst("Execution".count)).uppercased())),
                                                   ("aws.step_functions.redrive_count", .int(Int64(record.redriveCount)))],
                                      error: failed))
            }
        }
    }

    private func emitState(_ name: String, type: String, traceId: String, parent: String, id: String, start: Int64, end: Int64, arn: String,
                           error: String? = nil) {
        // The execution's ARN is on the execution's span, this one's parent: not repeated per state.
        var attributes: [(String, SpanRecord.Value)] = [("aws.step_functions.state_name", .string(name))]
        // "PassStateExited" → "Pass" (no Foundation search on a hot path).
        for suffix in ["StateExited", "StateEntered"] where type.hasSuffix(suffix) && type.count > suffix.count {
            attributes.append(("aws.step_functions.state_type", .string(String(type.dropLast(suffix.count)))))
        }
        Spans.emit(SpanRecord(traceId: traceId, spanId: id, parentSpanId: parent, name: "state \(name)", kind: .internal, startNanos: start,
                              endNanos: end, attributes: attributes, error: error))
    }

    /// The span a task of `state` runs under: the state's open span, if this process saw it open.
    func stateSpan(arn: String, state: String) -> String? {
        lock.withLock { open[arn]?[state]?.last?.id }
    }
}
