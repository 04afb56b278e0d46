import Engine
import Foundation
import Journal
import Logging
import ServiceKit
import StatesInterpreter
import StatesLanguage

/// Delivers matched events to their targets from the durable queue `events.delivery`: one
/// message per (event, target), so a failing target is retried on its own policy and never
/// holds up the others. Delivery is at least once; a state machine target is started under the
/// message's id, so a redelivery finds the execution it already started.
package final class EventDelivery: QueueConsumer, @unchecked Sendable {
    // @unchecked Sendable: `worker` is set once, right after init, before any delivery.
    static let queue = "events.delivery"
    let engine: Engine
    let buses: EventBuses
    let store: any ServiceStore
    let clock: any EngineClock
    private(set) var worker: QueueWorker?
    /// How an API destination target is called (set once, right after init, by the service).
    private(set) var apiDestination: (@Sendable (String, JSONObject) async -> Result<ApiDestinationCall, ServiceError>)?

    init(engine: Engine, buses: EventBuses, store: any ServiceStore, clock: any EngineClock) {
        self.engine = engine
        self.buses = buses
        self.store = store
        self.clock = clock
    }

    func attach(_ worker: QueueWorker) { self.worker = worker }

    func attach(apiDestination: @escaping @Sendable (String, JSONObject) async -> Result<ApiDestinationCall, ServiceError>) {
        self.apiDestination = apiDestination
    }

    /// Commits one delivery per (event, target); returns once they are durable.
    /// `archiving`: the events' archive documents, committed with the deliveries.
    /// `traceHeader`: the trace the events travel in, on to what their targets start.
    func enqueue(_ deliveries: [(event: JSON, rule: String, target: JSONObject)], traceHeader: String? = nil,
                 archiving: [DocumentWrite] = []) async throws(JournalError) {
        let now = clock.now().milliseconds
        try await enqueue(messages: deliveries.map {
            message(event: $0.event, rule: $0.rule, target: $0.target, id: UUIDText.ordered(millis: now), now: now, traceHeader: traceHeader)
        }, archiving: archiving)
    }

    /// Commits built deliveries (and the events' archive documents) at once; returns once durable.
    func enqueue(messages: [QueuedMessage], archiving: [DocumentWrite] = []) async throws(JournalError) {
        guard !messages.isEmpty || !archiving.isEmpty else { return }
        if archiving.isEmpty { try await store.enqueue(all: messages) } else { try await store.write(archiving, enqueueing: messages) }
        worker?.signal()
    }

    /// PutEvents' path: a delivery to a state machine starts its execution now, each start
    /// joining the journal's group commit (the execution's first step is the durable record
    /// of the delivery, under the delivery's id, so a retry finds it), and only what could not
    /// be started goes to the queue, hidden for its first backoff as if tried there. The rest
    /// (and the events' archive documents) is committed at once. Returns once all is durable.
    /// A queue round trip (insert, receive, delete) cost more than the start itself.
    func deliver(_ deliveries: [Delivery], now: Int64, archiving: [DocumentWrite] = []) async throws(JournalError) {
        var queued: [QueuedMessage] = []
        var direct: [Delivery] = []
        for d in deliveries {
            if d.startsExecution { direct.append(d) } else { queued.append(message(d, now: now)) }
        }
        // Each state machine looked up once per call, not per event. Not an alias or a version:
        // an alias routes each event by its own draw.
        var resolved: [String: Engine.Target] = [:]
        for arn in Set(direct.compactMap { $0.target["Arn"]?.stringValue }) where arn.split(separator: ":").count == 7 {
            resolved[arn] = try? await engine.resolveTarget(arn)
        }
        let targets = resolved
        let failed = await withTaskGroup(of: (Delivery, QueueOutcome).self) { group in
            for d in direct {
                let known = d.target["Arn"]?.stringValue.flatMap { targets[$0] }
                group.addTask { (d, await self.handle(d, resolved: known)) }
            }
            var failed: [(Delivery, QueueOutcome)] = []
            for await (d, outcome) in group where outcome != .done { failed.append((d, outcome)) }
            return failed
        }
        for (d, outcome) in failed {
            let m = message(d, now: now)
            let policy = await policy(for: m)
            var retried = m
            retried.receiveCount = 1
            retried.visibleAtMillis = now + policy.backoffMillis(1)
            switch outcome {
            case .retry where policy.maximumReceives > 1: queued.append(retried)
            case .retry(let reason), .deadLetter(let reason):
                do { try await deadLetter(m, reason: reason) } catch { queued.append(retried) }
            case .done: break
            }
        }
        try await enqueue(messages: queued, archiving: archiving)
    }

    func message(_ d: Delivery, now: Int64) -> QueuedMessage {
        message(event: d.event, rule: d.rule, target: d.target, id: d.id, now: now, traceHeader: d.traceHeader)
    }

    /// One delivery as a queue message (visible at once).
    func message(event: JSON, rule: String, target: JSONObject, id: String, now: Int64, traceHeader: String? = nil) -> QueuedMessage {
        var body: JSONObject = ["event": event, "rule": .string(rule), "target": .object(target)]
        if let traceHeader { body["traceHeader"] = .string(traceHeader) }
        return QueuedMessage(queue: Self.queue, id: id, body: JSON.object(body).serializedBytes, enqueuedMillis: now, visibleAtMillis: now)
    }

    // MARK: QueueConsumer

    package func policy(for message: QueuedMessage) async -> QueuePolicy {
        let target = (try? JSONParser.parse(message.body))?["target"]
        let retry = target?["RetryPolicy"]
        // AWS's defaults: 185 attempts within 24 hours.
        let attempts = Int(retry?["MaximumRetryAttempts"]?.integerValue ?? 185)
        let age = retry?["MaximumEventAgeInSeconds"]?.integerValue ?? 86_400
        return QueuePolicy(maximumReceives: attempts + 1, maximumAgeMillis: age * 1000, visibilityMillis: 5 * 60_000,
                           backoffMillis: { n in min(1000 << min(Int64(n), 6), 60_000) })
    }

    package func handle(_ message: QueuedMessage) async -> QueueOutcome {
        guard case .object(let body)? = try? JSONParser.parse(message.body), let event = body["event"],
              let target = body["target"]?.objectValue, target["Arn"]?.stringValue != nil else {
            return .deadLetter("the delivery cannot be read")
        }
        return await handle(Delivery(id: message.id, event: event, rule: body["rule"]?.stringValue ?? "", target: target,
                                     traceHeader: body["traceHeader"]?.stringValue))
    }

    /// One delivery, parsed: what a queue message holds, or what PutEvents has in hand.
    struct Delivery: Sendable {
        var id: String
        var event: JSON
        var rule: String
        var target: JSONObject
        var traceHeader: String?

        var startsExecution: Bool {
            guard let arn = target["Arn"]?.stringValue else { return false }
            return arn.contains(":states:") && arn.contains(":stateMachine:")
        }
    }

    /// `resolved`: the state machine target, when the caller resolved it for several deliveries.
    func handle(_ d: Delivery, resolved known: Engine.Target? = nil) async -> QueueOutcome {
        let (event, rule, target, trace) = (d.event, d.rule, d.target, d.traceHeader)
        guard let arn = target["Arn"]?.stringValue else { return .deadLetter("the delivery has no target") }
        let input = InputTransformer.input(for: target, event: event, ruleArn: rule)
        if d.startsExecution {
            do {
                let resolved: Engine.Target
                if let known { resolved = known } else { resolved = try await engine.resolveTarget(arn) }
                // The whole event as input (no Input, InputPath or transformer): no need to parse it back.
                let parsed = target["Input"] == nil && target["InputPath"] == nil && target["InputTransformer"] == nil ? event : nil
                _ = try await engine.start(resolved, name: d.id, input: input, parsedInput: parsed, traceHeader: trace)
                return .done
            } catch where error.code == "ExecutionAlreadyExists" {
                // Started by an earlier try of this delivery, which has since ended.
                return .done
            } catch where ["StateMachineDoesNotExist", "InvalidArn", "ResourceNotFound"].contains(error.code) {
                return .retry("\(error.code): \(error.message)")
            } catch {
                return .retry("\(error.code): \(error.message)")
            }
        }
        if arn.contains(":lambda:"), arn.contains(":function:") {
            let parameters = (try? JSONParser.parse(input)) ?? .string(input)
            guard let outcome = await engine.call(arn, parameters: parameters, caller: "EventBridge", key: d.id, traceHeader: trace) else {
                return .retry("no function service for \(arn)")
            }
            return Self.verdict(outcome)
        }
        if arn.hasPrefix("arn:aws:sqs:") || arn.hasPrefix("arn:aws:sns:") {
            // A queue or a topic on this endpoint, through the same integration as a Task state's.
            let sqs = arn.hasPrefix("arn:aws:sqs:")
            var parameters: JSONObject = sqs ? ["QueueUrl": .string(arn), "MessageBody": .string(input)]
                                             : ["TopicArn": .string(arn), "Message": .string(input)]
            if let group = target["SqsParameters"]?["MessageGroupId"] {
                // A FIFO queue: EventBridge deduplicates by the event's id.
                parameters["MessageGroupId"] = group
                parameters["MessageDeduplicationId"] = event["id"] ?? .string(d.id)
            }
            let resource = sqs ? "arn:aws:states:::sqs:sendMessage" : "arn:aws:states:::sns:publish"
            guard let outcome = await engine.call(resource, parameters: .object(parameters), caller: "EventBridge", key: d.id,
                                                  traceHeader: trace) else {
                return .retry("no service on this endpoint answers \(arn)")
            }
            return Self.verdict(outcome)
        }
        if arn.contains(":kinesis:"), arn.contains(":stream/") {
            // AWS: "If you do not include this parameter, the default is to use the eventId as
            // the partition key." The path is a JSONPath on the event, as InputPath is.
            var key = event["id"]?.stringValue ?? d.id
            if let path = target["KinesisParameters"]?["PartitionKeyPath"]?.stringValue,
               let p = try? JSONPath(path), let v = try? p.evaluate(input: event) {
                key = v.stringValue ?? v.serialized
            }
            let parameters: JSONObject = ["StreamARN": .string(arn), "PartitionKey": .string(key),
                                          "Data": .string(Base64.encode(Array(input.utf8)))]
            guard let outcome = await engine.call("arn:aws:states:::aws-sdk:kinesis:putRecord", parameters: .object(parameters),
                                                  caller: "EventBridge", key: d.id, traceHeader: trace) else {
                return .retry("no service on this endpoint answers \(arn)")
            }
            return Self.verdict(outcome)
        }
        if arn.contains(":events:"), arn.contains(":event-bus/") {
            let bus = await buses.busName(arn)
            guard await buses.bus(bus) != nil else { return .retry("event bus \(bus) does not exist") }
            // The event arrives on the other bus as a new event: AWS gives it an id of its own
            // and keeps its account and region (the recorded bus-to-bus deliveries show it).
            // Derived from the delivery's id, so a retried delivery forwards the same event.
            var forwarded = event
            if case .object(var o) = event {
                o["id"] = .string(UUIDText.named(d.id))
                forwarded = .object(o)
            }
            let routes = await buses.routes(bus: bus, event: forwarded)
            do { try await enqueue(routes.map { (forwarded, $0.rule, $0.target) }, traceHeader: trace) } catch { return .retry("\(error)") }
            return .done
        }
        if arn.hasPrefix("arn:aws:scheduler:::aws-sdk:") {
            // EventBridge Scheduler's universal targets: an API action of a service on this
            // endpoint, its request the target's Input, through the seam's SDK integration.
            let resource = "arn:aws:states:::aws-sdk:" + arn.dropFirst("arn:aws:scheduler:::aws-sdk:".count)
            let parameters = (try? JSONParser.parse(input)) ?? .object([:])
            guard let outcome = await engine.call(resource, parameters: parameters, caller: "Scheduler", key: d.id, traceHeader: trace) else {
                return .deadLetter("no service on this endpoint answers \(arn)")
            }
            return Self.verdict(outcome)
        }
        if arn.contains(":events:"), arn.contains(":api-destination/"), let apiDestination {
            switch await apiDestination(arn, target) {
            case .success(let call): return await call.perform(body: input)
            case .failure(let e): return .retry("\(e.code): \(e.message)")
            }
        }
        return .deadLetter("targets of this kind are not supported yet: \(arn)")
    }

    /// A target called through the seam: done once it answered (or took the call), tried again on failure.
    static func verdict(_ outcome: TaskOutcome) -> QueueOutcome {
        switch outcome {
        case .succeeded, .pending: return .done
        case .failed(let e): return .retry("\(e.error): \(e.cause ?? "")")
        }
    }

    /// An event that used up its tries: kept (owner `events.undelivered`) for inspection, and logged.
    package func deadLetter(_ message: QueuedMessage, reason: String) async throws {
        var record = (try? JSONParser.parse(message.body))?.objectValue ?? [:]
        record["reason"] = .string(reason)
        record["failedAt"] = .string(clock.now().iso8601)
        try await store.write([DocumentWrite(owner: "events.undelivered", key: message.id, body: JSON.object(record).serializedBytes)])
        engine.logger.warning("event not delivered", metadata: ["target": "\(record["target"]?["Arn"]?.stringValue ?? "")", "reason": "\(reason)"])
    }
}
