import ServiceKit
import StatesLanguage

/// One HTTP request to `POST /webhooks/{name}`, as the receiver sees it.
package struct WebhookRequest: Sendable {
    package var webhook: String
    package var body: [UInt8]
    /// Header names in lower case.
    package var headers: [String: String]
    package var query: [String: String]

    package init(webhook: String, body: [UInt8], headers: [String: String], query: [String: String]) {
        self.webhook = webhook
        self.body = body
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.query = query
    }

    /// The body as JSON when it parses, else as a string.
    var bodyValue: JSON {
        if body.isEmpty { return .null }
        return (try? JSONParser.parse(body)) ?? .string(String(decoding: body, as: UTF8.self))
    }
}

/// What the receiver answers: a status and a JSON body.
package struct WebhookResponse: Sendable, Equatable {
    package var status: Int
    package var body: JSON
}
