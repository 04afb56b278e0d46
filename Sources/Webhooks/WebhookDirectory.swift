import ServiceKit
import Journal
import StatesLanguage

/// The webhooks' parsed configurations, cached; the store holds them.
package actor WebhookDirectory {
    package let store: any WebhookStore
    private var cache: [String: WebhookConfig] = [:]

    package init(store: any WebhookStore) { self.store = store }

    package func config(_ name: String) async throws(WebhookError) -> WebhookConfig? {
        if let c = cache[name] { return c }
        let record: WebhookRecord?
        do { record = try await store.webhook(name: name) } catch { throw WebhookError.internal(error) }
        guard let record, case .object(let o)? = try? JSONParser.parse(record.config) else { return nil }
        let config = try WebhookConfig(json: o)
        cache[name] = config
        return config
    }

    func forget(_ name: String) { cache[name] = nil }
}

extension WebhookError {
    static func `internal`(_ error: JournalError) -> WebhookError {
        WebhookError("InternalServerError", "The journal failed: \(error)", kind: .server)
    }
}
