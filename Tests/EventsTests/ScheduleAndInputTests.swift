import StatesLanguage
import Testing
@testable import Events

@Suite struct ScheduleExpressionTests {
    /// EventBridge refuses each of these (recorded on AWS by LocalStack's schedule tests).
    @Test(arguments: ["rate(10 seconds)", "rate(10 years)", "rate(1 minutes)", "rate(1 hours)", "rate(1 days)", "rate(10 minute)",
                      "rate(10 hour)", "rate(10 day)", "rate()", "rate(10)", "rate(10 minutess)", "rate(foo minutes)", "rate(0 minutes)",
                      "rate(-10 minutes)", "rate(10 MINUTES)", "rate( 10 minutes )", " rate(10 minutes)",
                      "cron(0 12 * * * *)", "cron(0 12 ? * ? *)", "cron(60 12 * * ? *)", "cron(0 12 * *)"])
    func invalidExpressionsAreRefused(_ text: String) {
        #expect(ScheduleExpression(text) == nil)
    }

    @Test(arguments: ["rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(2 days)", "cron(0 2 ? * SAT *)", "cron(0 12 * * ? *)",
                      "cron(5,35 14 * * ? *)", "cron(15 10 ? * 6L 2002-2005)", "cron(0 2 ? * SAT#3 *)", "cron(* * ? * SAT#3 *)",
                      "cron(0/5 5 ? JAN 1-5 2022)", "cron(0 18 ? * MON-FRI *)", "cron(0 8 1 * ? *)", "cron(0/15 * * * ? *)"])
    func validExpressionsAreAccepted(_ text: String) {
        #expect(ScheduleExpression(text) != nil)
    }
}

@Suite struct InputTransformerTests {
    let event: JSON = ["id": "e-1", "time": "2022-07-13T13:48:01Z", "detail": ["instance": "i-1", "state": "running", "n": 3]]

    @Test func valuesAreQuotedOutsideStringsAndTextInsideThem() throws {
        let t: JSONObject = ["InputPathsMap": ["instance": "$.detail.instance", "n": "$.detail.n"],
                             "InputTemplate": #"{"id": <instance>, "count": <n>, "text": "instance <instance> has <n>"}"#]
        let out = InputTransformer.input(for: ["InputTransformer": .object(t)], event: event, ruleArn: "arn:aws:events:us-east-1:1:rule/r")
        #expect(try JSONParser.parse(out) == ["id": "i-1", "count": 3, "text": "instance i-1 has 3"])
    }

    @Test func predefinedVariablesAndUnknownPlaceholders() throws {
        let t: JSONObject = ["InputTemplate": #"{"rule": <aws.events.rule-name>, "event": <aws.events.event.json>, "keep": "<other>"}"#]
        let out = InputTransformer.input(for: ["InputTransformer": .object(t)], event: event, ruleArn: "arn:aws:events:us-east-1:1:rule/bus/r1")
        #expect(try JSONParser.parse(out) == ["rule": "r1", "event": event, "keep": "<other>"])
    }

    @Test func inputAndInputPath() {
        #expect(InputTransformer.input(for: ["Input": #"{"fixed":true}"#], event: event, ruleArn: "") == #"{"fixed":true}"#)
        #expect(InputTransformer.input(for: ["InputPath": "$.detail.state"], event: event, ruleArn: "") == #""running""#)
        #expect(InputTransformer.input(for: [:], event: event, ruleArn: "") == event.serialized)
    }
}
