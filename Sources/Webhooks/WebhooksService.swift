import Engine
import JournalPostgres
import ServiceKit
import StatesLanguage

/// Webhooks on the seam: the receiver (`POST /webhooks/{name}`, proven by the webhook's own
/// signature scheme, never by SigV4: third parties call it), Baton's admin API under
/// `/baton/webhooks` (SigV4 like every other route), and the `baton:webhook` Task resource.
package struct WebhooksService: BatonService {
    package let receiver: WebhookReceiver
    package let directory: WebhookDirectory

    /// The service on the journal's database (its tables created or upgraded here): the
    /// deliveries a step applies are written in that step's transaction, so the store must
    /// live where the journal does.
    package init(_ context: ServiceContext) async throws {
        if let postgres = context.engine.journal as? PostgresJournal {
            self.init(context, store: try await PostgresWebhookStore(postgres))
        } else {
            self.init(context, store: try await SQLiteWebhookStore(context.database))
        }
    }

    package init(_ context: ServiceContext, store: any WebhookStore) {
        directory = WebhookDirectory(store: store)
        receiver = WebhookReceiver(engine: context.engine, directory: directory)
    }

    /// Senders' payloads are small; AWS's own payload limit is 256 KiB.
    static let maximumDeliveryBytes = 1024 * 1024

    package var name: String { "webhooks" }
    package var wireProtocol: WireProtocol { .restJSON }

    package var routes: [RESTRoute] {
        [
            RESTRoute("POST", "/webhooks/{Name}", action: "Deliver", authentication: .ownScheme("the webhook's signature"),
                      maximumBodyBytes: Self.maximumDeliveryBytes),
            RESTRoute("POST", "/baton/webhooks", action: "CreateWebhook", maximumBodyBytes: Self.maximumDeliveryBytes),
            RESTRoute("GET", "/baton/webhooks", action: "ListWebhooks", authentication: .sigV4OrSession),
            RESTRoute("GET", "/baton/webhooks/{Name}", action: "GetWebhook", authentication: .sigV4OrSession),
            RESTRoute("PUT", "/baton/webhooks/{Name}", action: "UpdateWebhook", maximumBodyBytes: Self.maximumDeliveryBytes),
            RESTRoute("DELETE", "/baton/webhooks/{Name}", action: "DeleteWebhook"),
            RESTRoute("GET", "/baton/webhooks/{Name}/deliveries", action: "ListDeliveries", authentication: .sigV4OrSession),
        ]
    }

    package var actions: [String: Action] {
        let r = receiver
        return [
            "Deliver": { (c: ServiceCall) async throws -> ServiceReply in
                let delivery = WebhookRequest(webhook: c.parameter("Name"), body: c.body, headers: c.headers, query: c.query)
                // The receiver's answers are its own protocol, read by third-party senders
                // (401 for a bad signature, 202 for an accepted one that waits).
                let answer = await r.receive(delivery)
                return .json(answer.body, status: answer.status)
            },
            "CreateWebhook": { (c: ServiceCall) async throws -> ServiceReply in
                .json(.object(try await r.create(try Self.object(c.body))), status: 201)
            },
            "ListWebhooks": { (_: ServiceCall) async throws -> ServiceReply in
                .json(["Webhooks": .array(try await r.list().map { .object($0) })])
            },
            "GetWebhook": { (c: ServiceCall) async throws -> ServiceReply in
                .json(.object(try await r.describe(name: c.parameter("Name"))))
            },
            "UpdateWebhook": { (c: ServiceCall) async throws -> ServiceReply in
                .json(.object(try await r.update(name: c.parameter("Name"), try Self.object(c.body))))
            },
            "DeleteWebhook": { (c: ServiceCall) async throws -> ServiceReply in
                try await r.delete(name: c.parameter("Name"))
                return .empty()
            },
            "ListDeliveries": { (c: ServiceCall) async throws -> ServiceReply in
                let rows = try await r.deliveries(name: c.parameter("Name"), key: c.query["key"], limit: Int(c.query["limit"] ?? "") ?? 100)
                return .json(["Deliveries": .array(rows.map { .object($0) })])
            },
        ]
    }

    package var taskResources: [TaskResourceBinding] {
        [TaskResourceBinding(.resource("arn:aws:states:::baton:webhook"), WebhookTaskHandler(directory: directory))]
    }

    /// The admin body: a JSON object, or a ValidationException.
    static func object(_ bytes: [UInt8]) throws(ServiceError) -> JSONObject {
        guard case .object(let o)? = try? JSONParser.parse(bytes) else {
            throw ServiceError("ValidationException", "The request body must be a JSON object")
        }
        return o
    }
}
