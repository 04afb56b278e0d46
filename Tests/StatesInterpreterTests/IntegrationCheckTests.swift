import StatesInterpreter
import StatesLanguage
import Testing

/// What CreateStateMachine and ValidateStateMachineDefinition check beyond the language: a
/// Task resource AWS does not have (unless this endpoint serves it), and what an EXPRESS
/// workflow cannot run, with AWS's messages and each problem's location.
@Suite struct IntegrationCheckTests {
    static func machine(_ resource: String, distributed express: Bool = false) -> String {
        let task = #"{"Type":"Task","Resource":"\#(resource)","End":true}"#
        guard express else { return #"{"StartAt":"T","States":{"T":\#(task)}}"# }
        return #"{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"T","States":{"T":\#(task)}},"End":true}}}"#
    }

    static func problems(_ text: String, type: String = "STANDARD", known: Set<String> = []) -> [Diagnostic] {
        DefinitionCheck.validate(text, type: type, known: { known.contains($0) }).1.filter { $0.severity == .error }
    }

    @Test(arguments: [
        "arn:aws:states:::lambda:invoke", "arn:aws:states:::lambda:invoke.waitForTaskToken", "arn:aws:states:::dynamodb:updateItem",
        "arn:aws:states:::states:startExecution.sync:2", "arn:aws:states:::ecs:runTask.sync", "arn:aws:states:::aws-sdk:s3:listObjectsV2",
        "arn:aws:states:::aws-sdk:secretsmanager:getSecretValue.waitForTaskToken", "arn:aws:states:::sagemaker:createTrainingJob.sync",
        "arn:aws:states:::baton:echo", "arn:aws:lambda:us-east-1:123456789012:function:f",
        "arn:aws:states:us-east-1:123456789012:activity:a",
    ])
    func aResourceAWSHas(_ resource: String) {
        #expect(Self.problems(Self.machine(resource)).isEmpty)
    }

    @Test(arguments: [
        "arn:aws:states:::nosuchservice:doThing", "arn:aws:states:::lambda:invokeAsync", "arn:aws:states:::dynamodb:query",
        "arn:aws:states:::dynamodb:getItem.waitForTaskToken", "arn:aws:states:::sqs:sendMessage.sync",
        "arn:aws:states:::aws-sdk:s3:getObject.sync",
    ])
    func aResourceAWSDoesNotHave(_ resource: String) {
        let found = Self.problems(Self.machine(resource))
        #expect(found.map(\.location) == ["/States/T/Resource"])
        #expect(found.first?.message == ServiceIntegrations.notRecognized(resource))
        // Served by this endpoint (a test's own integration): accepted.
        #expect(Self.problems(Self.machine(resource), known: [resource]).isEmpty)
    }

    @Test(arguments: [
        ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", "Express state machine does not support '.sync' service integration."),
        ("arn:aws:states:::states:startExecution.sync", "Express state machine does not support '.sync' service integration."),
        ("arn:aws:states:us-east-1:123456789012:activity:a", "Express state machine does not support Activity ARN"),
    ])
    func whatAnExpressWorkflowCannotRun(_ resource: String, _ message: String) {
        #expect(Self.problems(Self.machine(resource)).isEmpty, "a STANDARD machine runs it")
        #expect(Self.problems(Self.machine(resource), type: "EXPRESS").map(\.message) == [message])
        // A Distributed Map's EXPRESS child workflows, even in a STANDARD machine.
        let nested = Self.problems(Self.machine(resource, distributed: true))
        #expect(nested.map(\.location) == ["/States/M/ItemProcessor/States/T/Resource"])
        #expect(Self.problems(Self.machine("arn:aws:states:::sqs:sendMessage"), type: "EXPRESS").isEmpty)
    }
}
