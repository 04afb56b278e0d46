import Engine
import Journal
import JournalPostgres
import ServiceKit
import ServiceLifecycle
import StatesLanguage

/// Amazon SQS on the seam: the JSON protocol (`AmazonSQS.*`, JSON 1.0) and the query protocol
/// older SDKs send (form-encoded, XML answers), one set of actions behind both. Queues are
/// documents; messages live on disk in the `MessageStore`, and a send answers only once its
/// message is committed. Queue URLs are `http://HOST/ACCOUNT/NAME` on the one endpoint.
package struct SQSService: BatonService {
    let queues: DocumentBook<SQSQueue>
    /// The committed queues, readable without awaiting (a Task state's send is planned synchronously).
    let directory: LockedValue<[String: SQSQueue]>
    let store: any MessageStore
    let waiters: QueueWaiters
    let deleted: LockedValue<[String: Int64]>
    let moveTasks: MoveTasks
    let clock: any EngineClock
    let region: String
    let account: String
    /// The endpoint's address for queue URLs made outside a request (a Task state's answer).
    let defaultHost: String

    package init(_ context: ServiceContext) async throws(ServiceError) {
        clock = context.engine.clock
        region = context.region
        account = context.account
        defaultHost = context.publicHost
        queues = try await DocumentBook(owner: "sqs.queues", store: context.store, encode: { $0.json }, decode: { SQSQueue(json: $0) })
        var all: [String: SQSQueue] = [:]
        for (k, v) in await queues.all { all[k] = v }
        directory = LockedValue(all)
        // The messages live where the queues do: PostgreSQL's tables when the journal is there
        // (every node's), else the data directory's SQLite.
        do {
            if let postgres = context.store as? PostgresJournal {
                store = try await PostgresMessageStore(postgres)
            } else {
                store = try await SQLiteMessageStore(context.database)
            }
        } catch {
            throw ServiceError.internalFailure("cannot open the message store: \(error)")
        }
        waiters = QueueWaiters()
        deleted = LockedValue([:])
        moveTasks = MoveTasks()
        // Messages of a queue deleted while the server stopped mid-way go with it (asked of
        // the store itself: another node may have created the queue since this one read them).
        if let names = try? await store.queuesWithMessages() {
            for name in names where all[name] == nil {
                guard (try? await context.store.document(owner: "sqs.queues", key: name)) == .some(nil) else { continue }
                try? await store.purge(queue: name, dropping: true)
            }
        }
        // Queues created, changed or deleted through another node; messages sent through one.
        let directory = self.directory, waiters = self.waiters
        await queues.watch { name, queue in directory.mutate { $0[name] = queue } }
        store.observeArrivals { name in await waiters.signal(name) }
    }

    package var name: String { "sqs" }

    package var browseViews: [BrowseView] {
        [BrowseView("Queues", columns: [.init("Queue URL")], action: "ListQueues", body: ["MaxResults": 1000], list: "QueueUrls")]
    }
    package var wireProtocol: WireProtocol { .json(targetPrefix: "AmazonSQS", version: "1.0") }

    package var queryProtocol: QueryProtocol? {
        let model = SQSQueryModel.model.adding(errors: [
            "InvalidParameterValueException": ("InvalidParameterValue", 400),
            "MissingRequiredParameterException": ("MissingParameter", 400),
            "QueueDoesNotExist": ("AWS.SimpleQueueService.NonExistentQueue", 400),
            "InvalidAddress": ("InvalidAddress", 404),
            "InvalidSecurity": ("InvalidSecurity", 403),
            "RequestThrottled": ("RequestThrottled", 403),
        ])
        return QueryProtocol(model: model, signingName: "sqs", errorDetail: true, queryCompatibleJSON: true,
                             pathParameters: { path, host in
                                 guard let (account, name) = Self.queuePath(path) else { return nil }
                                 return ["QueueUrl": "http://\(host)/\(account)/\(name)"]
                             })
    }

    package var backgroundServices: [any ServiceLifecycle.Service] {
        let s = self
        return [LoopService { await s.sweep() }]
    }

    package var taskResources: [TaskResourceBinding] {
        [TaskResourceBinding(.resource("arn:aws:states:::sqs:sendMessage"), SQSSendTaskHandler(service: self))]
    }

    package var actions: [String: Action] {
        var t = ActionTable()
        let s = self
        func add(_ name: String, _ body: @escaping @Sendable (JSONRequest, String) async throws -> JSON) {
            t.raw(name) { (call: ServiceCall) async throws -> ServiceReply in
                let request = try call.request()
                let host = call.headers["host"] ?? s.defaultHost
                return ServiceReply(status: 200, body: try await body(request, host).serializedBytes)
            }
        }
        add("CreateQueue") { try await s.createQueue($0, host: $1) }
        add("GetQueueUrl") { try await s.getQueueUrl($0, host: $1) }
        add("ListQueues") { try await s.listQueues($0, host: $1) }
        add("GetQueueAttributes") { r, _ in try await s.getQueueAttributes(r) }
        add("SetQueueAttributes") { r, _ in try await s.setQueueAttributes(r) }
        add("DeleteQueue") { r, _ in try await s.deleteQueue(r) }
        add("PurgeQueue") { r, _ in try await s.purgeQueue(r) }
        add("TagQueue") { r, _ in try await s.tagQueue(r) }
        add("UntagQueue") { r, _ in try await s.untagQueue(r) }
        add("ListQueueTags") { r, _ in try await s.listQueueTags(r) }
        add("AddPermission") { r, _ in try await s.addPermission(r) }
        add("RemovePermission") { r, _ in try await s.removePermission(r) }
        add("ListDeadLetterSourceQueues") { try await s.listDeadLetterSourceQueues($0, host: $1) }
        add("SendMessage") { r, _ in try await s.sendMessage(r) }
        add("SendMessageBatch") { r, _ in try await s.sendMessageBatch(r) }
        add("ReceiveMessage") { r, _ in try await s.receiveMessage(r) }
        add("DeleteMessage") { r, _ in try await s.deleteMessage(r) }
        add("DeleteMessageBatch") { r, _ in try await s.deleteMessageBatch(r) }
        add("ChangeMessageVisibility") { r, _ in try await s.changeMessageVisibility(r) }
        add("ChangeMessageVisibilityBatch") { r, _ in try await s.changeMessageVisibilityBatch(r) }
        add("StartMessageMoveTask") { r, _ in try await s.startMessageMoveTask(r) }
        add("ListMessageMoveTasks") { r, _ in try await s.listMessageMoveTasks(r) }
        add("CancelMessageMoveTask") { r, _ in try await s.cancelMessageMoveTask(r) }
        return t.actions
    }

    /// Receivers parked in a long poll on the queue (benchmarks send once one is parked).
    package func parkedReceivers(_ queue: String) async -> Int { await waiters.parked(queue) }

    // MARK: names

    var now: Int64 { clock.now().milliseconds }

    func arn(_ name: String) -> String { "arn:aws:sqs:\(region):\(account):\(name)" }

    func url(_ name: String, host: String) -> String { "http://\(host)/\(account)/\(name)" }

    /// `/ACCOUNT/NAME` (twelve digits, then a queue name).
    static func queuePath(_ path: String) -> (String, String)? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].count == 12, parts[0].allSatisfy(\.isNumber), isQueueName(String(parts[1])) else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    /// Up to 80 alphanumerics, hyphens and underscores (a FIFO queue's `.fifo` suffix besides).
    static func isQueueName(_ name: String) -> Bool {
        let base = name.hasSuffix(".fifo") ? String(name.dropLast(5)) : name
        return !base.isEmpty && name.count <= 80
            && base.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_" }
    }

    static func queueMissing() -> ServiceError {
        ServiceError("QueueDoesNotExist", "The specified queue does not exist.")
    }

    /// The queue a QueueUrl names: a URL of this endpoint's form, or (as SQS also takes) a bare name.
    func queue(_ request: JSONRequest, member: String = "QueueUrl") throws(ServiceError) -> SQSQueue {
        guard let url = try request.string(member) else {
            throw ServiceError("MissingRequiredParameterException", "The request must contain the parameter \(member).")
        }
        return try queue(url: url)
    }

    func queue(url: String) throws(ServiceError) -> SQSQueue {
        if url.hasPrefix("arn:") {
            guard let q = queue(arn: url) else { throw Self.queueMissing() }
            return q
        }
        var trimmed = Substring(url)
        while trimmed.last == "/" { trimmed = trimmed.dropLast() }
        let name = trimmed.lastIndex(of: "/").map { trimmed[trimmed.index(after: $0)...] } ?? trimmed
        // An owner other than this account names another account's queue, which is not here.
        let rest = trimmed.dropLast(name.count).dropLast()
        let owner = rest.lastIndex(of: "/").map { rest[rest.index(after: $0)...] } ?? rest
        if owner.utf8.count == 12, owner.allSatisfy(\.isNumber), owner != account { throw Self.queueMissing() }
        guard !name.isEmpty, let q = directory.value[String(name)] else { throw Self.queueMissing() }
        return q
    }

    /// The queue an ARN names, or nil.
    func queue(arn: String) -> SQSQueue? {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "sqs", parts[4] == account else { return nil }
        return directory.value[String(parts[5])]
    }

    /// Commits a change to a queue's definition and publishes it to the directory.
    @discardableResult
    func update<R: Sendable>(_ name: String, _ change: @Sendable (inout SQSQueue?) throws(ServiceError) -> R) async throws(ServiceError) -> R {
        let r = try await queues.update(name, change)
        let committed = await queues.get(name)
        directory.value[name] = committed
        return r
    }

    static func invalidParameter(_ name: String, _ value: String, _ reason: String) -> ServiceError {
        ServiceError("InvalidParameterValueException", "Value \(value) for parameter \(name) is invalid. Reason: \(reason)")
    }
}
