import Engine
import Journal
import ServiceKit
import ServiceLifecycle
import StatesLanguage

/// Amazon SNS on the seam, in its query protocol (form-encoded requests, XML answers, as
/// boto3's `sns` client speaks it): topics and subscriptions as documents, Publish fanning out
/// in one commit (a queue subscription's message is inserted in that commit; the others become
/// durable deliveries a queue worker performs with retries and, at the end, the subscription's
/// dead-letter queue).
package struct SNSService: BatonService {
    let topics: DocumentBook<JSONObject>
    let subscriptions: DocumentBook<JSONObject>
    /// Committed subscriptions by topic ARN, readable without awaiting.
    let byTopic: LockedValue<[String: [JSONObject]]>
    /// Committed topics by name, readable without awaiting (a Task state's publication is
    /// planned while its step is built).
    let topicMirror: LockedValue<[String: JSONObject]>
    /// Subscriptions' filter policies compiled once, by scope and text (a publication matches
    /// every subscription's policy; parsing each time cost more than the match).
    let compiledPolicies: LockedValue<[String: FilterPolicy]>
    let emails: DocumentBook<JSONObject>
    /// Mobile push applications and endpoints, SMS settings and opt-outs, by ARN (or `sms:…`).
    let platformBook: DocumentBook<JSONObject>
    /// FIFO topics' deduplication ids (five minutes) with the publication they named, and the
    /// sequence FIFO publications are numbered from. In memory: a restart forgets the window.
    let deduplication: LockedValue<[String: (id: String, sequence: Int64, expires: Int64)]>
    let sequence: LockedValue<Int64>
    let sqs: SQSService
    let engine: Engine
    let delivery: SNSDelivery
    let worker: QueueWorker
    let clock: any EngineClock
    let region: String
    let account: String

    package init(_ context: ServiceContext, sqs: SQSService) async throws(ServiceError) {
        clock = context.engine.clock
        region = context.region
        account = context.account
        engine = context.engine
        self.sqs = sqs
        let json: @Sendable (JSONObject) -> JSON = { .object($0) }
        topics = try await DocumentBook(owner: "sns.topics", store: context.store, encode: json, decode: { $0.objectValue })
        subscriptions = try await DocumentBook(owner: "sns.subscriptions", store: context.store, encode: json, decode: { $0.objectValue })
        emails = try await DocumentBook(owner: "sns.email-outbox", store: context.store, encode: json, decode: { $0.objectValue })
        platformBook = try await DocumentBook(owner: "sns.platform", store: context.store, encode: json, decode: { $0.objectValue })
        var index: [String: [JSONObject]] = [:]
        for (_, s) in await subscriptions.all { index[s["TopicArn"]?.stringValue ?? "", default: []].append(s) }
        byTopic = LockedValue(index)
        var mirror: [String: JSONObject] = [:]
        for (k, v) in await topics.all { mirror[k] = v }
        topicMirror = LockedValue(mirror)
        compiledPolicies = LockedValue([:])
        deduplication = LockedValue([:])
        // Milliseconds since 1970 times 1,000: larger after a restart than any number before it.
        sequence = LockedValue(context.engine.clock.now().milliseconds * 1000)
        let signer: NotificationSigner
        do { signer = try await NotificationSigner(directory: context.dataDirectory) } catch {
            throw ServiceError.internalFailure("cannot make the SNS signing key: \(error)")
        }
        delivery = SNSDelivery(engine: context.engine, sqs: sqs, emails: emails, clock: context.engine.clock, signer: signer)
        worker = QueueWorker(queue: SNSDelivery.queue, store: context.store, clock: context.engine.clock, consumer: delivery,
                             concurrency: 64, logger: context.engine.logger)
        delivery.attach(worker)
        // Topics and subscriptions changed through another node: the mirror and the index follow.
        let service = self
        await topics.watch { name, topic in service.topicMirror.mutate { $0[name] = topic } }
        await subscriptions.watch { _, _ in await service.reindex() }
    }

    package var name: String { "sns" }

    package var browseViews: [BrowseView] {
        [BrowseView("Topics", columns: [.init("Topic ARN", "TopicArn")], action: "ListTopics", list: "Topics"),
         BrowseView("Subscriptions", columns: [.init("Topic ARN", "TopicArn"), .init("Protocol", "Protocol"), .init("Endpoint", "Endpoint")],
                    action: "ListSubscriptions", list: "Subscriptions")]
    }
    package var wireProtocol: WireProtocol { .query(service: "sns") }

    package var queryProtocol: QueryProtocol? {
        QueryProtocol(model: SNSQueryModel.model.adding(errors: ["ValidationError": ("ValidationError", 400)]), signingName: "sns")
    }

    package var backgroundServices: [any ServiceLifecycle.Service] {
        [LoopService { [worker] in await worker.run() }]
    }

    package var taskResources: [TaskResourceBinding] {
        [TaskResourceBinding(.resource("arn:aws:states:::sns:publish"), SNSPublishTaskHandler(service: self))]
    }

    package var routes: [RESTRoute] {
        // What email and email-json subscriptions were sent (Baton's addition: there is no mail server).
        [
            RESTRoute("GET", "/baton/sns/email-outbox", action: "ListEmailDeliveries"),
            RESTRoute("GET", "/SimpleNotificationService-baton.pem", action: "GetSigningCertificate",
                      authentication: .open("the public certificate receivers fetch to verify notifications")),
        ]
    }

    package var actions: [String: Action] {
        var t = ActionTable()
        let s = self
        t.json("CreateTopic") { try await s.createTopic($0) }
        t.json("DeleteTopic") { try await s.deleteTopic($0) }
        t.json("ListTopics") { try await s.listTopics($0) }
        t.json("GetTopicAttributes") { try await s.getTopicAttributes($0) }
        t.json("SetTopicAttributes") { try await s.setTopicAttributes($0) }
        t.json("Subscribe") { try await s.subscribe($0) }
        t.json("ConfirmSubscription") { try await s.confirmSubscription($0) }
        t.json("Unsubscribe") { try await s.unsubscribe($0) }
        t.json("ListSubscriptions") { try await s.listSubscriptions($0, topic: nil) }
        t.json("ListSubscriptionsByTopic") { try await s.listSubscriptions($0, topic: try $0.required("TopicArn")) }
        t.json("GetSubscriptionAttributes") { try await s.getSubscriptionAttributes($0) }
        t.json("SetSubscriptionAttributes") { try await s.setSubscriptionAttributes($0) }
        t.json("Publish") { try await s.publish($0) }
        t.json("PublishBatch") { try await s.publishBatch($0) }
        t.json("AddPermission") { try await s.addPermission($0) }
        t.json("RemovePermission") { try await s.removePermission($0) }
        t.json("PutDataProtectionPolicy") { try await s.putDataProtectionPolicy($0) }
        t.json("GetDataProtectionPolicy") { try await s.getDataProtectionPolicy($0) }
        t.json("CreatePlatformApplication") { try await s.createPlatformApplication($0) }
        t.json("GetPlatformApplicationAttributes") { try await s.getPlatformApplicationAttributes($0) }
        t.json("SetPlatformApplicationAttributes") { try await s.setPlatformApplicationAttributes($0) }
        t.json("DeletePlatformApplication") { try await s.deletePlatformApplication($0) }
        t.json("ListPlatformApplications") { try await s.listPlatformApplications($0) }
        t.json("CreatePlatformEndpoint") { try await s.createPlatformEndpoint($0) }
        t.json("GetEndpointAttributes") { try await s.getEndpointAttributes($0) }
        t.json("SetEndpointAttributes") { try await s.setEndpointAttributes($0) }
        t.json("DeleteEndpoint") { try await s.deleteEndpoint($0) }
        t.json("ListEndpointsByPlatformApplication") { try await s.listEndpointsByPlatformApplication($0) }
        t.json("SetSMSAttributes") { try await s.setSMSAttributes($0) }
        t.json("GetSMSAttributes") { try await s.getSMSAttributes($0) }
        t.json("OptInPhoneNumber") { try await s.optInPhoneNumber($0) }
        t.json("CheckIfPhoneNumberIsOptedOut") { try await s.checkIfPhoneNumberIsOptedOut($0) }
        t.json("ListPhoneNumbersOptedOut") { try await s.listPhoneNumbersOptedOut($0) }
        t.json("TagResource") { try await s.tagResource($0) }
        t.json("UntagResource") { try await s.untagResource($0) }
        t.json("ListTagsForResource") { try await s.listTagsForResource($0) }
        t.raw("GetSigningCertificate") { _ in
            ServiceReply(status: 200, headers: [("Content-Type", "application/x-pem-file")], body: Array(s.delivery.signer.certificate.utf8))
        }
        t.raw("ListEmailDeliveries") { _ in
            let all = await s.emails.all.map { JSON.object($0.value) }
            return .json(["Deliveries": .array(all)])
        }
        return t.actions
    }

    var now: Int64 { clock.now().milliseconds }

    func topicArn(_ name: String) -> String { "arn:aws:sns:\(region):\(account):\(name)" }

    static func invalid(_ message: String) -> ServiceError { ServiceError("InvalidParameterException", "Invalid parameter: \(message)") }
    static func notFound(_ what: String = "Topic does not exist") -> ServiceError {
        ServiceError("NotFoundException", what, kind: .notFound)
    }

    /// The topic an ARN names (its name is the ARN's last part), or NotFound.
    func topic(_ arn: String) async throws(ServiceError) -> (name: String, topic: JSONObject) {
        let parts = try Self.arnParts(arn, member: "TopicArn")
        guard parts.count == 6, parts[2] == "sns" else { throw Self.invalid("TopicArn") }
        guard parts[4] == Substring(account), let t = await topics.get(String(parts[5])) else { throw Self.notFound() }
        return (String(parts[5]), t)
    }

    /// An ARN's parts, or AWS's complaint about them.
    static func arnParts(_ arn: String, member: String) throws(ServiceError) -> [Substring] {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 6 else {
            throw invalid("\(member) Reason: An ARN must have at least 6 elements, not \(arn.isEmpty ? 1 : parts.count)")
        }
        guard parts[0] == "arn" else { throw invalid("\(member) Reason: A ARN must begin with arn followed by a colon, not \(parts[0])") }
        return parts
    }

    /// Changes a topic's document and publishes the committed result to the mirror.
    @discardableResult
    func updateTopic<R: Sendable>(_ name: String, _ change: @Sendable (inout JSONObject?) throws(ServiceError) -> R) async throws(ServiceError) -> R {
        let r = try await topics.update(name, change)
        let committed = await topics.get(name)
        topicMirror.mutate { $0[name] = committed }
        return r
    }

    /// A subscription's filter policy, compiled on first use (checked at Subscribe, so it compiles).
    func filterPolicy(_ text: String, scope: String) -> FilterPolicy? {
        let key = scope + "\u{1}" + text
        if let cached = compiledPolicies.value[key] { return cached }
        guard let compiled = try? FilterPolicy(text: text, scope: scope) else { return nil }
        compiledPolicies.mutate { if $0.count > 10_000 { $0.removeAll() }; $0[key] = compiled }
        return compiled
    }

    /// The topic an ARN names, from the mirror (synchronous).
    func mirroredTopic(_ arn: String) -> JSONObject? {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[2] == "sns", parts[4] == Substring(account) else { return nil }
        return topicMirror.value[String(parts[5])]
    }

    func reindex() async {
        var index: [String: [JSONObject]] = [:]
        for (_, s) in await subscriptions.all { index[s["TopicArn"]?.stringValue ?? "", default: []].append(s) }
        byTopic.value = index
    }

    static func stringMap(_ request: JSONRequest, _ member: String) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in request.body[member]?.objectValue ?? [:] { out[k] = v.stringValue ?? v.serialized }
        return out
    }
}
