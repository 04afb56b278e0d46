import Engine
import StatesInterpreter
import StatesLanguage

/// TestState: one state, a given input, run by the interpreter alone. Every state the tested
/// one can move to is stood in for by a Succeed state, so the next state is where it went.
/// `variables` (a JSON object) are set by a Pass state that runs first and is left out of the
/// answer.
extension StepFunctionsAPI {
    func testState(_ r: Request) async throws(APIError) -> JSON {
        let definitionText = try r.required("definition")
        _ = try r.required("roleArn")
        let inputText = try r.string("input") ?? "{}"
        let level = try r.string("inspectionLevel") ?? "INFO"
        guard ["INFO", "DEBUG", "TRACE"].contains(level) else {
            throw APIError.validation("1 validation error detected: Value '\(level)' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]")
        }
        guard case .object(var state)? = try? JSONParser.parse(definitionText, rejectingDuplicateKeys: true) else {
            throw APIError("InvalidDefinition", "Invalid State Machine Definition: 'the state must be a JSON object'")
        }
        guard let input = try? JSONParser.parse(inputText) else { throw APIError("InvalidExecutionInput", "Invalid input: '\(inputText)'") }
        var variables: JSONObject? = nil
        if let text = try r.string("variables") {
            guard case .object(let o)? = try? JSONParser.parse(text) else {
                throw APIError.validation("Invalid variables: '\(text)' is not a JSON object")
            }
            variables = o
        }
        let name = "TestState"
        let prelude = "TestStateVariables"
        var targets: [String] = []
        if let n = state["Next"]?.stringValue { targets.append(n) }
        if let d = state["Default"]?.stringValue { targets.append(d) }
        for key in ["Choices", "Catch"] {
            for item in state[key]?.arrayValue ?? [] { if let n = item["Next"]?.stringValue { targets.append(n) } }
        }
        // A state without a way out gets End, so the machine is valid on its own.
        if state["Next"] == nil, state["End"] == nil, !["Choice", "Succeed", "Fail"].contains(state["Type"]?.stringValue ?? "") {
            state["End"] = true
        }
        var states: JSONObject = [name: .object(state)]
        for t in targets where t != name { states[t] = ["Type": "Succeed"] }
        if let variables {
            // A JSONata Assign takes every value literally (no `.$` keys, no paths).
            states[prelude] = ["Type": "Pass", "QueryLanguage": "JSONata", "Assign": .object(variables), "Next": .string(name)]
        }
        let machineText = JSON.object(["StartAt": .string(variables == nil ? name : prelude), "States": .object(states)]).serialized
        let (machine, diagnostics) = DefinitionCheck.validate(machineText)
        guard let machine else { throw invalidDefinition(diagnostics) }
        var runner = LocalRunner(machine: machine)
        runner.fallback = nil
        var clock = ManualClock()
        let result = runner.run(input: input, clock: &clock, maximumSteps: 1000)
        var out = JSONObject()
        let exits = result.events.filter { $0.type.hasSuffix("StateExited") }
        let entered = result.events.filter { $0.type.hasSuffix("StateEntered") && $0.details["name"] != .string(prelude) }
        let next = entered.dropFirst().first?.details["name"]?.stringValue
        if let exit = exits.first(where: { $0.details["name"] == .string(name) }), let output = exit.details["output"] {
            out["output"] = .string(output.serialized)
        }
        if result.status == .failed, let e = result.error {
            out["status"] = "FAILED"
            out["error"] = .string(e.error)
            if let c = e.cause { out["cause"] = .string(c) }
        } else if let next, state["Catch"]?.arrayValue?.contains(where: { $0["Next"]?.stringValue == next }) == true,
                  result.events.contains(where: { $0.type.hasSuffix("Failed") }) {
            out["status"] = "CAUGHT_ERROR"
        } else {
            out["status"] = "SUCCEEDED"
        }
        if let next { out["nextState"] = .string(next) }
        if level != "INFO" {
            var inspection: JSONObject = ["input": .string(input.serialized)]
            // The variables after the state: those given, then what its Assign set.
            var after = variables ?? JSONObject()
            if case .object(let assigned)? = exits.first(where: { $0.details["name"] == .string(name) })?.details["assignedVariables"] {
                for (k, v) in assigned { after[k] = v.stringValue.flatMap { try? JSONParser.parse($0) } ?? v }
            }
            if !after.isEmpty { inspection["variables"] = .string(JSON.object(after).serialized) }
            if machine[name]?.isJSONata == true,
               let scheduled = result.events.first(where: { $0.type.hasSuffix("Scheduled") }),
               let arguments = scheduled.details["parameters"] ?? scheduled.details["input"] {
                inspection["afterArguments"] = .string(arguments.serialized)
            }
            if let s = machine[name], let afterInput = try? DataFlow.select(s.inputPath, from: input, context: { .null }) {
                inspection["afterInputPath"] = .string(afterInput.serialized)
                var random = RandomSource(seed: 0)
                if let p = s.parameters, let afterParameters = try? DataFlow.apply(p, scope: Scope(input: afterInput), random: &random) {
                    inspection["afterParameters"] = .string(afterParameters.serialized)
                }
            }
            out["inspectionData"] = .object(inspection)
        }
        return .object(out)
    }
}
