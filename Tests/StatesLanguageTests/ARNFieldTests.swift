import StatesLanguage
import Testing

/// `ARN.field` is the field of a split at every colon, found without splitting.
@Suite struct ARNFieldTests {
    @Test(arguments: [
        "arn:aws:states:us-east-1:123456789012:stateMachine:orders",
        "arn:aws:states:us-east-1:123456789012:stateMachine:orders:7",
        "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST",
        "arn:aws:ssm:us-east-1:123456789012:parameter/a/b",
        "arn:aws:states:::stateMachine:",
        "a:b",
        ":",
        "no colon",
        "",
    ])
    func eachFieldIsTheSplitsField(text: String) {
        let split = text.split(separator: ":", omittingEmptySubsequences: false)
        for i in 0..<9 {
            #expect(ARN.field(i, of: text) == (i < split.count ? split[i] : nil), "field \(i) of \(text)")
        }
    }
}
