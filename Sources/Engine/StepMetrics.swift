import CoreMetrics
import Foundation
import Journal
import StatesInterpreter

/// Step Functions' CloudWatch metrics, under AWS's names, counted from each committed step's
/// history events (so every path that writes an event counts it once), per state machine
/// (AWS's `StateMachineArn` dimension); and the engine's state transitions.
///
/// AWS: "ExecutionTime: the time interval, in milliseconds, between the time the execution
/// starts and the time it closes."
enum StepMetrics {
    /// An event type's metric: executions, activities, Lambda functions, service integrations.
    static let names: [String: String] = [
        "ExecutionStarted": "ExecutionsStarted", "ExecutionSucceeded": "ExecutionsSucceeded", "ExecutionFailed": "ExecutionsFailed",
        "ExecutionAborted": "ExecutionsAborted", "ExecutionTimedOut": "ExecutionsTimedOut", "ExecutionRedriven": "ExecutionsRedriven",
        "ActivityScheduled": "ActivitiesScheduled", "ActivityStarted": "ActivitiesStarted", "ActivitySucceeded": "ActivitiesSucceeded",
        "ActivityFailed": "ActivitiesFailed", "ActivityTimedOut": "ActivitiesTimedOut",
        "LambdaFunctionScheduled": "LambdaFunctionsScheduled", "LambdaFunctionStarted": "LambdaFunctionsStarted",
        "LambdaFunctionSucceeded": "LambdaFunctionsSucceeded", "LambdaFunctionFailed": "LambdaFunctionsFailed",
        "LambdaFunctionTimedOut": "LambdaFunctionsTimedOut",
        "TaskScheduled": "ServiceIntegrationsScheduled", "TaskStarted": "ServiceIntegrationsStarted",
        "TaskSucceeded": "ServiceIntegrationsSucceeded", "TaskFailed": "ServiceIntegrationsFailed", "TaskTimedOut": "ServiceIntegrationsTimedOut",
    ]
    /// The events that end an execution: the spans' list, as strings.
    static let terminal: Set<String> = Set(ExecutionSpans.terminalTypes.map(\.description))

    /// One state machine's handles, looked up once a step by its ARN (each handle lookup
    /// built a key of the metric's name and the ARN and hashed it, three times a step).
    final class Machine: @unchecked Sendable {
        // @unchecked Sendable: `counters` is only touched under `lock`; the rest is immutable.
        private let lock = NSLock()
        private var counters: [String: Counter] = [:]
        let arn: String
        let executionTime: Recorder

        init(arn: String) {
            self.arn = arn
            executionTime = MetricHandles.shared.recorder("ExecutionTime", [("StateMachineArn", arn)])
        }

        func counter(_ name: String) -> Counter {
            lock.withLock {
                if let c = counters[name] { return c }
                let c = MetricHandles.shared.counter(name, [("StateMachineArn", arn)])
                counters[name] = c
                return c
            }
        }
    }

    private static let machinesLock = NSLock()
    nonisolated(unsafe) private static var machines: [String: Machine] = [:]
    private static let transitionsTotal = MetricHandles.shared.counter("baton_state_transitions_total")

    static func machine(_ arn: String) -> Machine {
        machinesLock.withLock {
            if let m = machines[arn] { return m }
            let m = Machine(arn: arn)
            machines[arn] = m
            return m
        }
    }

    /// Whether an event type enters a state (a transition), exits one (no metric), or may be
    /// one of `names` (nil): read from its last bytes, as most of a step's events are states'.
    static func stateEvent(_ type: String) -> Bool? {
        var text = type
        return text.withUTF8 { b -> Bool? in
            // Only the suffix: the state's type is not needed here.
            if ExecutionSpans.endsWith(b, "StateEntered") { return true }
            if ExecutionSpans.endsWith(b, "StateExited") { return false }
            return nil
        }
    }

    static func record(_ record: ExecutionRecord, events: [HistoryEvent]) {
        guard MetricHandles.enabled, !events.isEmpty else { return }
        var transitions = 0
        // A step's events counted by metric first: one handle lookup per metric, not per event.
        var counts: [(String, Int)] = []
        var machine: Machine?
        for e in events {
            if let entered = stateEvent(e.type) {
                if entered { transitions += 1 }
                continue
            }
            guard let name = names[e.type] else { continue }
            if let i = counts.firstIndex(where: { $0.0 == name }) { counts[i].1 += 1 } else { counts.append((name, 1)) }
            if terminal.contains(e.type) {
                let m = machine ?? Self.machine(record.stateMachineArn)
                machine = m
                m.executionTime.record(max(0, e.timestamp.milliseconds - record.startMillis))
            }
        }
        if !counts.isEmpty {
            let m = machine ?? Self.machine(record.stateMachineArn)
            for (name, n) in counts { m.counter(name).increment(by: n) }
        }
        if transitions > 0 { transitionsTotal.increment(by: transitions) }
    }

    /// An Express execution keeps no history: its start, end and time, from its row.
    static func expressFinished(_ row: ExecutionRecord) {
        guard MetricHandles.enabled else { return }
        let ended: String
        switch row.status {
        case .succeeded: ended = "ExecutionsSucceeded"
        case .failed: ended = "ExecutionsFailed"
        case .aborted: ended = "ExecutionsAborted"
        case .timedOut: ended = "ExecutionsTimedOut"
        case .running: return
        }
        // The machine's kept handles, as a Standard step's: one lookup by ARN, not three keys built.
        let m = machine(row.stateMachineArn)
        m.counter("ExecutionsStarted").increment()
        m.counter(ended).increment()
        m.executionTime.record(max(0, (row.stopMillis ?? row.startMillis) - row.startMillis))
    }
}
