/// An error in AWS's wire shape: the `__type` code, the message, the HTTP status.
/// The only place where error codes meet HTTP statuses.
package struct APIError: Error, Sendable, Equatable {
    package var code: String
    package var message: String
    package var status: Int

    package init(_ code: String, _ message: String, status: Int = 400) {
        self.code = code
        self.message = message
        self.status = status
    }

    static func validation(_ m: String) -> APIError { APIError("ValidationException", m) }
    static func invalidArn(_ arn: String) -> APIError { APIError("InvalidArn", "Invalid Arn: '\(arn)'") }
    static func invalidName(_ name: String) -> APIError { APIError("InvalidName", "Invalid Name: '\(name)'") }
    static func unknownOperation(_ op: String) -> APIError {
        APIError("UnknownOperationException", "Unknown operation \(op)")
    }
    static func internalFailure(_ m: String) -> APIError { APIError("InternalFailure", m, status: 500) }
}
