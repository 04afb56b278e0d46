import Foundation
import Journal

/// The webhooks' own store: their configurations and the delivery log. It shares the
/// execution journal's database and writer (SQLite), and a delivery that resumes a run is
/// written as an attachment to that run's step, so it commits with it or not at all.
package protocol WebhookStore: Sendable {
    /// Creates (`create`: throws `.alreadyExists` when taken) or replaces (throws `.notFound`
    /// when absent; the creation time is kept) a webhook.
    func putWebhook(_ record: WebhookRecord, create: Bool) async throws(JournalError)
    func webhook(name: String) async throws(JournalError) -> WebhookRecord?
    func webhooks() async throws(JournalError) -> [WebhookRecord]
    func deleteWebhook(name: String) async throws(JournalError)
    /// Records deliveries that applied nothing (duplicates, late, unknown keys).
    func recordDeliveries(_ records: [WebhookDeliveryRecord]) async throws(JournalError)
    /// A webhook's deliveries, newest first; `key` narrows them to one correlation key.
    func deliveries(webhook: String, key: String?, limit: Int) async throws(JournalError) -> [WebhookDeliveryRecord]
    /// A delivery that a step applies, as a write committed with that step.
    func attachment(_ record: WebhookDeliveryRecord) -> StepAttachment
}

/// The store's tables in the shared SQLite database.
enum WebhookSchema {
    static let component = "webhooks"
    /// History: append, never edit. (`IF NOT EXISTS`: databases from before the webhooks owned
    /// their schema got these tables from the journal's own migration 7.)
    static let steps = [
        """
        CREATE TABLE IF NOT EXISTS webhooks (
            name TEXT PRIMARY KEY,
            config TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS webhook_deliveries (
            seq INTEGER PRIMARY KEY,
            webhook TEXT NOT NULL,
            received_ms INTEGER NOT NULL,
            key TEXT,
            delivery_id TEXT,
            body_sha256 TEXT NOT NULL,
            outcome TEXT NOT NULL,
            http_status INTEGER NOT NULL,
            execution_arn TEXT,
            applied INTEGER NOT NULL,
            status TEXT
        );
        CREATE INDEX IF NOT EXISTS webhook_deliveries_by_key ON webhook_deliveries (webhook, key, seq);
        """,
    ]
}
