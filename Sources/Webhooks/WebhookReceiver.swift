import ServiceKit
import Engine
import Journal
import StatesInterpreter
import StatesLanguage

/// The webhook receiver: named webhooks (created through the API, stored in the journal) and
/// `POST /webhooks/{name}`, which turns a sender's request into the outcome of the task
/// waiting on its correlation key.
///
/// A delivery that acts on a run commits in the same journal transaction as the run's step
/// (its record, the history event, the task's outcome), before the 2xx answer. Deliveries for
/// one key are serialised, so a repeated delivery is recognised and never resumes twice.
package final class WebhookReceiver: Sendable {
    package let engine: Engine
    let directory: WebhookDirectory
    let locks = KeyedLock()
    /// How many recent deliveries of a key are compared against a new one.
    static let dedupeDepth = 64

    package init(engine: Engine, directory: WebhookDirectory) {
        self.engine = engine
        self.directory = directory
    }

    var journal: any JournalStore { engine.journal }
    var store: any WebhookStore { directory.store }

    package func config(_ name: String) async throws(WebhookError) -> WebhookConfig? { try await directory.config(name) }

    /// Handles one request; never throws: every failure is an answer.
    package func receive(_ request: WebhookRequest) async -> WebhookResponse {
        do {
            return try await handle(request)
        } catch {
            return WebhookResponse(status: error.kind == .unauthenticated ? 401 : error.restStatus, body: ["__type": .string(error.code), "message": .string(error.message)])
        }
    }

    private func handle(_ request: WebhookRequest) async throws(WebhookError) -> WebhookResponse {
        guard let config = try await directory.config(request.webhook) else {
            throw .notFound("Webhook \(request.webhook) does not exist")
        }
        let now = engine.clock.now()
        if let failure = config.signature.check(body: request.body, headers: request.headers, nowSeconds: now.milliseconds / 1000) {
            throw failure
        }
        let bodyHash = HMAC.hex(Hashing.sha256(request.body))
        let deliveryId = config.deliveryIdHeader.flatMap { request.headers[$0] }
        var record = WebhookDeliveryRecord(webhook: config.name, receivedMillis: now.milliseconds, key: nil, deliveryId: deliveryId,
                                           bodySha256: bodyHash, outcome: "INVALID", httpStatus: 400)
        let body = request.bodyValue
        guard let key = Self.read(config.keySource, request, body).flatMap(WebhookWait.keyText) else {
            try await log(record)
            throw .validation("No correlation key in the request (\(Self.describe(config.keySource)))")
        }
        record.key = key
        let status = config.statusSource.flatMap { Self.read($0, request, body) }
        record.status = status.flatMap { $0.stringValue ?? $0.serialized }
        let rule = record.status.flatMap { config.rules[$0] } ?? config.defaultRule
        var document: JSONObject = [
            "webhook": .string(config.name), "key": .string(key), "status": status ?? .null, "body": body,
            "headers": Self.object(request.headers), "query": Self.object(request.query),
            "receivedAt": .string(now.iso8601),
        ]
        if let deliveryId { document["deliveryId"] = .string(deliveryId) }
        let (outcome, trigger) = Self.outcome(rule, config: config, document: .object(document))

        let correlation = WebhookWait.correlation(webhook: config.name, key: key)
        await locks.acquire(correlation)
        let result: Result<WebhookResponse, WebhookError>
        do throws(WebhookError) {
            result = .success(try await apply(record, outcome: outcome, trigger: trigger, correlation: correlation, config: config,
                                              traceHeader: Self.trace(request.headers)))
        } catch {
            result = .failure(error)
        }
        await locks.release(correlation)
        return try result.get()
    }

    /// Applies a delivery to the tasks waiting on its key; runs under the key's lock.
    private func apply(_ record: WebhookDeliveryRecord, outcome: String, trigger: @Sendable (TaskID) -> Trigger.Kind?,
                       correlation: String, config: WebhookConfig, traceHeader: String?) async throws(WebhookError) -> WebhookResponse
    {
        var record = record
        let key = record.key ?? ""
        let recent: [WebhookDeliveryRecord]
        do { recent = try await store.deliveries(webhook: config.name, key: key, limit: Self.dedupeDepth) } catch { throw .internal(error) }
        if let first = recent.first(where: { $0.applied && record.repeats($0, windowMillis: config.dedupeWindowSeconds * 1000) }) {
            record.outcome = "DUPLICATE"
            record.httpStatus = 200
            record.executionArn = first.executionArn
            try await log(record)
            return answer(record, arns: [])
        }
        let tokens: [TaskTokenRecord]
        do { tokens = try await journal.tokens(correlation: correlation) } catch { throw .internal(error) }
        var applied: [String] = []
        for t in tokens {
            var r = record
            r.outcome = outcome
            r.httpStatus = 200
            r.executionArn = t.executionArn
            r.applied = true
            let task = TaskID(t.taskId)
            var details = Self.eventDetails(r)
            if let traceHeader { details["traceHeader"] = .string(traceHeader) }
            var kinds: [Trigger.Kind] = [.annotate(task, type: "WebhookDeliveryReceived", detailsKey: "webhookDeliveryReceivedEventDetails",
                                                   details: details)]
            if let k = trigger(task) { kinds.append(k) }
            do {
                // The sender's trace goes on with the run: what the resumed step starts is part of it.
                if try await engine.deliver(t.executionArn, kinds, attachments: [store.attachment(r)], traceHeader: traceHeader) != nil {
                    applied.append(t.executionArn)
                }
            } catch {
                throw WebhookError("InternalServerError", "The run could not take the delivery: \(error.message)", kind: .server)
            }
        }
        if !applied.isEmpty {
            record.outcome = outcome
            record.httpStatus = 200
            Self.count(record)
            return answer(record, arns: applied)
        }
        // Nobody waits on the key: a late delivery if a run registered it, else an unknown key.
        let owner: String?
        do { owner = try await journal.correlationOwner(correlation) } catch { throw .internal(error) }
        record.executionArn = owner
        record.outcome = owner == nil ? "UNKNOWN_KEY" : "LATE"
        record.httpStatus = owner == nil ? 404 : 200
        try await log(record)
        if owner == nil { throw .notFound("No run waits on key '\(key)' of webhook \(config.name)") }
        return answer(record, arns: [])
    }

    /// Deliveries by webhook and outcome (`baton_webhook_deliveries_total`).
    static func count(_ record: WebhookDeliveryRecord) {
        guard MetricHandles.enabled else { return }
        MetricHandles.shared.counter("baton_webhook_deliveries_total", [("webhook", record.webhook), ("outcome", record.outcome)]).increment()
    }

    static func object(_ d: [String: String]) -> JSON {
        var o = JSONObject(minimumCapacity: d.count)
        for (k, v) in d.sorted(by: { $0.key < $1.key }) { o.appendUnchecked(k, .string(v)) }
        return .object(o)
    }

    func log(_ record: WebhookDeliveryRecord) async throws(WebhookError) {
        do { try await store.recordDeliveries([record]) } catch { throw .internal(error) }
        Self.count(record)
    }

    func answer(_ r: WebhookDeliveryRecord, arns: [String]) -> WebhookResponse {
        var o: JSONObject = ["Outcome": .string(r.outcome), "Webhook": .string(r.webhook), "Key": .string(r.key ?? "")]
        if !arns.isEmpty { o["ExecutionArns"] = .array(arns.map { .string($0) }) }
        if let id = r.deliveryId { o["DeliveryId"] = .string(id) }
        return WebhookResponse(status: r.httpStatus, body: .object(o))
    }

    /// The event the run's history records: which webhook, the key, the outcome, the body's hash
    /// (never the secret, nor the headers that carry signatures).
    /// The sender's trace (`X-Amzn-Trace-Id` or a W3C `traceparent`), in X-Ray's spelling.
    static func trace(_ headers: [String: String]) -> String? {
        ServiceCall(action: "", headers: headers).traceHeader
    }

    static func eventDetails(_ r: WebhookDeliveryRecord) -> JSONObject {
        var d: JSONObject = ["webhook": .string(r.webhook), "key": .string(r.key ?? ""), "outcome": .string(r.outcome)]
        if let s = r.status { d["status"] = .string(s) }
        if let id = r.deliveryId { d["deliveryId"] = .string(id) }
        d["bodySha256"] = .string(r.bodySha256)
        return d
    }

    static func read(_ source: WebhookConfig.Source, _ request: WebhookRequest, _ body: JSON) -> JSON? {
        switch source {
        case .body(let path): return try? path.evaluate(input: body, context: .null)
        case .header(let name): return request.headers[name].map { .string($0) }
        case .query(let name): return request.query[name].map { .string($0) }
        }
    }

    static func describe(_ source: WebhookConfig.Source) -> String {
        switch source {
        case .body(let path): return "body path \(path.text)"
        case .header(let name): return "header \(name)"
        case .query(let name): return "query parameter \(name)"
        }
    }

    /// The outcome's name and the trigger it makes for a task. A template that does not apply
    /// to the request fails the task with States.Runtime, as a Parameters path would: the run's
    /// Catch sees it, and the history says which path was missing.
    static func outcome(_ rule: WebhookConfig.Rule, config: WebhookConfig, document: JSON)
        -> (String, @Sendable (TaskID) -> Trigger.Kind?)
    {
        var random = RandomSource(seed: 0)
        let scope = Scope(input: document)
        do throws(StatesError) {
            switch rule.outcome {
            case .success:
                let output = try (rule.output ?? config.output).map { (t) throws(StatesError) in try DataFlow.apply(t, scope: scope, random: &random) }
                    ?? document["body"] ?? .null
                return (rule.outcome.rawValue, { .taskSucceeded($0, output: output) })
            case .failure:
                let error = try rule.error.map { (t) throws(StatesError) in try DataFlow.apply(t, scope: scope, random: &random) }
                let cause = try rule.cause.map { (t) throws(StatesError) in try DataFlow.apply(t, scope: scope, random: &random) }
                let failure = StatesError(Self.text(error) ?? "Webhook.Failure", Self.text(cause))
                return (rule.outcome.rawValue, { .taskFailed($0, failure) })
            case .heartbeat:
                return (rule.outcome.rawValue, { .taskHeartbeat($0) })
            case .ignore:
                return (rule.outcome.rawValue, { _ in nil })
            }
        } catch {
            return (WebhookConfig.Outcome.failure.rawValue, { .taskFailed($0, error) })
        }
    }

    /// A template's single value as text: a `"Error.$"` template yields `{"Error": v}`.
    static func text(_ v: JSON?) -> String? {
        guard var v else { return nil }
        if case .object(let o) = v, o.count == 1, let only = o.values.first { v = only }
        return v.stringValue ?? v.serialized
    }
}
