import Foundation
import StatesInterpreter
import StatesLanguage
import Testing

/// `baton test`'s engine: every definition in `definitions/` has a tests file and passes it;
/// mocks behave as Step Functions Local's (responses by invocation, retries consume them, a
/// missing one fails the execution, a `.waitForTaskToken` state takes its mock as the
/// callback); a wrong expectation is reported, by path.
@Suite struct WorkflowTestFileTests {
    static var folder: URL { DefinitionsTests.folder }

    static let testsFiles: [String] = DefinitionsTests.files.map { $0.replacingOccurrences(of: ".asl.json", with: ".tests.json") }

    static func text(_ name: String) -> String {
        String(decoding: FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) ?? Data(), as: UTF8.self)
    }

    @Test(arguments: testsFiles)
    func everyDefinitionHasTestsThatPass(_ file: String) throws {
        let tests = try WorkflowTestFile(text: Self.text(file))
        let machine = try DefinitionCheck.parse(Self.text(file.replacingOccurrences(of: ".tests.json", with: ".asl.json")))
        let results = tests.run(machine)
        #expect(!results.isEmpty)
        for r in results { #expect(r.passed, "\(file) › \(r.name): \(r.failures)") }
    }

    static let retrying = """
        {"StartAt": "Call", "States": {
          "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
                   "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 3, "IntervalSeconds": 600}],
                   "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Caught"}], "End": true},
          "Caught": {"Type": "Pass", "End": true}}}
        """

    func run(_ definition: String, responses: String, mocks: String = #"{"Call": "R"}"#) throws -> WorkflowTestFile.CaseResult {
        let file = try WorkflowTestFile(text: #"{"MockedResponses": {"R": \#(responses)}, "TestCases": {"c": {"mocks": \#(mocks), "expect": {}}}}"#)
        return try #require(file.run(try DefinitionCheck.parse(definition)).first)
    }

    @Test func retriesConsumeResponsesInInvocationOrder() throws {
        let r = try run(Self.retrying, responses: #"{"0-1": {"Throw": {"Error": "Flaky", "Cause": "x"}}, "2": {"Return": {"ok": 1}}}"#)
        #expect(r.status == .succeeded)
        #expect(r.output == ["ok": 1])
        #expect(r.events.filter { $0.type == "TaskFailed" }.count == 2)
    }

    @Test func aMissingResponseFailsTheExecutionPastAnyCatchOfStatesALL() throws {
        let r = try run(Self.retrying, responses: #"{"0": {"Throw": {"Error": "Flaky"}}}"#)
        #expect(r.status == .failed)
        #expect(r.error?.error == "States.Runtime")
        #expect(r.error?.cause?.contains("invocation 1 of state 'Call'") == true)
    }

    @Test func aThrownErrorIsCaughtLikeARealOne() throws {
        let r = try run(Self.retrying, responses: #"{"0": {"Throw": {"Error": "Boom", "Cause": "mocked"}}}"#)
        #expect(r.status == .succeeded)
        #expect(r.output?["caught"] == ["Error": "Boom", "Cause": "mocked"])
    }

    @Test func aWaitForTaskTokenStateTakesItsMockAsTheCallback() throws {
        let definition = """
            {"StartAt": "Park", "States": {"Park": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
              "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}}, "End": true}}}
            """
        let r = try run(definition, responses: #"{"0": {"Return": {"approved": true}}}"#, mocks: #"{"Park": "R"}"#)
        #expect(r.status == .succeeded)
        #expect(r.output == ["approved": true])
    }

    @Test func anUnmockedTaskFailsTheCaseWithItsName() throws {
        let r = try run(Self.retrying, responses: #"{"0": {"Return": 1}}"#, mocks: "{}")
        #expect(r.status == .failed)
        #expect(r.error?.cause?.contains("'Call' has no mocked response") == true)
    }

    @Test func aWrongExpectationIsReportedByPath() throws {
        let tests = try WorkflowTestFile(text: Self.text("hello-world.tests.json"))
        var wrong = try #require(tests.cases.first)
        wrong.expect.output = ["greeting": "Hello, Ada!", "words": 3, "extra": true]
        wrong.expect.path = ["Greet", "Measure"]
        wrong.expect.status = "FAILED"
        let r = tests.run(wrong, try DefinitionCheck.parse(Self.text("hello-world.asl.json")), stateMachineName: "hello-world")
        #expect(r.failures.contains("output.words: expected 3, got 2"))
        #expect(r.failures.contains("output.extra: expected true, missing"))
        #expect(r.failures.contains { $0.hasPrefix("path: expected Greet → Measure, got Greet → Pause → Measure") })
        #expect(r.failures.contains { $0.hasPrefix("status: expected FAILED, got SUCCEEDED") })
    }

    /// Step Functions Local's own example shape, and what each kind of mistake is reported as.
    @Test func theMockConfigurationFormat() throws {
        let config = try MockConfig(text: """
            {"StateMachines": {"LambdaSQSIntegration": {"TestCases": {
                "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
                "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"}}}},
             "MockedResponses": {
                "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}},
                "MockedSQSSuccess": {"0": {"Return": {"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51", "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}}},
                "MockedLambdaRetry": {"0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}},
                                      "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
                                      "3": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}}}}
            """)
        let retry = try #require(config.testCase(stateMachine: "LambdaSQSIntegration", "RetryPath"))
        #expect(retry["LambdaState"]?.count == 4)
        #expect(retry["LambdaState"]?[2] == .error(StatesError("Lambda.TimeoutException", "Lambda timed out.")))
        #expect(config.testCase(stateMachine: "LambdaSQSIntegration", "Nope") == nil)
    }

    @Test(arguments: [
        (#"{"MockedResponses": {"R": {"1": {"Return": 1}}}}"#, "MockedResponses.R.1"),
        (#"{"MockedResponses": {"R": {"0-2": {"Return": 1}, "2": {"Return": 1}}}}"#, "MockedResponses.R.2"),
        (#"{"MockedResponses": {"R": {"0": {"Return": 1, "Throw": {"Error": "E"}}}}}"#, "MockedResponses.R.0"),
        (#"{"MockedResponses": {"R": {"0": {"Throw": {"Cause": "no error"}}}}}"#, "MockedResponses.R.0.Throw"),
        (#"{"MockedResponses": {"R": {"x": {"Return": 1}}}}"#, "MockedResponses.R.x"),
        (#"{"MockedResponses": {"R": {"2-1": {"Return": 1}}}}"#, "MockedResponses.R.2-1"),
        (#"{"StateMachines": {"M": {"TestCases": {"C": {"S": "Undefined"}}}}}"#, "StateMachines.M.TestCases.C.S"),
        (#"{"StateMachines": {"M": {"Cases": {}}}}"#, "StateMachines.M"),
        (#"{"StateMachine": {}}"#, "StateMachine"),
    ])
    func aMalformedConfigurationNamesThePath(text: String, path: String) {
        #expect(throws: MockConfigError.self) { try MockConfig(text: text) }
        do { _ = try MockConfig(text: text) } catch { #expect(error.path == path, "\(error)") }
    }
}
