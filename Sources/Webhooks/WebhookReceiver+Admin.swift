import ServiceKit
import Journal
import StatesLanguage

/// Creating, reading, replacing and deleting webhooks, and reading their delivery log.
extension WebhookReceiver {
    package func create(_ json: JSONObject) async throws(WebhookError) -> JSONObject {
        let config = try WebhookConfig(json: json)
        let now = engine.clock.now().milliseconds
        let record = WebhookRecord(name: config.name, config: JSON.object(config.json).serialized, createdMillis: now, updatedMillis: now)
        do { try await store.putWebhook(record, create: true) } catch {
            if error.code == .alreadyExists { throw WebhookError("ResourceConflictException", "Webhook \(config.name) already exists", kind: .conflict) }
            throw .internal(error)
        }
        await directory.forget(config.name)
        return Self.describe(config, record)
    }

    /// Replaces a webhook's configuration; a missing `Signature.Secret` keeps the current one.
    package func update(name: String, _ json: JSONObject) async throws(WebhookError) -> JSONObject {
        guard let previous = try await directory.config(name), let old = try await record(name) else {
            throw .notFound("Webhook \(name) does not exist")
        }
        var json = json
        if let given = json["Name"]?.stringValue, given != name { throw .validation("'Name' cannot change (\(given) ≠ \(name))") }
        json["Name"] = .string(name)
        let config = try WebhookConfig(json: json, previous: previous)
        var record = old
        record.config = JSON.object(config.json).serialized
        record.updatedMillis = engine.clock.now().milliseconds
        do { try await store.putWebhook(record, create: false) } catch { throw .internal(error) }
        await directory.forget(name)
        return Self.describe(config, record)
    }

    package func describe(name: String) async throws(WebhookError) -> JSONObject {
        guard let config = try await directory.config(name), let record = try await record(name) else {
            throw .notFound("Webhook \(name) does not exist")
        }
        return Self.describe(config, record)
    }

    package func list() async throws(WebhookError) -> [JSONObject] {
        let records: [WebhookRecord]
        do { records = try await store.webhooks() } catch { throw .internal(error) }
        var out: [JSONObject] = []
        for r in records {
            if let config = try await directory.config(r.name) { out.append(Self.describe(config, r)) }
        }
        return out
    }

    package func delete(name: String) async throws(WebhookError) {
        guard try await record(name) != nil else { throw .notFound("Webhook \(name) does not exist") }
        do { try await store.deleteWebhook(name: name) } catch { throw .internal(error) }
        await directory.forget(name)
    }

    package func deliveries(name: String, key: String?, limit: Int) async throws(WebhookError) -> [JSONObject] {
        guard try await record(name) != nil else { throw .notFound("Webhook \(name) does not exist") }
        let rows: [WebhookDeliveryRecord]
        do { rows = try await store.deliveries(webhook: name, key: key, limit: max(1, min(limit, 1000))) } catch { throw .internal(error) }
        return rows.map { r in
            var o: JSONObject = ["ReceivedAt": .string(Timestamp(milliseconds: r.receivedMillis).iso8601), "Outcome": .string(r.outcome),
                                 "HttpStatus": .int(Int64(r.httpStatus)), "BodySha256": .string(r.bodySha256)]
            if let k = r.key { o["Key"] = .string(k) }
            if let s = r.status { o["Status"] = .string(s) }
            if let d = r.deliveryId { o["DeliveryId"] = .string(d) }
            if let a = r.executionArn { o["ExecutionArn"] = .string(a) }
            return o
        }
    }

    func record(_ name: String) async throws(WebhookError) -> WebhookRecord? {
        do { return try await store.webhook(name: name) } catch { throw .internal(error) }
    }

    static func describe(_ config: WebhookConfig, _ record: WebhookRecord) -> JSONObject {
        var o = config.redacted
        o["Url"] = .string("/webhooks/\(config.name)")
        o["CreationDate"] = .string(Timestamp(milliseconds: record.createdMillis).iso8601)
        o["LastModifiedDate"] = .string(Timestamp(milliseconds: record.updatedMillis).iso8601)
        return o
    }
}
