import ServiceKit

/// Webhook API and delivery failures are the seam's one error type.
package typealias WebhookError = ServiceError

extension ServiceError {
    static func notFound(_ message: String) -> ServiceError { ServiceError("ResourceNotFoundException", message, kind: .notFound) }
    static func signature(_ message: String) -> ServiceError { ServiceError("InvalidSignatureException", message, kind: .unauthenticated) }
}
