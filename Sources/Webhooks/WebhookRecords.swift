/// A named webhook: its configuration as JSON text. The text holds the shared secret, so it
/// never leaves the server as it is: the API answers with a redacted description.
package struct WebhookRecord: Sendable, Equatable {
    package var name: String
    package var config: String
    package var createdMillis: Int64
    package var updatedMillis: Int64

    package init(name: String, config: String, createdMillis: Int64, updatedMillis: Int64) {
        self.name = name
        self.config = config
        self.createdMillis = createdMillis
        self.updatedMillis = updatedMillis
    }
}

/// One request received by a webhook, whatever became of it. `applied` deliveries resumed,
/// failed or heartbeated a waiting task (or were recorded in its history as ignored); only
/// those count when a repeated delivery is recognised.
package struct WebhookDeliveryRecord: Sendable, Equatable {
    package var webhook: String
    package var receivedMillis: Int64
    package var key: String?
    /// The sender's own delivery id (from the configured header), when it sends one.
    package var deliveryId: String?
    package var bodySha256: String
    /// success, failure, heartbeat, ignored, duplicate, late, unknown-key, invalid.
    package var outcome: String
    package var httpStatus: Int
    package var executionArn: String?
    package var applied: Bool
    /// The status value read from the request, when there is one.
    package var status: String?

    package init(webhook: String, receivedMillis: Int64, key: String?, deliveryId: String?, bodySha256: String, outcome: String,
                 httpStatus: Int, executionArn: String? = nil, applied: Bool = false, status: String? = nil) {
        self.webhook = webhook
        self.receivedMillis = receivedMillis
        self.key = key
        self.deliveryId = deliveryId
        self.bodySha256 = bodySha256
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.executionArn = executionArn
        self.applied = applied
        self.status = status
    }

    /// True when `other` is the same delivery again: the same sender id, or, without one, the
    /// same body within `windowMillis`.
    package func repeats(_ other: WebhookDeliveryRecord, windowMillis: Int64) -> Bool {
        guard webhook == other.webhook, key == other.key else { return false }
        if let id = deliveryId, let otherId = other.deliveryId { return id == otherId }
        return bodySha256 == other.bodySha256 && receivedMillis - other.receivedMillis <= windowMillis
    }
}
