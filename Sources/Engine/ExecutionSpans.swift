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

    /// The execution's trace and the span that started it; a run started outside any trace
    /// gets a trace of its own, derived from its ARN.
    static func trace(arn: String, header: String?) -> (traceId: TraceId, parent: SpanId?, sampled: Bool) {
        if let header, let t = TraceContext(header: header) { return (t.traceId, t.parentId, t.sampled) }
        let traceId = Spans.derivedTraceId("trace|" + arn)
        return (traceId, nil, Spans.sampled(nil, traceId: traceId))
    }

    static func executionSpanId(arn: String, redriveCount: Int) -> SpanId {
        Spans.derivedSpanId("execution|", arn, "|", String(redriveCount))
    }

    package func committed(_ record: ExecutionRecord, _ events: [HistoryEvent]) {
        let (traceId, parent, sampled) = Self.trace(arn: record.arn, header: record.traceHeader)
        guard sampled else { return }
        // Derived (a hash of the ARN) once per step, and only when a span needs it.
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
        made.reserveCapacity(events.count / 2 + 1)
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
                let machine = record.stateMachineArn.utf8.lastIndex(of: UInt8(ascii: ":")).map { String(record.stateMachineArn[record.stateMachineArn.utf8.index(after: $0)...]) }
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
    /// state (no Foundation search, no Character comparisons, one pass over the bytes, and the
    /// state's type a literal, not a copy, on a hot path).
    enum EventKind: Equatable {
        case entered(String), exited(String), terminal, other
    }

    static func kind(_ type: String) -> EventKind {
        var text = type
        return text.withUTF8 { b -> EventKind in
            if let stateType = Self.stateType(b, before: "StateEntered") { return .entered(stateType) }
            if let stateType = Self.stateType(b, before: "StateExited") { return .exited(stateType) }
            for name in Self.terminalTypes where Self.equals(b, name) {
                return .terminal
            }
            return .other
        }
    }

    /// The state type before `suffix` in an event type's bytes (`Pass` in `PassStateEntered`),
    /// nil when it does not end so.
    static func stateType(_ b: UnsafeBufferPointer<UInt8>, before suffix: StaticString) -> String? {
        guard endsWith(b, suffix) else { return nil }
        let type = UnsafeBufferPointer(rebasing: b[..<(b.count - suffix.utf8CodeUnitCount)])
        for known in Self.stateTypes where Self.equals(type, known) {
            return known.description
        }
        return String(decoding: type, as: UTF8.self)
    }

    static let terminalTypes: [StaticString] = ["ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"]
    static let stateTypes: [StaticString] = ["Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"]

    /// Whether `b` ends with `suffix` and has bytes before it.
    static func endsWith(_ b: UnsafeBufferPointer<UInt8>, _ suffix: StaticString) -> Bool {
        let n = suffix.utf8CodeUnitCount
        return b.count > n && suffix.withUTF8Buffer { want in b[(b.count - n)...].elementsEqual(want) }
    }

    static func equals(_ b: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        b.count == word.utf8CodeUnitCount && word.withUTF8Buffer { b.elementsEqual($0) }
    }

    private func emitState(_ made: inout [SpanRecord], _ name: String, stateType: String?, traceId: TraceId, parent: SpanId, id: SpanId, start: Int64, end: Int64,
                           error: String? = nil) {
        // The execution's ARN is on the execution's span, this one's parent: not repeated per state.
        let attributes: [(String, SpanRecord.Value)] = stateType.map { [("aws.step_functions.state_name", .string(name)), ("aws.step_functions.state_type", .string($0))] }
            ?? [("aws.step_functions.state_name", .string(name))]
        made.append(SpanRecord(traceId: traceId, spanId: id, parentSpanId: parent, name: "state " + name, kind: .internal, startNanos: start,
                              endNanos: end, attributes: attributes, error: error))
    }

    /// The span a task of `state` runs under: the state's open span, if this process saw it open.
    func stateSpan(arn: String, state: String) -> SpanId? {
        lock.withLock { open[arn]?[state]?.last?.id }
    }
}
