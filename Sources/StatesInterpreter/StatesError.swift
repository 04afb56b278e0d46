import StatesLanguage

/// An ASL failure as a value: an error name that Retry and Catch match, and a cause.
/// Never Swift control flow across a state boundary: the interpreter turns it into events.
package struct StatesError: Error, Sendable, Equatable, Codable {
    /// At most 256 characters, as AWS keeps it (`SensitiveError` in its model).
    package var error: String { didSet { if error.utf8.count > Self.maximumErrorLength { error = Self.capped(error, Self.maximumErrorLength) } } }
    /// At most 32,768 characters, as AWS keeps it (`SensitiveCause`): a cause that quotes a
    /// large input is cut there, not carried whole through history and describe answers.
    package var cause: String? {
        didSet { if let c = cause, c.utf8.count > Self.maximumCauseLength { cause = Self.capped(c, Self.maximumCauseLength) } }
    }
    /// For States.QueryEvaluationError: the field whose expression failed (`Output/error`).
    package var location: String?

    package static let maximumErrorLength = 256
    package static let maximumCauseLength = 32_768

    package init(_ error: String, _ cause: String?, location: String? = nil) {
        self.error = Self.capped(error, Self.maximumErrorLength)
        self.cause = cause.map { Self.capped($0, Self.maximumCauseLength) }
        self.location = location
    }

    /// The first `limit` UTF-16 units (AWS's lengths are Java's); a text that fits is returned as is.
    package static func capped(_ text: String, _ limit: Int) -> String {
        // Fewer UTF-8 bytes than the limit means fewer UTF-16 units too: the common case costs nothing.
        guard text.utf8.count > limit, text.utf16.count > limit else { return text }
        var units = Array(text.utf16.prefix(limit))
        // Never end on half a surrogate pair.
        if let last = units.last, UTF16.isLeadSurrogate(last) { units.removeLast() }
        return String(decoding: units, as: UTF16.self)
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
    package static let resultWriterFailed = "States.ResultWriterFailed"
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
