import Engine
import Journal
import ServiceKit

/// Step Functions' errors are the seam's one error type.
typealias APIError = ServiceError
/// A JSON 1.0 request body with AWS's member checks.
typealias Request = JSONRequest

extension ServiceError {
    static func invalidArn(_ arn: String) -> ServiceError { ServiceError("InvalidArn", "Invalid Arn: '\(arn)'") }
    static func invalidName(_ name: String) -> ServiceError { ServiceError("InvalidName", "Invalid Name: '\(name)'") }

    /// The engine names its errors as AWS does; only their kind is added here.
    init(engine error: EngineError) {
        let kind: Kind
        switch error.code {
        case "InternalFailure", "ServiceUnavailable": kind = .server
        case "ExecutionDoesNotExist", "StateMachineDoesNotExist", "ActivityDoesNotExist", "ResourceNotFound", "TaskDoesNotExist": kind = .notFound
        case "ExecutionAlreadyExists", "StateMachineAlreadyExists", "ConflictException", "ExecutionNotRedrivable": kind = .conflict
        default: kind = .client
        }
        self.init(error.code, error.message, kind: kind)
    }

    /// A journal race is a conflict the caller can retry; anything else is the server's failure.
    init(journal error: JournalError) {
        switch error.code {
        case .versionConflict:
            self.init("ConflictException", "Another request changed this resource at the same time; retry: \(error.message)", kind: .conflict)
        case .alreadyExists:
            self.init("ConflictException", "The resource already exists: \(error.message)", kind: .conflict)
        case .notFound:
            self.init("ResourceNotFound", error.message, kind: .notFound)
        default:
            self.init("InternalFailure", "\(error)", kind: .server)
        }
    }
}
