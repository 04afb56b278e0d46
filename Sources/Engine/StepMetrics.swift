import CoreMetrics
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
    static let terminal: Set<String> = ["ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"]

    static func record(_ record: ExecutionRecord, events: [HistoryEvent]) {
        guard MetricHandles.enabled, !events.isEmpty else { return }
        let handles = MetricHandles.shared
        let machine = [("StateMachineArn", record.stateMachineArn)]
        var transitions = 0
        // A step's events counted by metric first: one handle lookup per metric, not per event.
        var counts: [(String, Int)] = []
        for e in events {
            if e.type.hasSuffix("StateEntered") { transitions += 1 }
            guard let name = names[e.type] else { continue }
            if let i = counts.firstIndex(where: { $0.0 == name }) { counts[i].1 += 1 } else { counts.append((name, 1)) }
            if terminal.contains(e.type) {
                handles.recorder("ExecutionTime", machine).record(max(0, e.timestamp.milliseconds - record.startMillis))
            }
        }
        for (name, n) in counts { handles.counter(name, machine).increment(by: n) }
        if transitions > 0 { handles.counter("baton_state_transitions_total").increment(by: transitions) }
    }

    /// An Express execution keeps no history: its start, end and time, from its row.
    static func expressFinished(_ row: ExecutionRecord) {
        guard MetricHandles.enabled else { return }
        let handles = MetricHandles.shared
        let machine = [("StateMachineArn", row.stateMachineArn)]
        let ended: String
        switch row.status {
        case .succeeded: ended = "ExecutionsSucceeded"
        case .failed: ended = "ExecutionsFailed"
        case .aborted: ended = "ExecutionsAborted"
        case .timedOut: ended = "ExecutionsTimedOut"
        case .running: return
        }
        handles.counter("ExecutionsStarted", machine).increment()
        handles.counter(ended, machine).increment()
        handles.recorder("ExecutionTime", machine).record(max(0, (row.stopMillis ?? row.startMillis) - row.startMillis))
    }
}
