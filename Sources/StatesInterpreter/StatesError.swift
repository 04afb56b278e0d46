import StatesLanguage

/// An ASL failure as a value: an error name that Retry and Catch match, and a cause.
/// Never Swift control flow across a state boundary: the interpreter turns it into events.
package struct StatesError: Error, Sendable, Equatable, Codable {
    package var error: String
    package var cause: String?
    /// For States.QueryEvaluationError: the field whose expression failed (`Output/error`).
    package var location: String?

    package init(_ error: String, _ cause: String?, location: String? = nil) {
        self.error = error
        self.cause = cause
        self.location = location
    }

    // AWS's reserved error names (ASL spec, "Errors").
    package static let all = "States.ALL"
    package static let runtime = "States.Runtime"
    package static let taskFailed = "States.TaskFailed"
    package static let timeout = "States.Timeout"
    package static let heartbeatTimeout = "States.HeartbeatTimeout"
    package static let branchFailed = "States.BranchFailed"
    package static let noChoiceMatched = "States.NoChoiceMatched"
    package static let parameterPathFailure = "States.ParameterPathFailure"
    package static let resultPathMatchFailure = "States.ResultPathMatchFailure"
    package static let intrinsicFailure = "States.IntrinsicFailure"
    package static let dataLimitExceeded = "States.DataLimitExceeded"
    package static let exceedToleratedFailureThreshold = "States.ExceedToleratedFailureThreshold"
    package static let itemReaderFailed = "States.ItemReaderFailed"
    /// A JSONata expression failed, gave nothing, or gave a value of the wrong type.
    package static let queryEvaluationError = "States.QueryEvaluationError"

    package static func runtime(_ cause: String) -> StatesError { StatesError(runtime, cause) }

    /// States.ALL matches every error but States.Runtime. (AWS's documentation also excludes
    /// States.DataLimitExceeded, but its recorded runs show States.ALL catching an oversized
    /// task result, and the recordings are what Baton follows.)
    package func matches(_ names: [String]) -> Bool {
        for n in names {
            if n == error { return true }
            if n == StatesError.all && error != StatesError.runtime { return true }
            // AWS: "States.TaskFailed acts as a wildcard that matches any known error name except States.Timeout."
            if n == StatesError.taskFailed && error != StatesError.timeout && error != StatesError.runtime { return true }
        }
        return false
    }

    /// The JSON a Catcher passes on: `{"Error": …, "Cause": …}`.
    package var payload: JSON {
        var o = JSONObject()
        o.appendUnchecked("Error", .string(error))
        o.appendUnchecked("Cause", .string(cause ?? ""))
        return .object(o)
    }
}
