import StatesLanguage
@testable import StepFunctions
import Testing

/// The ARN check by bytes gives the parsed ARN's verdict: service `states`, at least two
/// resource fields, the first of them the kind asked for.
@Suite struct StatesArnTests {
    static let arns = [
        "arn:aws:states:us-east-1:123456789012:stateMachine:orders",
        "arn:aws:states:us-east-1:123456789012:stateMachine:orders:7",
        "arn:aws:states:us-east-1:123456789012:stateMachine:orders:live",
        "arn:aws:states:us-east-1:123456789012:execution:orders:run-1",
        "arn:aws:states:us-east-1:123456789012:express:orders:run-1",
        "arn:aws:states:us-east-1:123456789012:activity:work",
        "arn:aws:states:us-east-1:123456789012:stateMachine",
        "arn:aws:states:us-east-1:123456789012:stateMachine:",
        "arn:aws:lambda:us-east-1:123456789012:function:orders",
        "arn::states:us-east-1:123456789012:stateMachine:orders",
        "arn:aws::us-east-1:123456789012:stateMachine:orders",
        "arn:aws:states:::stateMachine:orders",
        "ARN:aws:states:us-east-1:123456789012:stateMachine:orders",
        "stateMachine:orders",
        "",
    ]

    @Test(arguments: arns, ["stateMachine", "execution", "activity"])
    func theByteCheckAgreesWithTheParsedArn(arn: String, kind: String) {
        let parsed = ARN(arn)
        let expected = parsed.map { $0.service == "states" && $0.resourceFields.count >= 2 && $0.resourceFields[0] == kind } ?? false
        #expect(StepFunctionsAPI.isStatesArn(arn, kind: kind) == expected)
    }
}
