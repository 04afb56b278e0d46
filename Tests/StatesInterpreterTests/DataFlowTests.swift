import StatesInterpreter
import StatesLanguage
import Testing

@Suite struct DataFlowTests {
    static let failing = "arn:aws:states:::test:fail"
    static let echo = "arn:aws:states:::test:echo"
    static let handlers: [String: LocalRunner.Handler] = [
        echo: { .succeeded(["Payload": $0.parameters, "StatusCode": 200]) },
    ]

    func task(_ fields: JSON) -> JSON {
        var o = fields.objectValue!
        o["Type"] = "Task"
        o["Resource"] = .string(Self.echo)
        o["End"] = true
        return ["StartAt": "T", "States": ["T": .object(o)]]
    }

    @Test func theFullPipeline() throws {
        // InputPath → Parameters → task → ResultSelector → ResultPath → OutputPath.
        let definition = task([
            "InputPath": "$.in", "Parameters": ["x.$": "$.a", "lit": 1, "ctx.$": "$$.State.Name"],
            "ResultSelector": ["got.$": "$.Payload"], "ResultPath": "$.result", "OutputPath": "$.result.got",
        ])
        let result = try run(definition, input: ["in": ["a": "A"], "other": 1], handlers: Self.handlers)
        #expect(result.output == ["x": "A", "lit": 1, "ctx": "T"])
    }

    @Test func nullInputPathGivesEmptyObject() throws {
        let result = try run(task(["InputPath": nil]), input: ["a": 1], handlers: Self.handlers)
        #expect(result.output?["Payload"] == [:])
    }

    @Test func nullResultPathKeepsTheInput() throws {
        let result = try run(task(["ResultPath": nil]), input: ["a": 1], handlers: Self.handlers)
        #expect(result.output == ["a": 1])
    }

    @Test func nullOutputPathGivesEmptyObject() throws {
        let result = try run(task(["OutputPath": nil]), input: ["a": 1], handlers: Self.handlers)
        #expect(result.output == [:])
    }

    @Test func resultPathCreatesIntermediateObjects() throws {
        let result = try run(task(["ResultPath": "$.a.b.c", "ResultSelector": ["s.$": "$.StatusCode"]]), input: ["k": 1],
                             handlers: Self.handlers)
        #expect(result.output == ["k": 1, "a": ["b": ["c": ["s": 200]]]])
    }

    @Test func resultPathIntoAScalarFails() throws {
        let result = try run(task(["ResultPath": "$.k.x"]), input: ["k": 1], handlers: Self.handlers)
        #expect(result.error?.error == "States.ResultPathMatchFailure")
    }

    @Test func missingParameterPathIsARuntimeError() throws {
        let result = try run(passWithParameters(["v.$": "$.nope"]), input: ["a": 1])
        #expect(result.error?.error == "States.Runtime")
        #expect(result.error?.cause == "An error occurred while executing the state 'P' (entered at the event id #2). "
            + "The JSONPath '$.nope' specified for the field 'v.$' could not be found in the input '{\"a\":1}'")
    }

    @Test func missingInputPathIsARuntimeError() throws {
        let definition: JSON = ["StartAt": "P", "States": ["P": ["Type": "Pass", "InputPath": "$.nope", "End": true]]]
        let result = try run(definition, input: ["a": 1])
        #expect(result.error?.cause?.hasSuffix("Invalid path '$.nope' : No results for path: $['nope']") == true)
    }

    @Test func nestedTemplatesAndArrays() throws {
        let result = try run(passWithParameters(["o": ["a.$": "$.x", "arr": [["b.$": "$.y"], 2]]]), input: ["x": 1, "y": 2])
        #expect(result.output == ["o": ["a": 1, "arr": [["b": 2], 2]]])
    }

    @Test func oversizedOutputExceedsTheDataLimit() throws {
        let big = String(repeating: "x", count: 300 * 1024)
        let definition: JSON = ["StartAt": "P", "States": ["P": ["Type": "Pass", "Result": .string(big), "End": true]]]
        let result = try run(definition)
        #expect(result.error?.error == "States.DataLimitExceeded")
        #expect(result.error?.cause == "The state/task 'P' returned a result with a size exceeding the maximum number of bytes service limit.")
    }

    @Test func contextObjectCarriesExecutionFacts() throws {
        let result = try run(passWithParameters(["id.$": "$$.Execution.Id", "input.$": "$$.Execution.Input", "sm.$": "$$.StateMachine.Name"]),
                             input: ["q": 1])
        #expect(result.output?["input"] == ["q": 1])
        #expect(result.output?["sm"] == "local")
        #expect(result.output?["id"]?.stringValue?.hasPrefix("arn:aws:states:") == true)
    }
}
