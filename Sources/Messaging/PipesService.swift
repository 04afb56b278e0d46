import Engine
import Events
import Foundation
import ServiceKit
import ServiceLifecycle
import StatesInterpreter
import StatesLanguage

/// EventBridge Pipes with a queue as the source (`/v1/pipes`, REST-JSON as the `pipes` client
/// speaks it): a running pipe polls its SQS queue like an event source mapping, filters with the
/// bus's matcher, optionally enriches the batch through a function, and hands it to its target:
/// a state machine (one execution per batch), a function (the batch as its event), a queue or a
/// topic (a message per record), or an event bus (an event per record). A batch the target
/// refused stays in the queue, to come back after its visibility timeout (and reach the queue's
/// dead-letter queue in the end).
package struct PipesService: BatonService {
    let pipes: DocumentBook<JSONObject>
    let esm: EventSourceMappings
    let sqs: SQSService
    let engine: Engine
    let bell = Doorbell()
    let region: String
    let account: String

    package init(_ context: ServiceContext, sqs: SQSService, mappings: EventSourceMappings) async throws(ServiceError) {
        pipes = try await DocumentBook(owner: "pipes", store: context.store, encode: { .object($0) }, decode: { $0.objectValue })
        self.sqs = sqs
        esm = mappings
        engine = context.engine
        region = context.region
        account = context.account
        // Pipes changed through another node, or partitions taken over: the pollers follow.
        let bell = self.bell
        await pipes.watch { _, _ in await bell.ring() }
        context.engine.onPartitionsTaken { await bell.ring() }
    }

    package var name: String { "pipes" }

    package var browseViews: [BrowseView] {
        [BrowseView("Pipes", columns: [.init("Name", "Name"), .init("State", "CurrentState"), .init("Source", "Source"), .init("Target", "Target")],
                    action: "ListPipes", list: "Pipes")]
    }
    package var wireProtocol: WireProtocol { .restJSON }

    package var routes: [RESTRoute] {
        [
            RESTRoute("POST", "/v1/pipes/{Name}", action: "CreatePipe"),
            RESTRoute("GET", "/v1/pipes/{Name}", action: "DescribePipe"),
            RESTRoute("PUT", "/v1/pipes/{Name}", action: "UpdatePipe"),
            RESTRoute("DELETE", "/v1/pipes/{Name}", action: "DeletePipe"),
            RESTRoute("GET", "/v1/pipes", action: "ListPipes"),
            RESTRoute("POST", "/v1/pipes/{Name}/start", action: "StartPipe"),
            RESTRoute("POST", "/v1/pipes/{Name}/stop", action: "StopPipe"),
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
            guard case .object(let o)? = try? JSONParser.parse(c.body) else { throw ServiceError.validation("The request body is not a JSON object.") }
            return o
        }
        return [
            "CreatePipe": { c in .json(try await s.create(c.parameter("Name"), try body(c))) },
            "DescribePipe": { c in .json(try await s.describe(c.parameter("Name"))) },
            "UpdatePipe": { c in .json(try await s.update(c.parameter("Name"), try body(c))) },
            "DeletePipe": { c in .json(try await s.delete(c.parameter("Name"))) },
            "ListPipes": { c in .json(await s.list(prefix: c.query["NamePrefix"])) },
            "StartPipe": { c in .json(try await s.setState(c.parameter("Name"), "RUNNING")) },
            "StopPipe": { c in .json(try await s.setState(c.parameter("Name"), "STOPPED")) },
        ]
    }

    static func notFound(_ name: String) -> ServiceError { ServiceError("NotFoundException", "Pipe \(name) does not exist.", kind: .notFound) }

    func summary(_ p: JSONObject, current: String? = nil) -> JSON {
        ["Arn": p["Arn"] ?? .null, "Name": p["Name"] ?? .null, "DesiredState": p["DesiredState"] ?? .null,
         "CurrentState": current.map { .string($0) } ?? p["DesiredState"] ?? .null,
         "CreationTime": p["CreationTime"] ?? .null, "LastModifiedTime": p["LastModifiedTime"] ?? .null]
    }

    func check(_ b: JSONObject) throws(ServiceError) {
        if let source = b["Source"]?.stringValue {
            if source.hasPrefix("arn:aws:dynamodb:"), source.contains("/stream/") {
                guard esm.streams?.exists(source) == true else { throw ServiceError.validation("Source \(source) does not exist.") }
                guard let position = b["SourceParameters"]?["DynamoDBStreamParameters"]?["StartingPosition"]?.stringValue,
                      position == "LATEST" || position == "TRIM_HORIZON" else {
                    throw ServiceError.validation("1 validation error detected: Value null at 'sourceParameters.dynamoDBStreamParameters.startingPosition' failed to satisfy constraint: Member must not be null")
                }
            } else {
                guard source.hasPrefix("arn:aws:sqs:") else {
                    throw ServiceError.validation("1 validation error detected: Value '\(source)' at 'source' failed to satisfy constraint: only SQS queues and DynamoDB streams are supported as sources here")
                }
                guard sqs.queue(arn: source) != nil else { throw ServiceError.validation("Source \(source) does not exist.") }
            }
        }
        if let target = b["Target"]?.stringValue {
            let supported = target.hasPrefix("arn:aws:sqs:") || target.hasPrefix("arn:aws:sns:") || target.contains(":function:")
                || target.contains(":stateMachine:") || target.contains(":event-bus/")
            guard supported else { throw ServiceError.validation("Target \(target) is not a supported target type.") }
        }
        for f in b["SourceParameters"]?["FilterCriteria"]?["Filters"]?.arrayValue ?? [] {
            guard let pattern = f["Pattern"]?.stringValue, (try? EventPattern(text: pattern)) != nil else {
                throw ServiceError.validation("Invalid filter pattern definition.")
            }
        }
    }

    func create(_ name: String, _ b: JSONObject) async throws(ServiceError) -> JSON {
        guard b["Source"] != nil, b["Target"] != nil else {
            throw ServiceError.validation("1 validation error detected: Value null at 'source' failed to satisfy constraint: Member must not be null")
        }
        try check(b)
        let now = JSON.double(Date().timeIntervalSince1970)
        var p = b
        p["Name"] = .string(name)
        p["Arn"] = .string("arn:aws:pipes:\(region):\(account):pipe/\(name)")
        p["DesiredState"] = b["DesiredState"] ?? "RUNNING"
        p["CreationTime"] = now
        p["LastModifiedTime"] = now
        let created = p
        if await pipes.get(name) == nil, let source = b["Source"]?.stringValue, source.contains("/stream/"), let consumer = esm.consumer {
            try await consumer.start("pipe/\(name)", stream: source,
                                     position: b["SourceParameters"]?["DynamoDBStreamParameters"]?["StartingPosition"]?.stringValue ?? "LATEST")
        }
        try await pipes.insert(name, created, ifTaken: ServiceError("ConflictException", "Pipe \(name) already exists.", kind: .conflict))
        await bell.ring()
        return summary(created, current: "CREATING")
    }

    func describe(_ name: String) async throws(ServiceError) -> JSON {
        guard let p = await pipes.get(name) else { throw Self.notFound(name) }
        var out = p
        out["CurrentState"] = p["DesiredState"]
        return .object(out)
    }

    func update(_ name: String, _ b: JSONObject) async throws(ServiceError) -> JSON {
        try check(b)
        let updated = try await pipes.update(name) { (v: inout JSONObject?) throws(ServiceError) -> JSONObject in
            guard var p = v else { throw Self.notFound(name) }
            for (k, x) in b { p[k] = x }
            p["LastModifiedTime"] = .double(Date().timeIntervalSince1970)
            v = p
            return p
        }
        await bell.ring()
        return summary(updated, current: "UPDATING")
    }

    func delete(_ name: String) async throws(ServiceError) -> JSON {
        let removed = try await pipes.update(name) { (v: inout JSONObject?) throws(ServiceError) -> JSONObject in
            guard let p = v else { throw Self.notFound(name) }
            v = nil
            return p
        }
        await esm.consumer?.forget("pipe/\(name)")
        await bell.ring()
        return summary(removed, current: "DELETING")
    }

    func list(prefix: String?) async -> JSON {
        let all = await pipes.all.map(\.value).filter { prefix == nil || ($0["Name"]?.stringValue ?? "").hasPrefix(prefix ?? "") }
        return ["Pipes": .array(all.map { p in
            var s = summary(p).objectValue ?? [:]
            s["Source"] = p["Source"]
            s["Target"] = p["Target"]
            return .object(s)
        })]
    }

    func setState(_ name: String, _ state: String) async throws(ServiceError) -> JSON {
        let updated = try await pipes.update(name) { (v: inout JSONObject?) throws(ServiceError) -> JSONObject in
            guard var p = v else { throw Self.notFound(name) }
            p["DesiredState"] = .string(state)
            p["LastModifiedTime"] = .double(Date().timeIntervalSince1970)
            v = p
            return p
        }
        await bell.ring()
        return summary(updated, current: state == "RUNNING" ? "STARTING" : "STOPPING")
    }
}
