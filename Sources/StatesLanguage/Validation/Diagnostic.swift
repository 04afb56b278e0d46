/// One problem in a definition, in the shape of AWS's ValidateStateMachineDefinition
/// diagnostics: severity, code, message, and a JSON Pointer to where it is.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error = "ERROR"
        case warning = "WARNING"
    }

    public var severity: Severity
    public var code: String
    public var message: String
    /// A JSON Pointer into the definition, e.g. `/States/Choose/Choices/0/Next`.
    public var location: String

    public init(_ severity: Severity = .error, code: String, message: String, location: String) {
        self.severity = severity
        self.code = code
        self.message = message
        self.location = location
    }

    public var description: String { "\(severity.rawValue) \(code) at \(location.isEmpty ? "/" : location): \(message)" }

    /// AWS's code for a definition that is not valid JSON.
    public static let invalidJSON = "INVALID_JSON_DESCRIPTION"
    /// AWS's code for every structural problem (missing, mistyped and unknown fields, bad values).
    public static let schemaValidationFailed = "SCHEMA_VALIDATION_FAILED"
    public static let missingTransitionTarget = "MISSING_TRANSITION_TARGET"
    public static let unreachableState = "UNREACHABLE_STATE"
    public static let notSupported = "NOT_SUPPORTED"
}

/// A definition that has errors: every diagnostic, so a user fixes them all at once.
public struct InvalidDefinition: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
