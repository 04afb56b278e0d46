import StatesInterpreter
import StatesLanguage
import Testing

/// An Express run nobody listens to decides without building its events (`recordsEvents`
/// false): every decision, effect, output, failure and event count stays what it is with them.
@Suite struct UnrecordedEventsTests {
    static let definitions: [(String, JSON)] = [
        ("pass chain with Assign", ["StartAt": "A", "States": [
            "A": ["Type": "Pass", "Parameters": ["id.$": "$.id"], "ResultPath": "$.p", "Assign": ["seen.$": "$.id"], "Next": "B"],
            "B": ["Type": "Pass", "Parameters": ["seen.$": "$seen"], "End": true]]]),
        ("choice loop", ["StartAt": "C", "States": [
            "C": ["Type": "Choice", "Choices": [["Variable": "$.n", "NumericLessThan": 3, "Next": "Inc"]], "Default": "Done"],
            "Inc": ["Type": "Pass", "Parameters": ["n.$": "States.MathAdd($.n, 1)", "id.$": "$.id"], "Next": "C"],
            "Done": ["Type": "Succeed"]]]),
        ("inline map and parallel", ["StartAt": "M", "States": [
            "M": ["Type": "Map", "ItemsPath": "$.items", "ItemProcessor": ["StartAt": "I", "States": ["I": ["Type": "Pass", "End": true]]],
                  "ResultPath": "$.mapped", "Next": "P"],
            "P": ["Type": "Parallel", "Branches": [["StartAt": "X", "States": ["X": ["Type": "Pass", "End": true]]],
                                                   ["StartAt": "Y", "States": ["Y": ["Type": "Pass", "Result": 2, "End": true]]]],
                  "End": true]]]),
        ("a task, then a Fail", ["StartAt": "T", "States": [
            "T": ["Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:f", "Next": "F"],
            "F": ["Type": "Fail", "Error": "E", "Cause": "c"]]]),
        ("payload over the limit", ["StartAt": "Big", "States": [
            "Big": ["Type": "Pass", "Parameters": ["x.$": "States.ArrayRange(1, 400, 1)"], "End": true]]]),
    ]

    /// Runs to the end, answering each task with its parameters; the decisions in order.
    static func run(_ definition: JSON, recordingEvents: Bool) throws -> (ExecutionState, [Decision]) {
        var interpreter = Interpreter(machine: try StateMachine.parse(definition.serialized))
        interpreter.recordsEvents = recordingEvents
        interpreter.maximumPayloadBytes = 1_000
        let input: JSON = ["id": 7, "n": 0, "items": [1, 2, 3]]
        var state = ExecutionState(context: .local(at: StateTests.start), input: input, seed: 1)
        var decisions = [interpreter.decide(&state, on: Trigger(.start(input: input, context: .local(at: StateTests.start), randomSeed: 1),
                                                                 at: StateTests.start))]
        var pending = decisions[0].effects
        while let effect = pending.first {
            pending.removeFirst()
            guard case .invokeTask(let inv) = effect else { continue }
            let d = interpreter.decide(&state, on: Trigger(.taskSucceeded(inv.id, output: inv.parameters), at: StateTests.start))
            decisions.append(d)
            pending += d.effects
        }
        return (state, decisions)
    }

    @Test(arguments: definitions.map(\.0))
    func decidesTheSameWithoutBuildingEvents(_ name: String) throws {
        let definition = try #require(Self.definitions.first { $0.0 == name }?.1)
        let (withEvents, recorded) = try Self.run(definition, recordingEvents: true)
        let (without, unrecorded) = try Self.run(definition, recordingEvents: false)
        #expect(recorded.allSatisfy { !$0.events.isEmpty })
        #expect(unrecorded.allSatisfy { $0.events.isEmpty })
        #expect(unrecorded.map(\.effects) == recorded.map(\.effects))
        #expect(without.status == withEvents.status && without.status != .running)
        #expect(without.output == withEvents.output)
        #expect(without.failure?.error == withEvents.failure?.error)
        #expect(without.eventCount == withEvents.eventCount)
        #expect(without.eventCount == recorded.map(\.events.count).reduce(0, +))
    }
}
