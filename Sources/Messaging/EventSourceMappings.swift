import Engine
import Events
import Foundation
import Journal
import ServiceKit
import ServiceLifecycle
import StatesInterpreter
import StatesLanguage
import Tables

/// Lambda's event source mappings for queues and table streams (`/2015-03-31/event-source-mappings`, REST-JSON as
/// Lambda speaks it): a mapping polls its SQS queue and invokes its function with batches of
/// records. A batch the function answers is deleted (all of it, or, with
/// `ReportBatchItemFailures`, all but the items it names); a batch it fails stays, to be
/// received again when its visibility ends, so a message that keeps failing reaches the queue's
/// dead-letter queue after maxReceiveCount. Messages a FilterCriteria pattern rejects are
/// deleted unseen, as AWS does. A table stream's mapping reads the stream in order from a
/// durable checkpoint (see `StreamConsumer`).
package struct EventSourceMappings: BatonService {
    let mappings: DocumentBook<JSONObject>
    let sqs: SQSService
    let streams: DynamoDBStreamsService?
    let consumer: StreamConsumer?
    let engine: Engine
    let bell = Doorbell()
    let region: String
    let account: String

    static let base = "/2015-03-31/event-source-mappings"

    package init(_ context: ServiceContext, sqs: SQSService, streams: DynamoDBStreamsService? = nil) async throws(ServiceError) {
        mappings = try await DocumentBook(owner: "lambda.event-source-mappings", store: context.store, encode: { .object($0) },
                                          decode: { $0.objectValue })
        self.sqs = sqs
        self.streams = streams
        if let streams {
            let checkpoints = try await DocumentBook<Int64>(owner: "streams.checkpoints", store: context.store, encode: { .int($0) },
                                                            decode: { $0.integerValue })
            consumer = StreamConsumer(streams: streams, checkpoints: checkpoints, clock: context.engine.clock)
        } else {
            consumer = nil
        }
        engine = context.engine
        region = context.region
        account = context.account
        // Mappings changed through another node, or partitions taken over: the pollers follow.
        let bell = self.bell
        await mappings.watch { _, _ in await bell.ring() }
        context.engine.onPartitionsTaken { await bell.ring() }
    }

    package var name: String { "lambda-event-source-mappings" }
    package var wireProtocol: WireProtocol { .restJSON }

    package var routes: [RESTRoute] {
        [
            RESTRoute("POST", Self.base, action: "CreateEventSourceMapping"),
            RESTRoute("POST", Self.base + "/", action: "CreateEventSourceMapping"),
            RESTRoute("GET", Self.base, action: "ListEventSourceMappings"),
            RESTRoute("GET", Self.base + "/{UUID}", action: "GetEventSourceMapping"),
            RESTRoute("PUT", Self.base + "/{UUID}", action: "UpdateEventSourceMapping"),
            RESTRoute("DELETE", Self.base + "/{UUID}", action: "DeleteEventSourceMapping"),
        ]
    }

    package var backgroundServices: [any ServiceLifecycle.Service] {
        let s = self
        return [LoopService { await s.run() }]
    }

    package var actions: [String: Action] {
        let s = self
        @Sendable func body(_ c: ServiceCall) throws -> JSONObject {
            if c.body.isEmpty { return [:] }
            guard case .object(let o)? = try? JSONParser.parse(c.body) else {
                throw ServiceError("InvalidRequestContentException", "Could not parse request body into json")
            }
            return o
        }
        return [
            "CreateEventSourceMapping": { c in .json(try await s.create(try body(c)), status: 202) },
            "ListEventSourceMappings": { c in .json(await s.list(source: c.query["EventSourceArn"], function: c.query["FunctionName"])) },
            "GetEventSourceMapping": { c in .json(try await s.get(c.parameter("UUID"))) },
            "UpdateEventSourceMapping": { c in .json(try await s.update(c.parameter("UUID"), try body(c)), status: 202) },
            "DeleteEventSourceMapping": { c in .json(try await s.delete(c.parameter("UUID")), status: 202) },
        ]
    }

    static func invalid(_ m: String) -> ServiceError { ServiceError("InvalidParameterValueException", m) }
    static func notFound(_ id: String) -> ServiceError {
        ServiceError("ResourceNotFoundException", "The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: \(UUIDText.random()))",
                     kind: .notFound)
    }

    func functionArn(_ name: String) -> String {
        name.hasPrefix("arn:") ? name : "arn:aws:lambda:\(region):\(account):function:\(name)"
    }

    /// Checks and normalises the settable members (`current`: the mapping being updated).
    func settle(_ b: JSONObject, into m: inout JSONObject) throws(ServiceError) {
        if let size = b["BatchSize"] {
            guard let n = size.integerValue, (1...10_000).contains(n) else {
                throw Self.invalid("BatchSize must be between 1 and 10000.")
            }
            m["BatchSize"] = .int(n)
        }
        if let window = b["MaximumBatchingWindowInSeconds"] {
            guard let n = window.integerValue, (0...300).contains(n) else {
                throw Self.invalid("MaximumBatchingWindowInSeconds must be between 0 and 300.")
            }
            m["MaximumBatchingWindowInSeconds"] = .int(n)
        }
        let isQueue = m["EventSourceArn"]?.stringValue?.hasPrefix("arn:aws:sqs:") ?? true
        if isQueue && (m["BatchSize"]?.integerValue ?? 10) > 10 && (m["MaximumBatchingWindowInSeconds"]?.integerValue ?? 0) == 0 {
            throw Self.invalid("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10")
        }
        if let types = b["FunctionResponseTypes"] {
            guard let list = types.arrayValue, list.allSatisfy({ $0 == "ReportBatchItemFailures" }) else {
                throw Self.invalid("FunctionResponseTypes may only contain ReportBatchItemFailures.")
            }
            m["FunctionResponseTypes"] = .array(list)
        }
        if let criteria = b["FilterCriteria"] {
            for f in criteria["Filters"]?.arrayValue ?? [] {
                guard let pattern = f["Pattern"]?.stringValue, (try? EventPattern(text: pattern)) != nil else {
                    throw Self.invalid("Invalid filter pattern definition.")
                }
            }
            m["FilterCriteria"] = criteria
        }
        if let scaling = b["ScalingConfig"] {
            if let n = scaling["MaximumConcurrency"]?.integerValue, !(2...1000).contains(n) {
                throw Self.invalid("MaximumConcurrency must be between 2 and 1000.")
            }
            m["ScalingConfig"] = scaling
        }
        if !isQueue {
            if let n = b["MaximumRetryAttempts"] {
                guard let v = n.integerValue, (-1...10_000).contains(v) else { throw Self.invalid("MaximumRetryAttempts must be between -1 and 10000.") }
                m["MaximumRetryAttempts"] = .int(v)
            }
            if let n = b["MaximumRecordAgeInSeconds"] {
                guard let v = n.integerValue, v == -1 || (60...604_800).contains(v) else {
                    throw Self.invalid("MaximumRecordAgeInSeconds must be -1 or between 60 and 604800.")
                }
                m["MaximumRecordAgeInSeconds"] = .int(v)
            }
            if let v = b["BisectBatchOnFunctionError"]?.boolValue { m["BisectBatchOnFunctionError"] = .bool(v) }
            if let d = b["DestinationConfig"] {
                if let target = d["OnFailure"]?["Destination"]?.stringValue, !target.hasPrefix("arn:aws:sqs:") && !target.hasPrefix("arn:aws:sns:") {
                    throw Self.invalid("The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure(destination=\(target))) is invalid.")
                }
                m["DestinationConfig"] = d
            }
        }
        if let enabled = b["Enabled"]?.boolValue { m["State"] = .string(enabled ? "Enabled" : "Disabled") }
        if let f = b["FunctionName"]?.stringValue { m["FunctionArn"] = .string(functionArn(f)) }
    }

    func create(_ b: JSONObject) async throws(ServiceError) -> JSON {
        guard let source = b["EventSourceArn"]?.stringValue else { throw Self.invalid("EventSourceArn is required for SQS event sources.") }
        if source.hasPrefix("arn:aws:dynamodb:"), source.contains("/stream/") { return try await createForStream(source, b) }
        guard source.hasPrefix("arn:aws:sqs:") else {
            throw Self.invalid("Unrecognized event source, must be an SQS queue ARN: \(source)")
        }
        guard sqs.queue(arn: source) != nil else {
            throw Self.invalid("Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist.")
        }
        guard let function = b["FunctionName"]?.stringValue else { throw Self.invalid("FunctionName is required.") }
        let id = UUIDText.random()
        var m: JSONObject = [
            "UUID": .string(id), "EventSourceArn": .string(source), "FunctionArn": .string(functionArn(function)),
            "BatchSize": 10, "MaximumBatchingWindowInSeconds": 0, "State": "Enabled", "StateTransitionReason": "USER_INITIATED",
            "FunctionResponseTypes": .array([]), "EventSourceMappingArn": .string("arn:aws:lambda:\(region):\(account):event-source-mapping:\(id)"),
        ]
        try settle(b, into: &m)
        m["LastModified"] = .double(Date().timeIntervalSince1970)
        try await mappings.insert(id, m, ifTaken: ServiceError("ResourceConflictException", "The mapping exists", kind: .conflict))
        await bell.ring()
        return .object(m)
    }

    func list(source: String?, function: String?) async -> JSON {
        let all = await mappings.all.map(\.value).filter { m in
            (source == nil || m["EventSourceArn"]?.stringValue == source)
                && (function == nil || m["FunctionArn"]?.stringValue == functionArn(function ?? ""))
        }
        return ["EventSourceMappings": .array(all.map { .object($0) })]
    }

    func get(_ id: String) async throws(ServiceError) -> JSON {
        guard let m = await mappings.get(id) else { throw Self.notFound(id) }
        return .object(m)
    }

    func update(_ id: String, _ b: JSONObject) async throws(ServiceError) -> JSON {
        let s = self
        let updated = try await mappings.update(id) { (v: inout JSONObject?) throws(ServiceError) -> JSONObject in
            guard var m = v else { throw Self.notFound(id) }
            try s.settle(b, into: &m)
            m["LastModified"] = .double(Date().timeIntervalSince1970)
            v = m
            return m
        }
        await bell.ring()
        return .object(updated)
    }

    func delete(_ id: String) async throws(ServiceError) -> JSON {
        let removed = try await mappings.update(id) { (v: inout JSONObject?) throws(ServiceError) -> JSONObject in
            guard var m = v else { throw Self.notFound(id) }
            v = nil
            m["State"] = "Deleting"
            return m
        }
        await consumer?.forget(id)
        await bell.ring()
        return .object(removed)
    }
}
