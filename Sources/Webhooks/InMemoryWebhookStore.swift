import Foundation
import Journal

/// The webhook store in memory, for tests and the in-memory journal: an attachment writes when
/// the in-memory journal applies the step it belongs to.
package final class InMemoryWebhookStore: WebhookStore, @unchecked Sendable {
    // @unchecked Sendable: every field is guarded by `lock`.
    private let lock = NSLock()
    private var rows: [String: WebhookRecord] = [:]
    private var log: [WebhookDeliveryRecord] = []

    package init() {}

    package func putWebhook(_ r: WebhookRecord, create: Bool) throws(JournalError) {
        lock.lock()
        defer { lock.unlock() }
        if create {
            guard rows[r.name] == nil else { throw JournalError(.alreadyExists, "webhook \(r.name) exists") }
            rows[r.name] = r
        } else {
            guard let old = rows[r.name] else { throw JournalError(.notFound, "no webhook \(r.name)") }
            var updated = r
            updated.createdMillis = old.createdMillis
            rows[r.name] = updated
        }
    }

    package func webhook(name: String) -> WebhookRecord? { lock.withLock { rows[name] } }
    package func webhooks() -> [WebhookRecord] { lock.withLock { rows.values.sorted { $0.name < $1.name } } }
    package func deleteWebhook(name: String) { lock.withLock { rows[name] = nil } }
    package func recordDeliveries(_ records: [WebhookDeliveryRecord]) { lock.withLock { log.append(contentsOf: records) } }

    package func deliveries(webhook: String, key: String?, limit: Int) -> [WebhookDeliveryRecord] {
        lock.withLock { Array(log.reversed().filter { $0.webhook == webhook && (key == nil || $0.key == key) }.prefix(limit)) }
    }

    package func attachment(_ record: WebhookDeliveryRecord) -> StepAttachment {
        StepAttachment(store: "webhook deliveries") { (t) throws(JournalError) in
            guard case .memory = t else { throw JournalError(.corrupt, "an in-memory webhook store was handed another backend's step") }
            self.recordDeliveries([record])
        }
    }
}
