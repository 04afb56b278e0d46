import AllocationCounter
import Glibc
import StatesInterpreter
import StatesLanguage

/// The interpreter benchmark: runs workloads in memory on a manual clock and prints state
/// transitions per second and heap allocations per transition.
enum InterpreterBench {

struct Workload {
    var name: String
    var definition: String
    var input: String
}


static let workloads = [
    Workload(name: "pass10", definition: passChain(10), input: #"{"order": {"id": "o-1", "total": 12.5, "lines": [1, 2, 3]}}"#),
    Workload(name: "choice_loop", definition: """
        {"StartAt": "Init", "States": {
          "Init": {"Type": "Pass", "Parameters": {"i": 0}, "Next": "Check"},
          "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": 100, "Next": "Done"}], "Default": "Increment"},
          "Increment": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
          "Done": {"Type": "Succeed"}}}
        """, input: "{}"),
    Workload(name: "map100", definition: """
        {"StartAt": "Map", "States": {"Map": {"Type": "Map", "ItemsPath": "$.items", "End": true,
          "ItemProcessor": {"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "C"}, "C": {"Type": "Pass", "End": true}}}}}}
        """, input: "{\"items\": [" + (0..<100).map { "{\"n\": \($0)}" }.joined(separator: ",") + "]}"),
    // The choice loop in JSONata, with the counter in a variable: Assign, Condition, Output.
    Workload(name: "jsonata_loop", definition: """
        {"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
          "Init": {"Type": "Pass", "Assign": {"i": 0}, "Next": "Check"},
          "Check": {"Type": "Choice", "Choices": [{"Condition": "{% $i >= 100 %}", "Next": "Done"}], "Default": "Increment"},
          "Increment": {"Type": "Pass", "Assign": {"i": "{% $i + 1 %}"}, "Output": {"i": "{% $i %}", "order": "{% $states.input.order %}"}, "Next": "Check"},
          "Done": {"Type": "Succeed", "Output": {"count": "{% $i %}"}}}}
        """, input: #"{"order": {"id": "o-1", "total": 12.5}}"#),
]


static func run(budget: Double) throws {
print("workload      executions  transitions/s  allocations/transition")
for w in workloads {
    let machine = try DefinitionCheck.parse(w.definition)
    let input = try JSONParser.parse(w.input)
    let runner = LocalRunner(machine: machine)
    var clock = ManualClock()
    // Warm up, and count transitions (state entries) per execution.
    let probe = runner.run(input: input, clock: &clock)
    precondition(probe.status == .succeeded, "\(w.name) did not succeed: \(String(describing: probe.error))")
    let perExecution = probe.events.filter { $0.type.hasSuffix("StateEntered") }.count
    var executions = 0
    let allocationsBefore = baton_allocation_count()
    let start = monotonicSeconds()
    var elapsed = 0.0
    while elapsed < budget {
        for _ in 0..<50 { _ = runner.run(input: input, clock: &clock) }
        executions += 50
        elapsed = monotonicSeconds() - start
    }
    let allocations = baton_allocation_count() - allocationsBefore
    let transitions = Double(executions * perExecution)
    let name: String = w.name + String(repeating: " ", count: max(0, 14 - w.name.count))
    let count: String = String(executions).leftPad(10)
    let rate: String = String(Int(transitions / elapsed)).leftPad(13)
    let perTransition: String = format1(Double(allocations) / transitions).leftPad(22)
    print(name + count + "  " + rate + "  " + perTransition)
}
}
}

func format1(_ d: Double) -> String {
    let r = (d * 10).rounded() / 10
    return String(r)
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
