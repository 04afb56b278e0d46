import StatesInterpreter
import StatesLanguage
import Testing

/// JSONata states and variables, case by case from `Fixtures/variables.json`: scoping
/// (Map and Parallel children read outer variables and cannot set them), evaluation order
/// (Assign before Output; neither sees the other's new values), Catch with Assign and
/// Output, States.QueryEvaluationError and AWS's size limit.
@Suite struct VariablesTests {
    @Test(arguments: specs("variables.json", name: "name"))
    func runs(_ spec: Spec) throws {
        let c = spec.json
        let definition = try #require(c["definition"])
        let machine = try DefinitionCheck.parse(definition.serialized)
        var runner = LocalRunner(machine: machine)
        let scripted = c["tasks"]
        let calls = Counter()
        runner.fallback = { invocation in
            guard let results = scripted?[invocation.stateName]?.arrayValue else { return .succeeded(invocation.parameters) }
            let r = results[min(calls.next(invocation.stateName), results.count - 1)]
            if let e = r["error"]?.stringValue { return .failed(StatesError(e, r["cause"]?.stringValue)) }
            return .succeeded(r)
        }
        var clock = ManualClock()
        let result = runner.run(input: c["input"] ?? [:], clock: &clock)
        let expect = try #require(c["expect"])
        #expect(result.status.rawValue == expect["status"]?.stringValue, "\(result.json)")
        if let output = expect["output"] { #expect(result.output == output) }
        if let error = expect["error"] { #expect(result.error?.error == error.stringValue) }
        if let cause = expect["cause"] { #expect(result.error?.cause == cause.stringValue) }
        if let assigned = c["assigned"]?.arrayValue {
            let recorded = result.events.compactMap { e -> JSON? in
                guard let vars = e.details["assignedVariables"], let name = e.details["name"] else { return nil }
                return [name, vars]
            }
            #expect(recorded == assigned)
        }
        if let types = c["events"]?.arrayValue {
            #expect(result.events.map { JSON.string($0.type) } == types)
        }
    }

    /// AWS takes `{%$states.input%}` as an expression: the spaces inside the delimiters are
    /// customary, not required. An empty pair of delimiters is still refused.
    @Test(arguments: ["{%$lowercase($states.input.n)%}", "{%$lowercase($states.input.n) %}", "{% $lowercase($states.input.n)%}",
                      "{%\n$lowercase($states.input.n)\n%}"])
    func aTemplateNeedsNoSpacesInsideItsDelimiters(_ template: String) throws {
        let text = #"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Output": {"x": "\#(template.replacingOccurrences(of: "\n", with: "\\n"))"}, "End": true}}}"#
        let (machine, diagnostics) = DefinitionCheck.validate(text)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        var clock = ManualClock()
        let r = LocalRunner(machine: try #require(machine)).run(input: ["n": "ADA"], clock: &clock)
        #expect(r.output == ["x": "ada"])
        let (_, empty) = DefinitionCheck.validate(#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Output": "{% %}", "End": true}}}"#)
        #expect(empty.contains { $0.code == "SCHEMA_VALIDATION_FAILED" && $0.location == "/States/A/Output" })
    }

    @Test func aSyntaxErrorIsRefusedWithTheFieldItIsIn() {
        let text = #"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Output": {"x": "{% 10 + * 2 %}"}, "End": true}}}"#
        let (machine, diagnostics) = DefinitionCheck.validate(text)
        #expect(machine == nil)
        #expect(diagnostics.contains { $0.code == Diagnostic.schemaValidationFailed && $0.location == "/States/A/Output/x" })
        // The structure alone is fine: only the expression is wrong.
        #expect(StateMachine.validate(text).0 != nil)
    }

    @Test func randomnessAndTimeReplayExactly() throws {
        let definition: JSON = ["QueryLanguage": "JSONata", "StartAt": "A", "States": ["A": [
            "Type": "Pass", "Output": ["r": "{% $random() %}", "u": "{% $uuid() %}", "t": "{% $now() %}"], "End": true]]]
        var c1 = ManualClock(), c2 = ManualClock()
        let a = try run(definition, clock: &c1, seed: 9), b = try run(definition, clock: &c2, seed: 9)
        #expect(a.status == .succeeded)
        #expect(a.output == b.output)
        #expect(a.output?["t"] == "2023-11-14T22:13:20.000Z")
    }
}
