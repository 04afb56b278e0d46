import Foundation
import StatesInterpreter
import StatesLanguage
import Testing

/// Reads a JSON fixture beside the tests.
func fixture(_ name: String, file: String = #filePath) -> JSON {
    let url = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/\(name)")
    let data = FileManager.default.contents(atPath: url.path) ?? Data()
    return (try? JSONParser.parse([UInt8](data))) ?? .null
}

/// A fixture entry, named for the test report.
struct Spec: Sendable, CustomTestStringConvertible {
    var json: JSON
    var name: String
    var testDescription: String { name }
}

func specs(_ file: String, name key: String) -> [Spec] {
    (fixture(file).arrayValue ?? []).map { Spec(json: $0, name: $0[key]?.stringValue ?? $0[key]?.serialized ?? "?") }
}

/// Runs a definition (as JSON) on a manual clock and returns the result.
func run(_ definition: JSON, input: JSON = [:], handlers: [String: LocalRunner.Handler] = [:],
         clock: inout ManualClock, seed: UInt64 = 1) throws -> LocalRunner.Result {
    var runner = LocalRunner(machine: try StateMachine.parse(definition.serialized))
    runner.handlers = handlers
    return runner.run(input: input, seed: seed, clock: &clock)
}

func run(_ definition: JSON, input: JSON = [:], handlers: [String: LocalRunner.Handler] = [:]) throws -> LocalRunner.Result {
    var clock = ManualClock()
    return try run(definition, input: input, handlers: handlers, clock: &clock)
}

/// A one-state machine: a Pass whose Parameters hold `value`.
func passWithParameters(_ parameters: JSON) -> JSON {
    ["StartAt": "P", "States": ["P": ["Type": "Pass", "Parameters": parameters, "End": true]]]
}
