@testable import StepFunctions
import StatesLanguage
import Testing

/// A mocked result against the output shape of the action its Task calls, in each of AWS's
/// three `fieldValidationMode`s, with AWS's messages.
@Suite struct ResultShapesTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var resource: String
        var result: String
        var mode: ResultShapes.Mode
        var problem: String?
        var testDescription: String { "\(resource) \(mode.rawValue) \(result)" }
    }

    static let cases: [Case] = [
        Case(resource: "arn:aws:states:::lambda:invoke", result: #"{"Payload":{"any":"json"},"StatusCode":200}"#, mode: .strict),
        Case(resource: "arn:aws:states:::lambda:invoke", result: #"{"StatusCode":"200"}"#, mode: .strict,
             problem: "Mock result schema validation error: Field 'StatusCode' must be a number"),
        Case(resource: "arn:aws:states:::lambda:invoke", result: #"{"StatusCode":"200"}"#, mode: .none),
        Case(resource: "arn:aws:states:::sqs:sendMessage", result: #"{"MessageId":"m","Md5OfMessageBody":"x","Unknown":1}"#, mode: .strict),
        Case(resource: "arn:aws:states:::sqs:sendMessage", result: #"{"Md5OfMessageBody":5}"#, mode: .present,
             problem: "Mock result schema validation error: Field 'Md5OfMessageBody' must be a string"),
        Case(resource: "arn:aws:states:::aws-sdk:sfn:describeExecution", result: #"{"ExecutionArn":"a"}"#, mode: .strict,
             problem: "Mock result schema validation error: Required field 'StateMachineArn' is missing"),
        Case(resource: "arn:aws:states:::aws-sdk:sfn:describeExecution", result: #"{"ExecutionArn":"a"}"#, mode: .present),
        Case(resource: "arn:aws:states:::aws-sdk:sfn:describeExecution", result: #"{"Status":"DONE"}"#, mode: .present,
             problem: "Mock result schema validation error: Field 'Status' is not an expected value"),
        Case(resource: "arn:aws:states:::aws-sdk:dynamodb:query", result: #"{"Items":{"a":1}}"#, mode: .present,
             problem: "Mock result schema validation error: Field 'Items' must be an array"),
        Case(resource: "arn:aws:states:::aws-sdk:dynamodb:query", result: #"{"Items":[{"pk":{"S":"a"}}],"Count":1}"#, mode: .strict),
        Case(resource: "arn:aws:states:::dynamodb:getItem", result: #"{"Item":{"pk":{"BOOL":"yes"}}}"#, mode: .present,
             problem: "Mock result schema validation error: Field 'BOOL' must be a boolean"),
        // Not the action's own answer: nothing to check against.
        Case(resource: "arn:aws:states:::lambda:invoke.waitForTaskToken", result: #"{"StatusCode":"x"}"#, mode: .strict),
        Case(resource: "arn:aws:states:::states:startExecution.sync:2", result: #"[1]"#, mode: .strict),
        Case(resource: "arn:aws:lambda:us-east-1:000000000000:function:f", result: #""text""#, mode: .strict),
    ]

    @Test(arguments: cases)
    func aMockedResult(_ c: Case) throws {
        let value = try JSONParser.parse(c.result)
        #expect(ResultShapes.problem(with: value, resource: c.resource, mode: c.mode) == c.problem)
    }

    @Test(arguments: [("MD5OfMessageBody", "Md5OfMessageBody"), ("SSEKMSKeyId", "SsekmsKeyId"), ("ExecutionArn", "ExecutionArn"),
                      ("ETag", "ETag"), ("HTTPStatusCode", "HttpStatusCode")])
    func stepFunctionsCasing(_ name: String, _ cased: String) {
        #expect(ResultShapes.sfnCased(name) == cased)
    }
}
