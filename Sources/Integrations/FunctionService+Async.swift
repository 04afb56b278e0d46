import Engine
import Foundation
import Journal
import ServiceKit
import StatesLanguage

/// Asynchronous invocation (InvocationType Event): the event is committed to the journal's
/// durable queue before the 202 answer and performed by the queue worker, several at once, so a
/// failing event waiting for its retry holds up no other. A failure is retried (Lambda's
/// MaximumRetryAttempts, 2 by default; here one second, then two, between tries rather than AWS's
/// one and two minutes, so a local loop stays quick); an event older than
/// MaximumEventAgeInSeconds is not tried again. A final failure goes to the function's dead-letter
/// queue or topic (DeadLetterConfig: the event, with RequestID/ErrorCode/ErrorMessage
/// attributes) and its on-failure destination (an invocation record), through the same
/// integrations as Task states; a success to its on-success destination. The durable
/// failed-invocations list keeps every final failure as a view.
extension FunctionService {
    static let asyncQueueName = "lambda.async"
    var failedPath: String { directory + "/.failed-invocations.jsonl" }

    /// Connects the durable queue; its worker runs as the Lambda service's background work.
    package func attachAsyncQueue(store: any DurableQueueStore, clock: any EngineClock, retryDelaySeconds: Double = 1,
                                  engine: Engine? = nil) -> QueueWorker {
        let consumer = AsyncInvocationConsumer(functions: self, retryDelayMillis: Int64(retryDelaySeconds * 1000), engine: engine, clock: clock)
        let worker = QueueWorker(queue: Self.asyncQueueName, store: store, clock: clock, consumer: consumer)
        asyncQueue = (store, worker, { clock.now().milliseconds })
        return worker
    }

    /// Events accepted by an earlier version (one file each under `.async`) move into the
    /// durable queue, so an upgrade loses none.
    package func adoptQueuedFiles() async {
        guard let queue = asyncQueue else { return }
        let dir = directory + "/.async"
        for file in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter({ $0.hasSuffix(".json") }).sorted() {
            let path = dir + "/" + file
            guard let data = FileManager.default.contents(atPath: path), let entry = try? JSONParser.parse([UInt8](data)),
                  let id = entry["requestId"]?.stringValue, let name = entry["function"]?.stringValue else { continue }
            let body: JSON = ["function": .string(name), "payload": entry["payload"] ?? "{}"]
            let enqueued = entry["enqueuedMillis"]?.integerValue ?? queue.now()
            do {
                try await queue.store.enqueue(QueuedMessage(queue: Self.asyncQueueName, id: id, body: body.serializedBytes,
                                                            enqueuedMillis: enqueued, visibleAtMillis: queue.now()))
            } catch let e where e.code == .alreadyExists {
                // Moved before a crash that kept the file: the queue has it.
            } catch {
                continue
            }
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// Accepts an event durably; returns its request id.
    package func enqueueAsync(_ reference: String, payload: [UInt8], traceHeader: String? = nil) async throws(FunctionError) -> String {
        guard let config = await lookup(reference) else { throw notFound(reference) }
        guard let queue = asyncQueue else {
            throw FunctionError("ServiceException", "Asynchronous invocation needs the server's durable queue", kind: .server)
        }
        let id = Self.newRequestId()
        let now = queue.now()
        var body: JSONObject = ["function": .string(config.name), "payload": .string(String(decoding: payload, as: UTF8.self))]
        if let traceHeader { body["traceHeader"] = .string(traceHeader) }
        do {
            try await queue.store.enqueue(QueuedMessage(queue: Self.asyncQueueName, id: id, body: JSON.object(body).serializedBytes,
                                                        enqueuedMillis: now, visibleAtMillis: now))
        } catch {
            throw FunctionError("ServiceException", "cannot queue the event: \(error)", kind: .server)
        }
        queue.worker.signal()
        return id
    }

    /// Appends an event that used up its tries to the failed-invocations list.
    func recordFailure(_ record: JSONObject) throws {
        guard let handle = FileHandle(forWritingAtPath: failedPath) ?? {
            _ = FileManager.default.createFile(atPath: failedPath, contents: nil)
            return FileHandle(forWritingAtPath: failedPath)
        }() else { throw FunctionError("ServiceException", "cannot open \(failedPath)", kind: .server) }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data((JSON.object(record).serialized + "\n").utf8))
        try handle.synchronize()
    }

    package func setEventInvokeConfig(_ reference: String, maximumRetryAttempts: Int?, maximumEventAgeSeconds: Int?,
                                      onFailure: String?, onSuccess: String? = nil) async throws(FunctionError) -> JSON {
        guard var config = get(reference) else { throw notFound(reference) }
        if let r = maximumRetryAttempts {
            guard (0...2).contains(r) else { throw FunctionError("InvalidParameterValueException", "MaximumRetryAttempts must be between 0 and 2") }
            config.maximumRetryAttempts = r
        }
        if let a = maximumEventAgeSeconds {
            guard (60...21600).contains(a) else { throw FunctionError("InvalidParameterValueException", "MaximumEventAgeInSeconds must be between 60 and 21600") }
            config.maximumEventAgeSeconds = a
        }
        if let onFailure { config.onFailureDestination = onFailure }
        if let onSuccess { config.onSuccessDestination = onSuccess }
        try save(config)
        try await persist(config, code: nil)
        replace(config)
        return eventInvokeConfig(config)
    }

    package func eventInvokeConfig(_ config: FunctionConfig) -> JSON {
        var o: JSONObject = ["FunctionArn": .string(config.arn), "MaximumRetryAttempts": .int(Int64(config.maximumRetryAttempts)),
                             "MaximumEventAgeInSeconds": .int(Int64(config.maximumEventAgeSeconds))]
        var destinations = JSONObject()
        if let d = config.onFailureDestination { destinations["OnFailure"] = ["Destination": .string(d)] }
        if let d = config.onSuccessDestination { destinations["OnSuccess"] = ["Destination": .string(d)] }
        if !destinations.isEmpty { o["DestinationConfig"] = .object(destinations) }
        return .object(o)
    }

    /// The events that exhausted their retries, oldest first.
    package func failedInvocations() -> [JSON] {
        guard let data = FileManager.default.contents(atPath: failedPath) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
    }
}

/// Performs queued asynchronous invocations for the queue worker.
struct AsyncInvocationConsumer: QueueConsumer {
    let functions: FunctionService
    let retryDelayMillis: Int64
    /// Where destinations and dead-letter targets are reached (queues, topics, functions, buses).
    let engine: Engine?
    let clock: any EngineClock

