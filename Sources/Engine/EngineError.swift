/// An engine failure with AWS's error name as its code, so the HTTP layer maps it 1:1.
package struct EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    package var code: String
    package var message: String

    package init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code): \(message)" }

    /// Errors are equal by code: the message is for people.
    package static func == (a: EngineError, b: EngineError) -> Bool { a.code == b.code }

    package static func invalidToken(_ m: String = "Invalid token") -> EngineError { EngineError("InvalidToken", m) }
    package static func taskTimedOut(_ m: String = "Task Timed Out") -> EngineError { EngineError("TaskTimedOut", m) }
    package static func taskDoesNotExist(_ m: String = "Task does not exist") -> EngineError { EngineError("TaskDoesNotExist", m) }
    package static func executionDoesNotExist(_ arn: String) -> EngineError {
        EngineError("ExecutionDoesNotExist", "Execution Does Not Exist: '\(arn)'")
    }
    package static func executionAlreadyExists(_ arn: String) -> EngineError {
        EngineError("ExecutionAlreadyExists", "Execution Already Exists: '\(arn)'")
    }
    package static func invalidDefinition(_ m: String) -> EngineError { EngineError("InvalidDefinition", m) }
    package static func invalidExecutionInput(_ m: String) -> EngineError { EngineError("InvalidExecutionInput", m) }
    package static func internalFailure(_ m: String) -> EngineError { EngineError("InternalFailure", m) }
}
