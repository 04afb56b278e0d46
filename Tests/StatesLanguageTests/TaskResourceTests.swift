import StatesLanguage
import Testing

/// Every Resource shape AWS documents, parsed once into target and pattern, with the keys the
/// registry resolves it by.
@Suite struct TaskResourceTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var target: String
        var pattern: TaskResource.Pattern
        var keys: [String]
        var testDescription: String { text }
    }

    static let cases: [Case] = [
        Case(text: "arn:aws:states:::lambda:invoke", target: "integration lambda invoke", pattern: .requestResponse,
             keys: ["states:lambda:invoke", "states:lambda:*"]),
        Case(text: "arn:aws:states:::lambda:invoke.waitForTaskToken", target: "integration lambda invoke", pattern: .waitForTaskToken,
             keys: ["states:lambda:invoke", "states:lambda:*"]),
        Case(text: "arn:aws:states:::states:startExecution.sync:2", target: "integration states startExecution", pattern: .sync2,
             keys: ["states:states:startExecution", "states:states:*"]),
        Case(text: "arn:aws:states:::ecs:runTask.sync", target: "integration ecs runTask", pattern: .sync,
             keys: ["states:ecs:runTask", "states:ecs:*"]),
        Case(text: "arn:aws:states:::aws-sdk:ssm:getParameter", target: "sdk ssm getParameter", pattern: .requestResponse,
             keys: ["sdk:ssm:getParameter", "sdk:ssm:*"]),
        Case(text: "arn:aws:states:::aws-sdk:secretsmanager:getSecretValue.waitForTaskToken", target: "sdk secretsmanager getSecretValue",
             pattern: .waitForTaskToken, keys: ["sdk:secretsmanager:getSecretValue", "sdk:secretsmanager:*"]),
        Case(text: "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST", target: "function f", pattern: .requestResponse,
             keys: ["lambda:function"]),
        Case(text: "arn:aws:states:us-east-1:123456789012:activity:work", target: "activity work", pattern: .requestResponse,
             keys: ["states:activity"]),
        Case(text: "arn:aws:sqs:us-east-1:123456789012:queue", target: "other sqs", pattern: .requestResponse,
             keys: ["arn:aws:sqs:us-east-1:123456789012:queue"]),
    ]

    static func describe(_ t: TaskResource.Target) -> String {
        switch t {
        case .integration(let s, let a): return "integration \(s) \(a)"
        case .sdk(let s, let a): return "sdk \(s) \(a)"
        case .function(let arn): return "function \(arn.resourceFields[1])"
        case .activity(let arn): return "activity \(arn.resourceFields[1])"
        case .other(let arn): return "other \(arn.service)"
        }
    }

    @Test(arguments: cases)
    func parsesOnce(_ c: Case) throws {
        let r = try #require(TaskResource(c.text))
        #expect(Self.describe(r.target) == c.target)
        #expect(r.pattern == c.pattern)
        #expect(r.keys == c.keys)
    }

    @Test(arguments: ["", "lambda:invoke", "arn:aws", "arn::states:::x", "arn:aws::r:a:x"])
    func refusesWhatIsNoARN(_ text: String) {
        #expect(TaskResource(text) == nil)
    }

    @Test func arnsKeepTheColonsOfTheirResource() throws {
        let arn = try #require(ARN("arn:aws:states:us-east-1:123456789012:execution:machine:run-1"))
        #expect(arn.partition == "aws" && arn.service == "states" && arn.region == "us-east-1" && arn.account == "123456789012")
        #expect(arn.resourceType == "execution" && arn.resourceFields == ["execution", "machine", "run-1"])
        #expect(arn.description == "arn:aws:states:us-east-1:123456789012:execution:machine:run-1")
        #expect(try #require(ARN("arn:aws:ssm:us-east-1:1:parameter/a/b")).resourceType == "parameter")
    }
}