    /// Sends `message` to a queue, a topic, a function or a bus by its ARN; false when it could not.
    func send(_ arn: String, _ message: JSON, attributes: JSONObject = [:], key: String) async -> Bool {
        guard let engine else { return false }
        let text = message.stringValue ?? message.serialized
        let resource: String
        var parameters: JSONObject
        if arn.hasPrefix("arn:aws:sqs:") {
            resource = "arn:aws:states:::sqs:sendMessage"
            parameters = ["QueueUrl": .string(arn), "MessageBody": .string(text)]
            if !attributes.isEmpty { parameters["MessageAttributes"] = .object(attributes) }
        } else if arn.hasPrefix("arn:aws:sns:") {
            resource = "arn:aws:states:::sns:publish"
            parameters = ["TopicArn": .string(arn), "Message": .string(text)]
            if !attributes.isEmpty { parameters["MessageAttributes"] = .object(attributes) }
        } else if arn.contains(":function:") {
            resource = arn
            parameters = (try? JSONParser.parse(text))?.objectValue ?? [:]
        } else if arn.contains(":event-bus/") {
            resource = "arn:aws:states:::events:putEvents"
            parameters = ["Entries": [["EventBusName": .string(arn), "Source": "lambda", "DetailType": "Lambda Function Invocation Result",
                                       "Detail": .string(text)]]]
        } else {
            return false
        }
        guard let outcome = await engine.call(resource, parameters: .object(parameters), caller: "Lambda", key: key) else { return false }
        if case .failed = outcome { return false }
        return true
    }

