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

/// Names: AWS's rule (1 to 80 characters; no whitespace, brackets, wildcards, special or
/// control characters, U+FFFE and U+FFFF among them), against every scalar up to U+00FF and a few beyond.
@Suite struct NameRuleTests {
    static let forbidden = Set(" \t\n\r<>{}[]?*\"#%\\^|~`$&,;:/".unicodeScalars)

    @Test func eachScalarIsForbiddenExactlyWhenTheRuleSays() {
        for v in Array(0...0xFF) + [0x2028, 0x4E2D, 0xFFFD, 0xFFFE, 0xFFFF, 0x1F600] {
            guard let c = Unicode.Scalar(UInt32(v)) else { continue }
            let expected = Self.forbidden.contains(c) || v < 0x20 || (0x7F...0x9F).contains(v) || v == 0xFFFE || v == 0xFFFF
            #expect(StepFunctionsAPI.validName("a\(Character(c))b") == !expected, "U+\(String(v, radix: 16))")
        }
    }

    @Test func lengthIsOneToEighty() {
        #expect(!StepFunctionsAPI.validName(""))
        #expect(StepFunctionsAPI.validName(String(repeating: "x", count: 80)))
        #expect(!StepFunctionsAPI.validName(String(repeating: "x", count: 81)))
        #expect(StepFunctionsAPI.validName("run-1_ok.é"))
    }
}
