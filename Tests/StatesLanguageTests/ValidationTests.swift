import StatesLanguage
import Testing

struct DiagnosticCase: Sendable, CustomTestStringConvertible {
    var spec: JSON
    var testDescription: String { spec["name"]?.stringValue ?? "?" }
    var text: String { spec["text"]?.stringValue ?? spec["definition"]!.serialized }
}

@Suite struct ValidationTests {
    @Test(arguments: (fixture("diagnostics.json").arrayValue ?? []).map(DiagnosticCase.init))
    func reportsDiagnostic(_ c: DiagnosticCase) {
        let (machine, diagnostics) = StateMachine.validate(c.text)
        #expect(machine == nil, "the definition must be rejected")
        for e in c.spec["expect"]?.arrayValue ?? [] {
            let code = e["code"]?.stringValue, location = e["location"]?.stringValue
            #expect(diagnostics.contains { $0.code == code && $0.location == location && $0.severity == .error },
                    "expected \(code ?? "") at \(location ?? ""), got \(diagnostics)")
        }
    }

    @Test func acceptsAFullDefinition() {
        let text = """
        {"Comment": "every state", "StartAt": "P", "TimeoutSeconds": 60, "Version": "1.0", "States": {
          "P": {"Type": "Pass", "Result": {"a": 1}, "ResultPath": "$.r", "Next": "T"},
          "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"x.$": "$.r.a", "t.$": "$$.Execution.Id"},
                "ResultSelector": {"p.$": "$.Payload"}, "TimeoutSeconds": 10, "HeartbeatSecondsPath": "$.hb",
                "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 1.5,
                           "MaxDelaySeconds": 10, "JitterStrategy": "FULL"}, {"ErrorEquals": ["States.ALL"]}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "F"}], "Next": "C"},
          "C": {"Type": "Choice", "Choices": [
                  {"And": [{"Variable": "$.n", "NumericGreaterThanEqualsPath": "$.m"}, {"Not": {"Variable": "$.s", "StringMatches": "a*"}}], "Next": "W"},
                  {"Variable": "$.t", "TimestampLessThan": "2020-01-01T00:00:00Z", "Next": "M"}], "Default": "S"},
          "W": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "M"},
          "M": {"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"i.$": "$$.Map.Item.Index"}, "MaxConcurrency": 2,
                "ToleratedFailureCount": 1, "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "I",
                "States": {"I": {"Type": "Pass", "End": true}}}, "Next": "Par"},
          "Par": {"Type": "Parallel", "Branches": [{"StartAt": "B1", "States": {"B1": {"Type": "Succeed"}}}], "Next": "S"},
          "S": {"Type": "Succeed"},
          "F": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "States.Format('{}', $.error.Cause)"}
        }}
        """
        let (machine, diagnostics) = StateMachine.validate(text)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(machine?.states.count == 8)
    }
}
