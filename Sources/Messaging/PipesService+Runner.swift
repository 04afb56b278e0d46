import Engine
import Events
import Foundation
import ServiceKit
import StatesInterpreter
import StatesLanguage

/// The running pipes: one poller each (see `Pollers`); a change rings the bell. Nodes sharing
/// one database: a queue's pipe polls on every node, a stream's on its partition's owner only.
extension PipesService {
    func run() async {
        let engine = self.engine
        await Pollers.run(bell: bell, clock: engine.clock, wanted: {
            await pipes.all.filter {
                $0.value["DesiredState"]?.stringValue == "RUNNING"
                    && ($0.value["Source"]?.stringValue?.hasPrefix("arn:aws:dynamodb:") != true || engine.owns($0.key))
            }.map(\.key)
        }, poll: { name in await self.poll(name) })
    }

    func poll(_ name: String) async {
        if await pipes.get(name)?["Source"]?.stringValue?.hasPrefix("arn:aws:dynamodb:") == true {
            await pollStream(name)
            return
        }
        while !Task.isCancelled {
            guard let p = await pipes.get(name), p["DesiredState"]?.stringValue == "RUNNING" else { return }
            guard let source = p["Source"]?.stringValue, let q = sqs.queue(arn: source) else {
                try? await engine.clock.sleep(until: engine.clock.now().adding(seconds: 5))
                continue
            }
            let parameters = p["SourceParameters"]?["SqsQueueParameters"]
            let batch = await esm.collect(q, size: Int(parameters?["BatchSize"]?.integerValue ?? 10),
                                          windowSeconds: parameters?["MaximumBatchingWindowInSeconds"]?.integerValue ?? 0)
            if batch.isEmpty { continue }
            await deliver(batch, from: q, pipe: p)
        }
    }

    func deliver(_ batch: [StoredMessage], from q: SQSQueue, pipe p: JSONObject) async {
        let filters = (p["SourceParameters"]?["FilterCriteria"]?["Filters"]?.arrayValue ?? []).compactMap { f in
            f["Pattern"]?.stringValue.flatMap { try? EventPattern(text: $0) }
        }
        var records: [JSON] = []
        var taken: [ReceiptHandle] = []
        var rejected: [ReceiptHandle] = []
        for message in batch {
            let r = esm.record(message, queueArn: sqs.arn(q.name))
            let handle = ReceiptHandle(queue: message.queue, seq: message.seq, nonce: message.receipt ?? "")
            if EventSourceMappings.passes(r, filters) {
                records.append(r)
                taken.append(handle)
            } else {
                rejected.append(handle)
            }
        }
        try? await sqs.delete(q, rejected)
        guard !records.isEmpty, let target = p["Target"]?.stringValue else { return }
        let key = "pipe/\(p["Name"]?.stringValue ?? "")/\(batch.first?.id ?? "")/\(batch.first?.receiveCount ?? 0)"
        var input: JSON = .array(records)
        if let enrichment = p["Enrichment"]?.stringValue, enrichment.contains(":function:") {
            // Enrichment: the function's answer is what the target gets.
            guard let outcome = await engine.call(enrichment, parameters: input, caller: "Pipes", key: key + "/enrich"),
                  case .succeeded(let enriched) = outcome else { return }
            input = enriched
        }
        if await send(input, to: target, pipe: p, key: key) { try? await sqs.delete(q, taken) }
    }

    /// A table stream's pipe: batches in order from the checkpoint, filtered, enriched, to the target.
    func pollStream(_ name: String) async {
        guard let consumer = esm.consumer else { return }
        let pipes = self.pipes
        let me = self
        await consumer.run("pipe/\(name)", settings: {
            guard me.engine.owns(name), let p = await pipes.get(name), p["DesiredState"]?.stringValue == "RUNNING",
                  let stream = p["Source"]?.stringValue else { return nil }
            let parameters = p["SourceParameters"]?["DynamoDBStreamParameters"]
            let filters = (p["SourceParameters"]?["FilterCriteria"]?["Filters"]?.arrayValue ?? []).compactMap { f in
                f["Pattern"]?.stringValue.flatMap { try? EventPattern(text: $0) }
            }
            return StreamConsumer.Settings(stream: stream, batchSize: Int(parameters?["BatchSize"]?.integerValue ?? 100),
                                           maximumRetries: Int(parameters?["MaximumRetryAttempts"]?.integerValue ?? -1),
                                           maximumAgeSeconds: parameters?["MaximumRecordAgeInSeconds"]?.integerValue ?? -1,
                                           bisect: parameters?["OnPartialBatchItemFailure"]?.stringValue == "AUTOMATIC_BISECT", filters: filters)
        }, deliver: { records in
            guard let p = await pipes.get(name), let target = p["Target"]?.stringValue else { return .failed("the pipe is gone") }
            let key = "pipe/\(name)/\(records.first?["dynamodb"]?["SequenceNumber"]?.stringValue ?? "")"
            var input: JSON = .array(records)
            if let enrichment = p["Enrichment"]?.stringValue, enrichment.contains(":function:") {
                guard let outcome = await me.engine.call(enrichment, parameters: input, caller: "Pipes", key: key + "/enrich"),
                      case .succeeded(let enriched) = outcome else { return .failed("the enrichment failed") }
                input = enriched
            }
            return await me.send(input, to: target, pipe: p, key: key) ? .taken : .failed("the target refused the batch")
        }, exhausted: { _, _, _ in })
    }

