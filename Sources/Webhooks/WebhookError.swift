/// A webhook API or delivery failure, with the AWS-style error name and the HTTP status.
package struct WebhookError: Error, Sendable, Equatable {
    package var code: String
    package var message: String
    package var status: Int

    package init(_ code: String, _ message: String, status: Int = 400) {
        self.code = code
        self.message = message
        self.status = status
    }

    static func validation(_ message: String) -> WebhookError { WebhookError("ValidationException", message) }
    static func notFound(_ message: String) -> WebhookError { WebhookError("ResourceNotFoundException", message, status: 404) }
    static func signature(_ message: String) -> WebhookError { WebhookError("InvalidSignatureException", message, status: 401) }
}
