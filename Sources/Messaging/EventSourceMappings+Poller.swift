import Engine
import Events
import Foundation
import ServiceKit
import StatesInterpreter
import StatesLanguage

/// The pollers: each enabled mapping gets as many as its ScalingConfig's MaximumConcurrency
/// (2 by default, at most 10 here), each long-polling the queue and invoking the function with
/// a batch at a time (see `Pollers`); a change to the mappings rings the bell.
///
/// Nodes sharing one database: every node polls a queue (a receive hands a message to one
/// consumer), but a stream is read by one poller in order, on the node that owns the mapping's
/// partition; a node taking the partition over goes on from the stored checkpoint.
extension EventSourceMappings {
    func run() async {
        let engine = self.engine
        await Pollers.run(bell: bell, clock: engine.clock, wanted: {
            var keys: [String] = []
            for (id, m) in await mappings.all where m["State"]?.stringValue == "Enabled" {
                // A stream has one shard here, read by one poller, in order.
                let stream = m["EventSourceArn"]?.stringValue?.hasPrefix("arn:aws:dynamodb:") == true
                if stream && !engine.owns(id) { continue }
                let pollers = stream ? 1 : min(10, Int(m["ScalingConfig"]?["MaximumConcurrency"]?.integerValue ?? 2))
                keys += (0..<pollers).map { "\(id)#\($0)" }
            }
            return keys
        }, poll: { key in
            let parts = key.split(separator: "#")
            await self.poll(String(parts.first ?? ""), poller: Int(parts.last ?? "") ?? 0)
        })
    }

    /// One poller of a mapping, until the mapping is disabled, deleted, or has fewer pollers.
    func poll(_ id: String, poller: Int) async {
        if await mappings.get(id)?["EventSourceArn"]?.stringValue?.hasPrefix("arn:aws:dynamodb:") == true {
            await pollStream(id)
            return
        }
        while !Task.isCancelled {
            guard let m = await mappings.get(id), m["State"]?.stringValue == "Enabled",
                  poller < min(10, Int(m["ScalingConfig"]?["MaximumConcurrency"]?.integerValue ?? 2)) else { return }
            guard let arn = m["EventSourceArn"]?.stringValue, let q = sqs.queue(arn: arn) else {
                try? await engine.clock.sleep(until: engine.clock.now().adding(seconds: 5))
                continue
            }
            let batch = await collect(q, size: Int(m["BatchSize"]?.integerValue ?? 10),
                                      windowSeconds: m["MaximumBatchingWindowInSeconds"]?.integerValue ?? 0)
            if batch.isEmpty { continue }
            await deliver(batch, from: q, mapping: m)
        }
    }

    /// Up to `size` messages: one long poll, then, within the batching window, more until full.
    func collect(_ q: SQSQueue, size: Int, windowSeconds: Int64) async -> [StoredMessage] {
        let first = (try? await sqs.receive(q, max: min(10, size), waitSeconds: 5, visibilityMillis: q.visibilityMillis)) ?? []
        guard !first.isEmpty else { return [] }
        var batch = first
        let deadline = engine.clock.now().milliseconds + windowSeconds * 1000
        while batch.count < size, engine.clock.now().milliseconds < deadline {
            let wait = max(0, min(5, (deadline - engine.clock.now().milliseconds) / 1000))
            let more = (try? await sqs.receive(q, max: min(10, size - batch.count), waitSeconds: wait, visibilityMillis: q.visibilityMillis)) ?? []
            if more.isEmpty && wait == 0 { break }
            batch += more
        }
        return batch
    }

    /// Lambda's SQS event record for a message.
    func record(_ m: StoredMessage, queueArn: String) -> JSON {
        let r = sqs.render(m, system: ["All"], attributes: ["All"])
        var attributes = JSONObject()
        for (k, v) in r["Attributes"]?.objectValue ?? [:] { attributes[k] = v }
        var messageAttributes = JSONObject()
        for (k, a) in r["MessageAttributes"]?.objectValue ?? [:] {
            messageAttributes[k] = ["stringValue": a["StringValue"] ?? .null, "binaryValue": a["BinaryValue"] ?? .null,
                                    "stringListValues": [], "binaryListValues": [], "dataType": a["DataType"] ?? "String"]
        }
        return [
            "messageId": r["MessageId"] ?? .null, "receiptHandle": r["ReceiptHandle"] ?? .null, "body": r["Body"] ?? "",
            "attributes": .object(attributes), "messageAttributes": .object(messageAttributes), "md5OfBody": r["MD5OfBody"] ?? .null,
            "eventSource": "aws:sqs", "eventSourceARN": .string(queueArn), "awsRegion": .string(region),
        ]
    }

    /// Whether a record passes the mapping's filters (none: all pass). AWS matches the record
    /// with a JSON body parsed, so patterns can reach into it.
    static func passes(_ record: JSON, _ filters: [EventPattern]) -> Bool {
        guard !filters.isEmpty, case .object(var o) = record else { return true }
        if let body = o["body"]?.stringValue, case .object? = try? JSONParser.parse(body), let parsed = try? JSONParser.parse(body) {
            o["body"] = parsed
        }
        return filters.contains { $0.matches(.object(o)) }
    }

    func deliver(_ batch: [StoredMessage], from q: SQSQueue, mapping m: JSONObject) async {
        let queueArn = sqs.arn(q.name)
        let filters = (m["FilterCriteria"]?["Filters"]?.arrayValue ?? []).compactMap { f in
            f["Pattern"]?.stringValue.flatMap { try? EventPattern(text: $0) }
        }
        var records: [JSON] = []
        var delivered: [StoredMessage] = []
        var rejected: [ReceiptHandle] = []
        for message in batch {
            let r = record(message, queueArn: queueArn)
            if Self.passes(r, filters) {
                records.append(r)
                delivered.append(message)
            } else {
                rejected.append(ReceiptHandle(queue: message.queue, seq: message.seq, nonce: message.receipt ?? ""))
            }
        }
        // Filtered-out messages are deleted, as AWS does for queues.
        try? await sqs.delete(q, rejected)
        guard !records.isEmpty, let function = m["FunctionArn"]?.stringValue else { return }
        let key = "esm/\(m["UUID"]?.stringValue ?? "")/\(delivered.first?.id ?? "")/\(delivered.first?.receiveCount ?? 0)"
        guard let outcome = await engine.call(function, parameters: ["Records": .array(records)], caller: "SQS", key: key) else {
            // No such function (yet): the messages come back when their visibility ends.
            return
        }
        guard case .succeeded(let answer) = outcome else { return }
        var failed: Set<String> = []
        if m["FunctionResponseTypes"]?.arrayValue?.contains("ReportBatchItemFailures") == true,
           let items = answer["batchItemFailures"]?.arrayValue {
            for item in items { if let id = item["itemIdentifier"]?.stringValue { failed.insert(id) } }
        }
        let done = delivered.filter { !failed.contains($0.id) }.map { ReceiptHandle(queue: $0.queue, seq: $0.seq, nonce: $0.receipt ?? "") }
        try? await sqs.delete(q, done)
    }
}
