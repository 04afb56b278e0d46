import Engine
import StatesLanguage
import Testing

/// An execution's ARN and its machine's name are cut from the machine's ARN by bytes; they
/// must come out as the field-by-field reading (the ARN type, a split at every colon) gives.
@Suite struct ExecutionArnTests {
    static let arns = [
        "arn:aws:states:us-east-1:123456789012:stateMachine:orders",
        "arn:aws:states:us-east-1:123456789012:stateMachine:orders:7",
        "arn:aws:states:us-east-1:123456789012:stateMachine:orders:live",
        "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:名前",
        "arn:aws:states:us-east-1:123456789012:stateMachine:",
        "arn:aws:states:us-east-1:123456789012:stateMachine",
        "arn:aws:states:us-east-1:123456789012:activity:work",
        "not an arn",
        "",
    ]

    @Test(arguments: arns)
    func theMachineNameIsTheFieldAfterItsType(arn: String) {
        #expect(Engine.stateMachineName(arn) == (ARN(arn)?.resourceFields.dropFirst().first ?? ""))
    }

    @Test(arguments: arns, ["execution", "express"] as [Substring])
    func anExecutionArnSwapsTheTypeAndAddsTheName(arn: String, kind: Substring) {
        // The reading by fields this replaced.
        var fields = arn.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
        if fields.count == 7, fields[5] == "stateMachine" { fields[5] = kind }
        #expect(Engine.executionArn(stateMachineArn: arn, name: "run-1", kind: kind) == fields.joined(separator: ":") + ":run-1")
    }
}