    /// An execution name (80 characters of letters, digits, - and _) fixed by a delivery key.
    static func executionName(_ key: String) -> String {
        var h1: UInt64 = 0xcbf2_9ce4_8422_2325
        var h2: UInt64 = 0x8422_2325_cbf2_9ce4
        for b in key.utf8 {
            h1 = (h1 ^ UInt64(b)) &* 0x100_0000_01b3
            h2 = (h2 ^ UInt64(b)) &* 0x100_0000_01b3 &+ 7
        }
        return String(format: "%016llx%016llx", h1, h2)
    }

    /// The target's InputTemplate applied to each event of a batch, as Pipes transforms input:
    /// `<$.path>` a JSONPath into the event, and the predefined `<aws.pipes.pipe-arn>`,
    /// `<aws.pipes.pipe-name>`, `<aws.pipes.target-arn>`, `<aws.pipes.event>`,
    /// `<aws.pipes.event.json>` and `<aws.pipes.event.ingestion-time>`. What renders as JSON is
    /// passed on as JSON, anything else as text.
    static func transform(_ input: JSON, pipe p: JSONObject, now: Timestamp) -> JSON {
        guard let template = p["TargetParameters"]?["InputTemplate"]?.stringValue else { return input }
        let items = input.arrayValue ?? [input]
        var paths: Set<String> = []
        var rest = template[...]
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            let name = String(rest[rest.index(after: open)..<close])
            if name.hasPrefix("$") { paths.insert(name) }
            rest = rest[rest.index(after: close)...]
        }
        let transformed = items.map { item -> JSON in
            var values: [String: JSON?] = [
                "aws.pipes.pipe-arn": p["Arn"], "aws.pipes.pipe-name": p["Name"], "aws.pipes.target-arn": p["Target"],
                "aws.pipes.event": item, "aws.pipes.event.json": item, "aws.pipes.event.ingestion-time": .string(now.iso8601),
            ]
            // AWS parses a JSON message body for the template ("implicit body data parsing").
            var event = item
            if case .object(var o) = item, let body = o["body"]?.stringValue, let parsed = try? JSONParser.parse(body),
               parsed.objectValue != nil || parsed.arrayValue != nil {
                o["body"] = parsed
                event = .object(o)
            }
            for path in paths {
                let found = (try? JSONPath(path)).flatMap { try? $0.evaluate(input: event) }
                values[path] = found
            }
            let text = InputTransformer.render(template: template, values: values)
            return (try? JSONParser.parse(text)) ?? .string(text)
        }
        return input.arrayValue == nil ? (transformed.first ?? input) : .array(transformed)
    }

    /// Hands the batch to the target; true when it took it.
    func send(_ batch: JSON, to target: String, pipe p: JSONObject, key: String) async -> Bool {
        let input = Self.transform(batch, pipe: p, now: engine.clock.now())
        let items = input.arrayValue ?? [input]
        if target.contains(":stateMachine:") {
            do {
                let resolved = try await engine.resolveTarget(target)
                // An Express machine with REQUEST_RESPONSE runs while the batch waits: a failed
                // run fails the batch, which comes back (AWS allows it for Express only).
                if resolved.stateMachine.type == "EXPRESS",
                   p["TargetParameters"]?["StepFunctionStateMachineParameters"]?["InvocationType"]?.stringValue == "REQUEST_RESPONSE" {
                    let run = try await engine.runExpressExecution(stateMachineArn: resolved.stateMachine.arn, definitionId: resolved.definitionId,
                                                                   name: Self.executionName(key + "/\(engine.clock.now().milliseconds)"),
                                                                   input: input.serialized, roleArn: resolved.stateMachine.roleArn)
                    return run.status == .succeeded
                }
                // Named by the batch, so a batch delivered again finds the run it started.
                let name = Self.executionName(key)
                do {
                    _ = try await engine.start(resolved, name: name, input: input.serialized)
                } catch where error.code == "ExecutionAlreadyExists" {
                    return true
                }
                return true
            } catch {
                return false
            }
        }
        if target.contains(":function:") {
            guard let outcome = await engine.call(target, parameters: input, caller: "Pipes", key: key) else { return false }
            if case .failed = outcome { return false }
            return true
        }
        for (i, item) in items.enumerated() {
            let text = item.stringValue ?? item.serialized
            let resource: String
            var parameters: JSONObject
            if target.hasPrefix("arn:aws:sqs:") {
                resource = "arn:aws:states:::sqs:sendMessage"
                parameters = ["QueueUrl": .string(target), "MessageBody": .string(text)]
                if let group = p["TargetParameters"]?["SqsQueueParameters"]?["MessageGroupId"] {
                    parameters["MessageGroupId"] = group
                    parameters["MessageDeduplicationId"] = item["messageId"] ?? .string("\(key)/\(i)")
                }
            } else if target.hasPrefix("arn:aws:sns:") {
                resource = "arn:aws:states:::sns:publish"
                parameters = ["TopicArn": .string(target), "Message": .string(text)]
            } else {
                let bus = p["TargetParameters"]?["EventBridgeEventBusParameters"]
                resource = "arn:aws:states:::events:putEvents"
                parameters = ["Entries": [[
                    "EventBusName": .string(target), "Source": bus?["Source"] ?? .string("Pipe \(p["Name"]?.stringValue ?? "")"),
                    "DetailType": bus?["DetailType"] ?? "Event from aws:sqs", "Detail": .string(item.objectValue != nil ? item.serialized : text),
                ]]]
            }
            guard let outcome = await engine.call(resource, parameters: .object(parameters), caller: "Pipes", key: "\(key)/\(i)") else { return false }
            if case .failed = outcome { return false }
        }
        return true
    }
}