    /// Lambda's invocation record for a destination.
    func record(_ entry: JSON, requestId: String, condition: String, attempts: Int, response: JSON, error: Bool) async -> JSON {
        let name = entry["function"]?.stringValue ?? ""
        let arn = await functions.get(name)?.arn ?? name
        var context: JSONObject = ["statusCode": 200, "executedVersion": "$LATEST"]
        if error { context["functionError"] = "Unhandled" }
        return [
            "version": "1.0", "timestamp": .string(clock.now().iso8601),
            "requestContext": ["requestId": .string(requestId), "functionArn": .string("\(arn):$LATEST"),
                               "condition": .string(condition), "approximateInvokeCount": .int(Int64(attempts))],
            "requestPayload": (try? JSONParser.parse(entry["payload"]?.stringValue ?? "{}")) ?? entry["payload"] ?? .null,
            "responseContext": .object(context), "responsePayload": response,
        ]
    }

    func policy(for message: QueuedMessage) async -> QueuePolicy {
        let name = (try? JSONParser.parse(message.body))?["function"]?.stringValue ?? ""
        let config = await functions.get(name)
        let delay = retryDelayMillis
        return QueuePolicy(maximumReceives: (config?.maximumRetryAttempts ?? 2) + 1,
                           maximumAgeMillis: Int64(config?.maximumEventAgeSeconds ?? 21_600) * 1000,
                           backoffMillis: { n in delay * Int64(n) })
    }

    func handle(_ message: QueuedMessage) async -> QueueOutcome {
        guard let entry = try? JSONParser.parse(message.body), let name = entry["function"]?.stringValue else {
            return .deadLetter("the queued event cannot be read")
        }
        let payload = Array((entry["payload"]?.stringValue ?? "{}").utf8)
        do {
            let r = try await functions.invoke(name, payload: payload, traceHeader: entry["traceHeader"]?.stringValue)
            guard r.functionError == nil else { return .retry(String(decoding: r.payload, as: UTF8.self)) }
            if let destination = await functions.get(name)?.onSuccessDestination {
                let response = (try? JSONParser.parse(r.payload)) ?? .string(String(decoding: r.payload, as: UTF8.self))
                let rec = await record(entry, requestId: message.id, condition: "Success", attempts: message.receiveCount, response: response, error: false)
                _ = await send(destination, rec, key: message.id + "/success")
            }
            return .done
        } catch {
            return .retry(error.message)
        }
    }

    func deadLetter(_ message: QueuedMessage, reason: String) async throws {
        let entry = (try? JSONParser.parse(message.body))?.objectValue ?? JSONObject()
        let name = entry["function"]?.stringValue ?? ""
        var record: JSONObject = ["requestId": .string(message.id)]
        for (k, v) in entry { record[k] = v }
        record["attempts"] = .int(Int64(message.receiveCount))
        record["enqueuedMillis"] = .int(message.enqueuedMillis)
        record["error"] = .string(reason)
        record["destination"] = .string(await functions.get(name)?.onFailureDestination ?? "baton:failed-invocations")
        record["failedMillis"] = .int(message.visibleAtMillis)
        try await functions.recordFailure(record)
        let config = await functions.get(name)
        if let target = config?.deadLetterTarget {
            // The event itself, with why it failed as message attributes (Lambda's DLQ message).
            let errorMessage = (try? JSONParser.parse(reason))?["errorMessage"]?.stringValue ?? reason
            let attributes: JSONObject = [
                "RequestID": ["DataType": "String", "StringValue": .string(message.id)],
                "ErrorCode": ["DataType": "Number", "StringValue": "200"],
                "ErrorMessage": ["DataType": "String", "StringValue": .string(String(errorMessage.prefix(1000)).isEmpty ? "error" : String(errorMessage.prefix(1000)))],
            ]
            guard await send(target, .string(entry["payload"]?.stringValue ?? "{}"), attributes: attributes, key: message.id + "/dlq") else {
                throw FunctionError("ServiceException", "the dead-letter target \(target) did not take the event", kind: .server)
            }
        }
        if let destination = config?.onFailureDestination, destination.hasPrefix("arn:") {
            let response = (try? JSONParser.parse(reason)) ?? .string(reason)
            let rec = await self.record(.object(entry), requestId: message.id, condition: message.receiveCount > 1 ? "RetriesExhausted" : "EventAgeExceeded",
                                        attempts: message.receiveCount, response: response, error: true)
            _ = await send(destination, rec, key: message.id + "/failure")
        }
    }
}
