import CSQLite

/// Webhooks (rare writes, on the reader connection under its lock), correlation keys and the
/// delivery log.
extension SQLiteJournal {
    package func putWebhook(_ r: WebhookRecord, create: Bool) async throws(JournalError) {
        try read { (db) throws(JournalError) in
            if create {
                let s = try db.statement("INSERT INTO webhooks (name, config, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4)")
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
                let s = try db.statement("UPDATE webhooks SET config = ?2, updated_ms = ?3 WHERE name = ?1")
                s.bind(1, r.name)
                s.bind(2, r.config)
                s.bind(3, r.updatedMillis)
                try s.run()
                guard sqlite3_changes(db.handle) > 0 else { throw JournalError(.notFound, "no webhook \(r.name)") }
            }
        }
    }

    static func webhookRecord(_ s: Statement) -> WebhookRecord {
        WebhookRecord(name: s.string(0) ?? "", config: s.string(1) ?? "{}", createdMillis: s.int64(2), updatedMillis: s.int64(3))
    }

    package func webhook(name: String) async throws(JournalError) -> WebhookRecord? {
        try read { (db) throws(JournalError) -> WebhookRecord? in
            let s = try db.statement("SELECT name, config, created_ms, updated_ms FROM webhooks WHERE name = ?1")
            s.bind(1, name)
            return try s.step() ? Self.webhookRecord(s) : nil
        }
    }

    package func webhooks() async throws(JournalError) -> [WebhookRecord] {
        try read { (db) throws(JournalError) -> [WebhookRecord] in
            try db.statement("SELECT name, config, created_ms, updated_ms FROM webhooks ORDER BY name").all { Self.webhookRecord($0) }
        }
    }

    package func deleteWebhook(name: String) async throws(JournalError) {
        try read { (db) throws(JournalError) in
            let s = try db.statement("DELETE FROM webhooks WHERE name = ?1")
            s.bind(1, name)
            try s.run()
        }
    }

    package func tokens(correlation: String) async throws(JournalError) -> [TaskTokenRecord] {
        try read { (db) throws(JournalError) -> [TaskTokenRecord] in
            let s = try db.statement("""
                SELECT token, execution_arn, task_id, activity_arn, input, correlation FROM task_tokens
                WHERE correlation = ?1 ORDER BY execution_arn, task_id
                """)
            s.bind(1, correlation)
            return try s.all { Self.tokenRecord($0) }
        }
    }

    package func correlationOwner(_ correlation: String) async throws(JournalError) -> String? {
        try read { (db) throws(JournalError) -> String? in
            let s = try db.statement("SELECT execution_arn FROM correlation_keys WHERE correlation = ?1")
            s.bind(1, correlation)
            return try s.step() ? s.string(0) : nil
        }
    }

    package func deliveries(webhook: String, key: String?, limit: Int) async throws(JournalError) -> [WebhookDeliveryRecord] {
        try read { (db) throws(JournalError) -> [WebhookDeliveryRecord] in
            // Two statements, not `(?2 IS NULL OR key = ?2)`: that form cannot use the index on
            // (webhook, key, seq) and scans every delivery of the webhook.
            let columns = "webhook, received_ms, key, delivery_id, body_sha256, outcome, http_status, execution_arn, applied, status"
            let s = try db.statement(key == nil
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
