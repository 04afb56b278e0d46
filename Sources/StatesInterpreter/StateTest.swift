import Foundation
import StatesLanguage

/// TestState's run: one state, a given input, run by the interpreter alone with a manual
/// clock. Every state the tested one can move to is stood in for by a Succeed state, so the
/// next state is where it went. A mocked Task answers with the mock; a mocked Map or Parallel
/// is stood in for by a Task with the same data flow (InputPath, ResultSelector, ResultPath,
/// OutputPath, Output, Assign, Catch) whose answer is the mock, so its iterations never run.
/// Retry is decided here, not run: AWS's TestState reports a retriable error (`RETRIABLE`, the
/// retrier's index and its backoff for `stateConfiguration.retrierRetryCount`) instead of
/// waiting it out.
package struct StateTest {
    package enum Mock: Sendable {
        case result(JSON)
        case error(String, String)
    }

    package struct Configuration: Sendable {
        package var retrierRetryCount: Int?
        package var errorCausedByState: String?
        package var mapIterationFailureCount: Int?
        package var mapItemReaderData: String?
        package init() {}
    }

    /// A refusal: `InvalidDefinition` or `ValidationException`, with AWS's message.
    package struct Problem: Error, Sendable {
        package var code: String
        package var message: String
        init(_ code: String, _ message: String) { self.code = code; self.message = message }
        static func validation(_ message: String) -> Problem { Problem("ValidationException", message) }
    }

    package struct Outcome: Sendable {
        package var status = "SUCCEEDED"
        package var output: JSON?
        package var error: String?
        package var cause: String?
        package var nextState: String?
        /// What DEBUG and TRACE show (values as JSON; the API renders them as text).
        package var inspection = JSONObject()
    }

    /// The state as written, and the name it runs under.
    package let state: JSONObject
    package let name: String
    /// The compiled tested state (its own machine's, with Retry as written).
    let compiled: State
    let machine: StateMachine
    let standsIn: Bool
    package var input: JSON = .object([:])
    package var variables: JSONObject?
    package var context: String?
    package var mock: Mock?
    package var configuration = Configuration()
    static let prelude = "TestStateVariables"
    static let mockResource = "arn:aws:states:::baton:testState.mock"

    package var type: String { state["Type"]?.stringValue ?? "" }
    package var isTask: Bool { type == "Task" }

    /// `definition`: one state, or with `stateName` a whole state machine that has it
    /// (at any depth). `jsonataDefault`: the machine's QueryLanguage is JSONata.
    package init(definition: String, stateName: String?, mocked: Bool, variables: JSONObject?) throws(Problem) {
        guard case .object(let written)? = try? JSONParser.parse(definition, rejectingDuplicateKeys: true) else {
            throw Problem("InvalidDefinition", "Invalid State Machine Definition: 'the state must be a JSON object'")
        }
        var state = written
        var name = "TestState"
        if let stateName {
            let (machine, diagnostics) = DefinitionCheck.validate(definition)
            guard machine != nil else { throw Self.invalid(diagnostics) }
            guard let (found, jsonata) = Self.find(stateName, in: written, jsonata: false) else {
                throw Problem.validation("State not found in definition")
            }
            state = found
            name = stateName
            if jsonata, state["QueryLanguage"] == nil { state["QueryLanguage"] = "JSONata" }
        }
        let type = state["Type"]?.stringValue ?? ""
        if !mocked, type == "Map" || type == "Parallel" {
            throw Problem("InvalidDefinition",
                          "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]")
        }
        if mocked, ["Pass", "Fail", "Succeed"].contains(type) {
            throw Problem.validation("State type '\(type)' is not supported when a mock is specified")
        }
        if mocked, type == "Choice" || type == "Wait" {
            throw Problem.validation("State type '\(type)' is not supported when a mock is specified")
        }
        // The state checked as AWS checks it, in a machine of its own.
        var checked = state
        Self.standIn(&checked)
        let (machine, diagnostics) = DefinitionCheck.validate(Self.machineText(state: checked, name: name, variables: variables))
        guard let machine, let compiled = machine[name] else { throw Self.invalid(diagnostics) }
        self.state = state
        self.name = name
        self.machine = machine
        self.compiled = compiled
        self.variables = variables
        standsIn = mocked && (type == "Map" || type == "Parallel")
    }

    static func invalid(_ diagnostics: [Diagnostic]) -> Problem {
        let first = diagnostics.first { $0.severity == .error }
        return Problem("InvalidDefinition", "Invalid State Machine Definition: '\(first.map { "\($0.code) at \($0.location.isEmpty ? "/" : $0.location): \($0.message)" } ?? "")'")
    }

    /// A state of a machine by name, searched through Parallel branches and Map processors;
    /// whether JSONata is its language by default there.
    package static func find(_ name: String, in machine: JSONObject, jsonata: Bool) -> (JSONObject, Bool)? {
        let language = machine["QueryLanguage"]?.stringValue.map { $0 == "JSONata" } ?? jsonata
        guard let states = machine["States"]?.objectValue else { return nil }
        if let s = states[name]?.objectValue { return (s, language) }
        for (_, s) in states {
            guard case .object(let o) = s else { continue }
            let inner = o["QueryLanguage"]?.stringValue.map { $0 == "JSONata" } ?? language
            for b in o["Branches"]?.arrayValue ?? [] {
                if let b = b.objectValue, let found = find(name, in: b, jsonata: inner) { return found }
            }
            for key in ["ItemProcessor", "Iterator"] {
                if let p = o[key]?.objectValue, let found = find(name, in: p, jsonata: inner) { return found }
            }
        }
        return nil
    }

    /// A state without a way out gets End, so the machine is valid on its own.
    static func standIn(_ state: inout JSONObject) {
        if state["Next"] == nil, state["End"] == nil, !["Choice", "Succeed", "Fail"].contains(state["Type"]?.stringValue ?? "") {
            state["End"] = true
        }
    }

    /// The machine that runs the state: a JSONata Pass that sets `variables` first, the state,
    /// and a Succeed state for every state it can move to.
    static func machineText(state: JSONObject, name: String, variables: JSONObject?) -> String {
        var targets: [String] = []
        if let n = state["Next"]?.stringValue { targets.append(n) }
        if let d = state["Default"]?.stringValue { targets.append(d) }
        for key in ["Choices", "Catch"] {
            for item in state[key]?.arrayValue ?? [] { if let n = item["Next"]?.stringValue { targets.append(n) } }
        }
        var states: JSONObject = [name: .object(state)]
        for t in targets where t != name { states[t] = ["Type": "Succeed"] }
        if let variables {
            // A JSONata Assign takes every value literally (no `.$` keys, no paths).
            states[prelude] = ["Type": "Pass", "QueryLanguage": "JSONata", "Assign": .object(variables), "Next": .string(name)]
        }
        return JSON.object(["StartAt": .string(variables == nil ? name : prelude), "States": .object(states)]).serialized
    }
}
