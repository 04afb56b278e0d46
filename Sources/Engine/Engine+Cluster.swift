import Foundation
import Journal
import StatesInterpreter
import StatesLanguage

/// How an engine that shares its journal with other nodes reaches the partitions it does not
/// own: the owner of each partition is the only node that commits its executions' steps.
package protocol PartitionRouter: Sendable {
    /// Whether this node holds the partition's lease now.
    func owns(_ partition: Int) -> Bool
    /// Asks the partition's owner to apply `request` (see `Engine.applyRequest`); returns its reply.
    func forward(partition: Int, _ request: JSON) async throws(EngineError) -> JSON
    /// Hands an activity task to this node's worker unless another node's got it first.
    func claim(activityTask token: String) async -> Bool
    /// Tells the long polls of every node that an activity has a task.
    func announce(activity arn: String) async
}

extension Engine {
    /// Installs the router of a node of a cluster; without one, the engine owns every partition.
    package func install(router: any PartitionRouter) { routerBox.value = router }

    /// The partition of an execution: FNV-1a of its ARN (stable across processes and nodes).
    package func partitionIndex(of arn: String) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in arn.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(h % UInt64(partitions.count))
    }

    /// Calls `listener` whenever this node takes partitions over: the services that fire
    /// schedules per partition (`owns(_:)` of the schedule's key) arm what is now theirs.
    package func onPartitionsTaken(_ listener: @escaping @Sendable () async -> Void) {
        adoptionListeners.value.append(listener)
    }

    /// Whether this node commits the execution's steps, or fires the schedule of this key
    /// (always, without a router).
    package func owns(_ arn: String) -> Bool {
        guard let router = routerBox.value else { return true }
        return router.owns(partitionIndex(of: arn))
    }

    /// The router and partition when the execution's steps belong to another node.
    func remote(_ arn: String) -> (router: any PartitionRouter, partition: Int)? {
        guard let router = routerBox.value else { return nil }
        let p = partitionIndex(of: arn)
        return router.owns(p) ? nil : (router, p)
    }

    /// An activity has a task (another node scheduled it): this node's long polls look again.
    package func activityAvailable(_ arn: String) async { await activities.scheduled(arn, nil) }

    /// Workers long-polling the activity on this node now.
    package func activityWorkersWaiting(_ arn: String) async -> Int { await activities.waiting(arn) }

    /// Activity tasks this node handed out that have not ended.
    package func activityTasksHandedOut() async -> Int { await activities.claims }

    // MARK: taking partitions over and giving them up

    /// After taking partitions over: their near timers are loaded and their outbox performed
    /// (what a restart does, for these partitions only). Their runs need nothing else: their
    /// state is in their rows.
    package func adopt(partitions taken: Set<Int>) async {
        guard !taken.isEmpty else { return }
        // What this node remembers of their runs predates the other owner's steps.
        for p in taken where p < partitions.count { await partitions[p].forgetParked() }
        await loadNearTimers()
        for listener in adoptionListeners.value { await listener() }
        do {
            let n = try await dispatchOutbox()
            logger.info("partitions taken over", metadata: ["partitions": "\(taken.sorted())", "tasks_redispatched": "\(n)"])
        } catch {
            logger.error("the outbox of taken partitions could not be read; the rescan retries", metadata: ["error": "\(error)"])
        }
    }

    /// After losing partitions (a lease that ran out): their timers are forgotten here; their
    /// new owner fires them. A step this node still tries for them is refused by the journal.
    package func drop(partitions lost: Set<Int>) async {
        guard !lost.isEmpty else { return }
        for p in lost where p < partitions.count { await partitions[p].forgetParked() }
        await timers.removeAll { lost.contains(self.partitionIndex(of: $0)) }
        logger.warning("partitions lost", metadata: ["partitions": "\(lost.sorted())"])
    }

    // MARK: requests between nodes

    /// A start forwarded to the owner of the new execution's partition.
    func forwardStart(_ router: any PartitionRouter, partition: Int, stateMachineArn: String, definitionId: Int64, name: String,
                      input: String, roleArn: String, qualifiedArn: String?, traceHeader: String?) async throws(EngineError) -> ExecutionRecord {
        var request: JSONObject = ["op": "start", "stateMachineArn": .string(stateMachineArn), "definitionId": .int(definitionId),
                                   "name": .string(name), "input": .string(input), "roleArn": .string(roleArn)]
        if let qualifiedArn { request["qualifiedArn"] = .string(qualifiedArn) }
        if let traceHeader { request["traceHeader"] = .string(traceHeader) }
        let reply = try await router.forward(partition: partition, .object(request))
        try Self.check(reply)
        return try await describe(reply["arn"]?.stringValue ?? Self.executionArn(stateMachineArn: stateMachineArn, name: name))
    }

    /// Triggers forwarded to the owner of the execution's partition; services' statements travel with them.
    func forwardDeliver(_ router: any PartitionRouter, partition: Int, arn: String, _ kinds: [Trigger.Kind], attachments: [StepAttachment],
                        traceHeader: String?) async throws(EngineError) -> ExecutionRecord? {
        guard let encoded = Self.encode(kinds) else {
            throw .internalFailure("this request cannot be applied to \(arn) from another node of the cluster yet")
        }
        var request: JSONObject = ["op": "deliver", "arn": .string(arn), "kinds": encoded]
        if let traceHeader { request["traceHeader"] = .string(traceHeader) }
        if !attachments.isEmpty {
            let list = SQLStatements()
            do {
                for a in attachments { try a.apply(in: .statements(list)) }
            } catch {
                throw .internalFailure("a service's write cannot travel to the owner of \(arn): \(error)")
            }
            request["statements"] = .array(list.list.map { s in ["sql": .string(s.sql), "values": .array(s.values.map(Self.encode))] })
        }
        let reply = try await router.forward(partition: partition, .object(request))
        try Self.check(reply)
        guard reply["taken"]?.boolValue == true else { return nil }
        return try await describe(arn)
    }

    static func check(_ reply: JSON) throws(EngineError) {
        if let code = reply["error"]?.stringValue { throw EngineError(code, reply["message"]?.stringValue ?? code) }
    }

    /// Applies a request from another node (this node owns its partition). `reply` makes the
    /// write that answers it, committed in the step the request causes, so that a request
    /// retried after a crash never applies twice; returns the answer when no step was taken.
    package func applyRequest(_ request: JSON, reply: @escaping @Sendable (JSON) -> StepAttachment) async -> JSON? {
        do {
            switch request["op"]?.stringValue {
            case "start":
                guard let machine = request["stateMachineArn"]?.stringValue, let definitionId = request["definitionId"]?.integerValue,
                      let name = request["name"]?.stringValue, let input = request["input"]?.stringValue else {
                    return ["error": "InternalFailure", "message": "a malformed start request"]
                }
                let arn = Self.executionArn(stateMachineArn: machine, name: name)
                _ = try await startExecution(stateMachineArn: machine, definitionId: definitionId, name: name, input: input,
                                             roleArn: request["roleArn"]?.stringValue ?? "arn:aws:iam::000000000000:role/baton",
                                             qualifiedArn: request["qualifiedArn"]?.stringValue, traceHeader: request["traceHeader"]?.stringValue,
                                             attachments: [reply(["arn": .string(arn)])])
                return nil
            case "deliver":
                guard let arn = request["arn"]?.stringValue, let kinds = request["kinds"].flatMap(Self.decodeKinds) else {
                    return ["error": "InternalFailure", "message": "a malformed request"]
                }
                var attachments = [reply(["taken": true])]
                if let statements = request["statements"]?.arrayValue {
                    let list = statements.map { s in
                        (sql: s["sql"]?.stringValue ?? "", values: (s["values"]?.arrayValue ?? []).map(Self.decodeValue))
                    }
                    attachments.append(StepAttachment(store: "a service of another node") { (t) throws(JournalError) in
                        guard case .statements(let out) = t else { throw JournalError(.corrupt, "statements need a networked journal") }
                        for s in list { out.add(s.sql, s.values) }
                    })
                }
                let r = try await deliver(arn, kinds, attachments: attachments, traceHeader: request["traceHeader"]?.stringValue)
                return r == nil ? ["taken": false] : nil
            case "redrive":
                guard let arn = request["arn"]?.stringValue, let role = request["roleArn"]?.stringValue else {
                    return ["error": "InternalFailure", "message": "a malformed redrive request"]
                }
                // The answer commits with the redrive's step: a request retried after a crash finds it answered.
                _ = try await redriveExecution(arn, roleArn: role, attachments: [reply(["redriven": true])])
                return nil
            default:
                return ["error": "InternalFailure", "message": "an unknown request"]
            }
        } catch {
            return ["error": .string(error.code), "message": .string(error.message)]
        }
    }

    // MARK: encoding

    /// The triggers a request can carry (the API's: task answers, heartbeats, stops); nil when one cannot travel.
    static func encode(_ kinds: [Trigger.Kind]) -> JSON? {
        var out: [JSON] = []
        for k in kinds {
            switch k {
            case .taskStarted(let id, let worker):
                out.append(["kind": "taskStarted", "task": .int(Int64(id.rawValue)), "worker": worker.map { .string($0) } ?? .null])
            case .taskSucceeded(let id, let output):
                out.append(["kind": "taskSucceeded", "task": .int(Int64(id.rawValue)), "output": output])
            case .taskFailed(let id, let e):
                out.append(["kind": "taskFailed", "task": .int(Int64(id.rawValue)), "error": .string(e.error), "cause": e.cause.map { .string($0) } ?? .null])
            case .taskHeartbeat(let id):
                out.append(["kind": "taskHeartbeat", "task": .int(Int64(id.rawValue))])
            case .annotate(let id, let type, let key, let details):
                out.append(["kind": "annotate", "task": .int(Int64(id.rawValue)), "type": .string(type), "key": .string(key), "details": .object(details)])
            case .stop(let error, let cause):
                out.append(["kind": "stop", "error": error.map { .string($0) } ?? .null, "cause": cause.map { .string($0) } ?? .null])
            default:
                return nil
            }
        }
        return .array(out)
    }

    static func decodeKinds(_ json: JSON) -> [Trigger.Kind]? {
        guard let list = json.arrayValue else { return nil }
        var out: [Trigger.Kind] = []
        for k in list {
            let task = TaskID(Int(k["task"]?.integerValue ?? -1))
            switch k["kind"]?.stringValue {
            case "taskStarted": out.append(.taskStarted(task, workerName: k["worker"]?.stringValue))
            case "taskSucceeded": out.append(.taskSucceeded(task, output: k["output"] ?? .null))
            case "taskFailed": out.append(.taskFailed(task, StatesError(k["error"]?.stringValue ?? "", k["cause"]?.stringValue)))
            case "taskHeartbeat": out.append(.taskHeartbeat(task))
            case "annotate":
                guard let type = k["type"]?.stringValue, let key = k["key"]?.stringValue, let details = k["details"]?.objectValue else { return nil }
                out.append(.annotate(task, type: type, detailsKey: key, details: details))
            case "stop": out.append(.stop(error: k["error"]?.stringValue, cause: k["cause"]?.stringValue))
            default: return nil
            }
        }
        return out
    }

    static func encode(_ v: SQLStatements.Value) -> JSON {
        switch v {
        case .text(let t): return ["t": t.map { .string($0) } ?? .null]
        case .integer(let i): return ["i": i.map { .int($0) } ?? .null]
        case .bytes(let b): return ["b": b.map { .string(Data($0).base64EncodedString()) } ?? .null]
        }
    }

    static func decodeValue(_ j: JSON) -> SQLStatements.Value {
        if let t = j["t"] { return .text(t.stringValue) }
        if let i = j["i"] { return .integer(i.integerValue) }
        return .bytes(j["b"]?.stringValue.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) })
    }
}
