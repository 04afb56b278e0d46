import CSQLite
import Journal

/// The webhook store on the shared SQLite database: every write through the journal's one
/// writer, reads on its read connection.
package final class SQLiteWebhookStore: WebhookStore {
    let db: SQLiteJournal

    /// Opens the store, creating or upgrading its tables.
    package init(_ db: SQLiteJournal) async throws(JournalError) {
        self.db = db
        try await db.migrate(component: WebhookSchema.component, WebhookSchema.steps)
    }

    package func putWebhook(_ r: WebhookRecord, create: Bool) async throws(JournalError) {
        try await db.perform { (c) throws(JournalError) in
            if create {
                let s = try c.statement("INSERT INTO webhooks (name, config, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4)")
                s.bind(1, r.name)
                s.bind(2, r.config)
                s.bind(3, r.createdMillis)
                s.bind(4, r.updatedMillis)
                do throws(JournalError) { try s.run() } catch {
                    if case .sqlite(let rc) = error.code, rc & 0xFF == SQLITE_CONSTRAINT {
                        throw JournalError(.alreadyExists, "webhook \(r.name) exists")
                    }
                    throw error
                }
            } else {
                let s = try c.statement("UPDATE webhooks SET config = ?2, updated_ms = ?3 WHERE name = ?1")
                s.bind(1, r.name)
                s.bind(2, r.config)
                s.bind(3, r.updatedMillis)
                try s.run()
                guard sqlite3_changes(c.handle) > 0 else { throw JournalError(.notFound, "no webhook \(r.name)") }
            }
        }
    }

    static func webhookRecord(_ s: Statement) -> WebhookRecord {
        WebhookRecord(name: s.string(0) ?? "", config: s.string(1) ?? "{}", createdMillis: s.int64(2), updatedMillis: s.int64(3))
    }

    package func webhook(name: String) async throws(JournalError) -> WebhookRecord? {
        try db.read { (c) throws(JournalError) -> WebhookRecord? in
            let s = try c.statement("SELECT name, config, created_ms, updated_ms FROM webhooks WHERE name = ?1")
            s.bind(1, name)
            return try s.step() ? Self.webhookRecord(s) : nil
        }
    }

    package func webhooks() async throws(JournalError) -> [WebhookRecord] {
        try db.read { (c) throws(JournalError) -> [WebhookRecord] in
            try c.statement("SELECT name, config, created_ms, updated_ms FROM webhooks ORDER BY name").all { Self.webhookRecord($0) }
        }
    }

    package func deleteWebhook(name: String) async throws(JournalError) {
        try await db.perform { (c) throws(JournalError) in
            let s = try c.statement("DELETE FROM webhooks WHERE name = ?1")
            s.bind(1, name)
            try s.run()
        }
    }

    package func recordDeliveries(_ records: [WebhookDeliveryRecord]) async throws(JournalError) {
        guard !records.isEmpty else { return }
        try await db.perform { (c) throws(JournalError) in try Self.insert(records, c) }
    }

    package func attachment(_ record: WebhookDeliveryRecord) -> StepAttachment {
        StepAttachment(store: "webhook deliveries") { (t) throws(JournalError) in
            guard case .sqlite(let c) = t else { throw JournalError(.corrupt, "a SQLite webhook store was handed another backend's step") }
            try Self.insert([record], c)
        }
    }

    static func insert(_ records: [WebhookDeliveryRecord], _ c: SQLiteConnection) throws(JournalError) {
        for d in records {
            let s = try c.statement("""
                INSERT INTO webhook_deliveries (webhook, received_ms, key, delivery_id, body_sha256, outcome, http_status,
                    execution_arn, applied, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                """)
            s.bind(1, d.webhook)
            s.bind(2, d.receivedMillis)
            s.bind(3, d.key)
            s.bind(4, d.deliveryId)
            s.bind(5, d.bodySha256)
            s.bind(6, d.outcome)
            s.bind(7, d.httpStatus)
            s.bind(8, d.executionArn)
            s.bind(9, d.applied ? 1 : 0)
            s.bind(10, d.status)
            try s.run()
        }
    }

    package func deliveries(webhook: String, key: String?, limit: Int) async throws(JournalError) -> [WebhookDeliveryRecord] {
        try db.read { (c) throws(JournalError) -> [WebhookDeliveryRecord] in
            // Two statements, not `(?2 IS NULL OR key = ?2)`: that form cannot use the index on
            // (webhook, key, seq) and scans every delivery of the webhook.
            let columns = "webhook, received_ms, key, delivery_id, body_sha256, outcome, http_status, execution_arn, applied, status"
            let s = try c.statement(key == nil
                ? "SELECT \(columns) FROM webhook_deliveries WHERE webhook = ?1 ORDER BY seq DESC LIMIT ?3"
                : "SELECT \(columns) FROM webhook_deliveries WHERE webhook = ?1 AND key = ?2 ORDER BY seq DESC LIMIT ?3")
            s.bind(1, webhook)
            if let key { s.bind(2, key) }
            s.bind(3, limit)
            return try s.all { s in
                WebhookDeliveryRecord(webhook: s.string(0) ?? "", receivedMillis: s.int64(1), key: s.string(2), deliveryId: s.string(3),
                                      bodySha256: s.string(4) ?? "", outcome: s.string(5) ?? "", httpStatus: Int(s.int64(6)),
                                      executionArn: s.string(7), applied: s.int64(8) != 0, status: s.string(9))
            }
        }
    }
}
