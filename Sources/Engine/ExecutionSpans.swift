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
package final class ExecutionSpans: @unchecked Sendable {
    // @unchecked Sendable: `open` is touched only under `lock`.
    private let lock = NSLock()
    /// Per execution, per state name, the spans open now (a Map's iterations open one state
    /// many times): id and start.
    private var open: [String: [String: [(id: SpanId, start: Int64)]]] = [:]

    /// Where finished spans go, a step's at once: the process's exporter, or a test's list.
    private let emit: @Sendable ([SpanRecord]) -> Void

    package init(emitAll: @escaping @Sendable ([SpanRecord]) -> Void = { Spans.emit(contentsOf: $0) }) { self.emit = emitAll }

    /// One span at a time (tests).
    package convenience init(emit one: @escaping @Sendable (SpanRecord) -> Void) {
        self.init(emitAll: { spans in for span in spans { one(span) } })
    }

    static let terminal: Set<String> = ["ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"]

    /// The execution's trace and the span that started it; a run started outside any trace
    /// gets a trace of its own, derived from its ARN.
    static func trace(arn: String, header: String?) -> (traceId: TraceId, parent: SpanId?, sampled: Bool) {
        if let header, let t = TraceContext(header: header) { return (t.traceId, t.parentId, t.sampled) }
        let traceId = Spans.derivedTraceId("trace|" + arn)
        return (traceId, nil, Spans.sampled(nil, traceId: traceId))
    }

    static func executionSpanId(arn: String, redriveCount: Int) -> SpanId {
        Spans.derivedSpanId("execution|\(arn)|\(redriveCount)")
    }

    package func committed(_ record: ExecutionRecord, _ events: [HistoryEvent]) {
        let (traceId, parent, sampled) = Self.trace(arn: record.arn, header: record.traceHeader)
        guard sampled else { return }
        // Derived (a SHA-256) once per step, and only when a span needs it.
        var derived: SpanId?
        func executionSpan() -> SpanId {
            if let derived { return derived }
            let id = Self.executionSpanId(arn: record.arn, redriveCount: record.redriveCount)
            derived = id
            return id
        }
        // States entered and exited within this step (a chain of Pass states, most steps) are
        // paired here; only those still open when the step ends go to the shared table.
        var opened: [(name: String, id: SpanId, start: Int64)] = []
        // The step's spans, handed on together when it is read.
        var made: [SpanRecord] = []
        defer { emit(made) }
        for i in events.indices {
            let type = events[i].type
            let kind = Self.kind(type)
            if kind == .other { continue }
            let at = events[i].timestamp.milliseconds * 1_000_000
            switch kind {
            case .entered(let stateType):
                guard let name = events[i].details["name"]?.stringValue else { continue }
                if type == "FailStateEntered" {
                    emitState(&made, name, stateType: stateType, traceId: traceId, parent: executionSpan(), id: Spans.newSpanId(), start: at, end: at,
                              error: events[i].details["error"]?.stringValue ?? "Fail")
                } else {
                    opened.append((name, Spans.newSpanId(), at))
                }
            case .exited(let stateType):
                guard let name = events[i].details["name"]?.stringValue else { continue }
                if let j = opened.lastIndex(where: { $0.name == name }) {
                    let span = opened.remove(at: j)
                    emitState(&made, name, stateType: stateType, traceId: traceId, parent: executionSpan(), id: span.id, start: span.start, end: at)
                } else if let span = lock.withLock({ open[record.arn]?[name]?.popLast() }) {
                    emitState(&made, name, stateType: stateType, traceId: traceId, parent: executionSpan(), id: span.id, start: span.start, end: at)
                }
            case .terminal:
                let failed = type == "ExecutionSucceeded" ? nil : (events[i].details["error"]?.stringValue ?? type)
                var left: [(name: String, id: SpanId, start: Int64)] = opened
                opened = []
                let stillOpen: [String: [(id: SpanId, start: Int64)]] = lock.withLock { open.removeValue(forKey: record.arn) } ?? [:]
                for (name, spans) in stillOpen {
                    for span in spans { left.append((name, span.id, span.start)) }
                }
                for span in left {
                    emitState(&made, span.name, stateType: nil, traceId: traceId, parent: executionSpan(), id: span.id, start: span.start, end: at,
                              error: failed ?? "ended with the execution")
                }
                let machine = record.stateMachineArn.lastIndex(of: ":").map { String(record.stateMachineArn[record.stateMachineArn.index(after: $0)...]) }
                    ?? record.stateMachineArn
                made.append(SpanRecord(traceId: traceId, spanId: executionSpan(), parentSpanId: parent, name: "execution " + machine, kind: .internal,
                                      startNanos: record.startMillis * 1_000_000, endNanos: at,
                                      attributes: [("aws.step_functions.execution_arn", .string(record.arn)),
                                                   ("aws.step_functions.state_machine_arn", .string(record.stateMachineArn)),
                                                   ("aws.step_functions.status", .string(String(type.dropFirst("Execution".count)).uppercased())),
                                                   ("aws.step_functions.redrive_count", .int(Int64(record.redriveCount)))],
                                      error: failed))
            case .other:
                break
            }
        }
        if !opened.isEmpty {
            lock.withLock {
                for span in opened { open[record.arn, default: [:]][span.name, default: []].append((span.id, span.start)) }
            }
        }
    }

    /// What an event means to spans, from its type's bytes: "PassStateEntered" enters a Pass
    /// state (no Foundation search, no Character comparisons on a hot path).
    enum EventKind: Equatable {
        case entered(Substring), exited(Substring), terminal, other
    }

    static func kind(_ type: String) -> EventKind {
        if type.utf8.last == UInt8(ascii: "d") {
            if let prefix = Self.prefix(type, before: "StateEntered") { return .entered(prefix) }
            if let prefix = Self.prefix(type, before: "StateExited") { return .exited(prefix) }
            if terminal.contains(type) { return .terminal }
        } else if type.hasPrefix("Execution"), terminal.contains(type) {
            return .terminal
        }
        return .other
    }

    /// `type` without `suffix`, when it ends so (and is longer).
    static func prefix(_ type: String, before suffix: StaticString) -> Substring? {
        let n = suffix.utf8CodeUnitCount
        var text = type
        let matches = text.withUTF8 { bytes -> Bool in
            guard bytes.count > n else { return false }
            return suffix.withUTF8Buffer { want in bytes[(bytes.count - n)...].elementsEqual(want) }
        }
        return matches ? type[..<type.utf8.index(type.utf8.endIndex, offsetBy: -n)] : nil
    }

    private func emitState(_ made: inout [SpanRecord], _ name: String, stateType: Substring?, traceId: TraceId, parent: SpanId, id: SpanId, start: Int64, end: Int64,
                           error: String? = nil) {
        // The execution's ARN is on the execution's span, this one's parent: not repeated per state.
        var attributes: [(String, SpanRecord.Value)] = [("aws.step_functions.state_name", .string(name))]
        if let stateType { attributes.append(("aws.step_functions.state_type", .string(String(stateType)))) }
        made.append(SpanRecord(traceId: traceId, spanId: id, parentSpanId: parent, name: "state " + name, kind: .internal, startNanos: start,
                              endNanos: end, attributes: attributes, error: error))
    }

    /// The span a task of `state` runs under: the state's open span, if this process saw it open.
    func stateSpan(arn: String, state: String) -> SpanId? {
        lock.withLock { open[arn]?[state]?.last?.id }
    }
}
