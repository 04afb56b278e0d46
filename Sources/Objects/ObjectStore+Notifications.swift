import Journal
import ServiceKit
import StatesLanguage

/// A bucket's notifications are queued in the transaction of the change they describe: no
/// object created without its notification, no notification of a change that did not commit.
/// The queue `s3.notifications` is delivered by `ObjectNotifier`, at least once.
extension ObjectStore {
    static let notificationQueue = "s3.notifications"

    /// Why a write happened, for its notification: S3's event name (`ObjectCreated:Put`) and
    /// the request that did it.
    package struct Cause: Sendable {
        package var event: String
        package var requestId: String
        package var timeMillis: Int64

        package init(event: String, requestId: String, timeMillis: Int64) {
            self.event = event
            self.requestId = requestId
            self.timeMillis = timeMillis
        }
    }

    /// The event a cause makes of an object (or of a key that is gone).
    func event(_ cause: Cause, bucket: String, key: String, object: Object?) -> ObjectEvent {
        // Millisecond time with a counter below it: later events of a key have larger sequencers.
        let n = sequence.next() & 0xFFFFF
        let value = UInt64(max(0, cause.timeMillis)) << 20 | UInt64(n)
        var hex = String(value, radix: 16, uppercase: true)
        if hex.count < 18 { hex = String(repeating: "0", count: 18 - hex.count) + hex }
        return ObjectEvent(name: cause.event, bucket: bucket, key: key, size: object?.size, etag: object?.etag,
                           // AWS: the null version (a Suspended bucket's write) is named by no versionId.
                           versionId: object?.headers[Self.versionHeader]?.stringValue.flatMap { $0 == "null" ? nil : $0 }, requestId: cause.requestId,
                           timeMillis: cause.timeMillis, sequencer: hex, region: region, account: account,
                           storageClass: object?.headers["x-amz-storage-class"]?.stringValue,
                           restoreExpiryMillis: object?.headers["restore-expiry"]?.integerValue)
    }

    /// Inside a write's transaction: queues what the bucket's configuration asks for these
    /// events. Returns how many messages were queued.
    func queueNotifications(_ events: [ObjectEvent], _ c: any SQLExecutor) throws -> Int {
        guard let bucket = events.first?.bucket else { return 0 }
        guard let body = try Self.configuration(bucket, "notification", c), let json = try? JSONParser.parse(body) else { return 0 }
        let messages = Self.notifications(events, NotificationConfiguration(json: json))
        // The durable queue's table, in the same database (SQLite's file, or PostgreSQL's).
        for m in messages {
            try c.run("""
                INSERT INTO queue_messages (queue, id, body, enqueued_ms, visible_ms, receive_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                ON CONFLICT DO NOTHING
                """, [.text(m.queue), .text(m.id), .bytes(m.body), .integer(m.enqueuedMillis), .integer(m.visibleAtMillis),
                      .integer(Int64(m.receiveCount))])
        }
        return messages.count
    }

    /// The messages a configuration makes of events: one per matching rule, and one per event
    /// for EventBridge when it is enabled.
    static func notifications(_ events: [ObjectEvent], _ configuration: NotificationConfiguration) -> [QueuedMessage] {
        var out: [QueuedMessage] = []
        for e in events {
            func add(_ destination: String, arn: String?, _ payload: JSON, id: String) {
                var body = JSONObject()
                body.appendUnchecked("destination", .string(destination))
                if let arn { body.appendUnchecked("arn", .string(arn)) }
                body.appendUnchecked("payload", payload)
                out.append(QueuedMessage(queue: notificationQueue, id: UUIDText.named("\(e.requestId)/\(e.sequencer)/\(id)"),
                                         body: JSON.object(body).serializedBytes, enqueuedMillis: e.timeMillis, visibleAtMillis: e.timeMillis))
            }
            for r in configuration.rules where r.matches(event: e.name, key: e.key) {
                add(r.kind.rawValue, arn: r.arn, e.record(configurationId: r.id), id: "rule/" + r.id)
            }
            if configuration.eventBridge, let entry = e.eventBridgeEntry { add("eventbridge", arn: nil, entry, id: "eventbridge") }
        }
        return out
    }
}
