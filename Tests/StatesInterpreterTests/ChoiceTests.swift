import StatesInterpreter
import StatesLanguage
import Testing

@Suite struct ChoiceTests {
    static func machine(rule: JSON) -> JSON {
        var r = rule.objectValue!
        r["Next"] = "Yes"
        return ["StartAt": "C", "States": [
            "C": ["Type": "Choice", "Choices": [.object(r)], "Default": "No"],
            "Yes": ["Type": "Pass", "Result": "yes", "End": true],
            "No": ["Type": "Pass", "Result": "no", "End": true],
        ]]
    }

    @Test(arguments: specs("choice.json", name: "name"))
    func decides(_ spec: Spec) throws {
        let result = try run(Self.machine(rule: spec.json["rule"]!), input: spec.json["input"]!)
        if let error = spec.json["error"]?.stringValue {
            #expect(result.status == .failed)
            #expect(result.error?.error == error)
            return
        }
        #expect(result.output == (spec.json["matches"]?.boolValue == true ? "yes" : "no"))
    }

    @Test func noMatchWithoutDefaultFails() throws {
        let definition: JSON = ["StartAt": "C", "States": [
            "C": ["Type": "Choice", "Choices": [["Variable": "$.v", "IsNull": true, "Next": "E"]]],
            "E": ["Type": "Succeed"],
        ]]
        let result = try run(definition, input: ["v": 1])
        #expect(result.error?.error == "States.NoChoiceMatched")
    }

    @Test func choiceOutputAppliesInputAndOutputPath() throws {
        let definition: JSON = ["StartAt": "C", "States": [
            "C": ["Type": "Choice", "InputPath": "$.in", "OutputPath": "$.keep",
                  "Choices": [["Variable": "$.v", "NumericEquals": 1, "Next": "E"]]],
            "E": ["Type": "Succeed"],
        ]]
        let result = try run(definition, input: ["in": ["v": 1, "keep": "k"]])
        #expect(result.output == "k")
    }
}
