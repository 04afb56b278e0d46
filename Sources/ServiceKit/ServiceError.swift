import StatesLanguage

/// The one error type of every service: AWS's code, a message that says what to do, and a
/// kind. A service never picks an HTTP status; the front door maps the kind to one, once per
/// wire protocol (JSON's `__type`, REST's `x-amzn-ErrorType`, query/XML's `<ErrorResponse>`).
package struct ServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Kind: String, Sendable {
        /// Bad input: nothing was changed.
        case client
        /// No or an invalid signature.
        case unauthenticated
        /// Signed, but not allowed (an expired presigned request, a webhook's bad signature).
        case forbidden
        case notFound
        /// The resource exists, is in the wrong state, or another writer got there first.
        case conflict
        case throttled
        case tooLarge
        case preconditionFailed
        /// S3's answers by status: a Range past the object (416), a method the resource does
        /// not take (405), a conditional GET whose object has not changed (304, no body).
        case rangeNotSatisfiable
        case methodNotAllowed
        case notModified
        /// A feature this endpoint does not have (S3's NotImplemented, 501: SDKs do not retry it).
        case notImplemented
        /// The request was good; the server failed.
        case server
        case unavailable
    }

    package var code: String
    package var message: String
    package var kind: Kind
    /// Members AWS adds to this error's body beside its message (DynamoDB's `Item` of a failed
    /// condition, `CancellationReasons` of a cancelled transaction).
    package var details: JSONObject?

    package init(_ code: String, _ message: String, kind: Kind = .client, details: JSONObject? = nil) {
        self.code = code
        self.message = message
        self.kind = kind
        self.details = details
    }

    package var description: String { "\(code): \(message)" }

    /// Errors are equal by code: the message is for people.
    package static func == (a: ServiceError, b: ServiceError) -> Bool { a.code == b.code }

    package static func validation(_ m: String) -> ServiceError { ServiceError("ValidationException", m) }
    package static func unknownOperation(_ op: String) -> ServiceError { ServiceError("UnknownOperationException", "Unknown operation \(op)") }
    package static func serialization(_ m: String) -> ServiceError { ServiceError("SerializationException", m) }
    package static func internalFailure(_ m: String) -> ServiceError { ServiceError("InternalFailure", m, kind: .server) }
}
