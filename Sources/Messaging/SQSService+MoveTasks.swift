import Engine
import ServiceKit
import StatesLanguage

/// StartMessageMoveTask / ListMessageMoveTasks / CancelMessageMoveTask: redriving a dead-letter queue.
extension SQSService {
    static func taskHandle(id: String, source: String) -> String {
        Base64.encode(Array("{\"taskId\":\"\(id)\",\"sourceArn\":\"\(source)\"}".utf8))
    }

    func startMessageMoveTask(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let sourceArn = try request.required("SourceArn")
        guard let source = queue(arn: sourceArn) else {
            throw ServiceError("ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist.",
                               kind: .notFound)
        }
        guard directory.value.values.contains(where: { $0.redrive?.queue == source.name }) else {
            throw ServiceError("InvalidParameterValueException", "Source queue must be configured as a Dead Letter Queue.")
        }
        var destination: SQSQueue?
        let destinationArn = try request.string("DestinationArn")
        if let destinationArn {
            guard let d = queue(arn: destinationArn) else {
                throw ServiceError("ResourceNotFoundException",
                                   "The resource that you specified for the DestinationArn parameter doesn't exist.", kind: .notFound)
            }
            destination = d
        }
        let rate = try request.int("MaxNumberOfMessagesPerSecond")
        if let rate, !(1...500).contains(rate) {
            throw Self.invalidParameter("MaxNumberOfMessagesPerSecond", String(rate), "Must be between 1 and 500.")
        }
        if await moveTasks.running(sourceArn) {
            throw ServiceError("InvalidParameterValueException",
                               "There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
        }
        let counts = (try? await store.counts(queue: source.name, now: now)) ?? MessageCounts()
        let id = UUIDText.random()
        let task = MoveTasks.Task(id: id, source: sourceArn, destination: destinationArn, rate: rate, toMove: counts.visible, started: now)
        let s = self
        let from = source.name, to = destination?.name
        await moveTasks.start(task) { tasks, id in await s.runMove(tasks, id: id, sourceArn: sourceArn, from: from, to: to, rate: rate) }
        return ["TaskHandle": .string(Self.taskHandle(id: id, source: sourceArn))]
    }

    /// Moves in chunks (one commit each); at a rate, one chunk per second of `rate` messages.
    func runMove(_ tasks: MoveTasks, id: String, sourceArn: String, from: String, to: String?, rate: Int?) async {
        while !Task.isCancelled {
            let moved: Int
            do { moved = try await store.move(from: from, to: to, limit: rate ?? 1000, now: now) } catch {
                await tasks.finish(sourceArn, id, status: "FAILED", failure: "\(error)")
                return
            }
            guard await tasks.progress(sourceArn, id, moved: moved) else { return }
            if let to { await waiters.signal(to) } else { for q in directory.value.keys { await waiters.signal(q) } }
            if moved == 0 || (rate == nil && moved < 1000) {
                await tasks.finish(sourceArn, id, status: "COMPLETED")
                return
            }
            if rate != nil { try? await clock.sleep(until: clock.now().adding(seconds: 1)) }
        }
    }

    func listMessageMoveTasks(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let sourceArn = try request.required("SourceArn")
        guard queue(arn: sourceArn) != nil else {
            throw ServiceError("ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist.",
                               kind: .notFound)
        }
        let max = try request.int("MaxResults") ?? 1
        guard (1...10).contains(max) else { throw Self.invalidParameter("MaxResults", String(max), "Must be between 1 and 10.") }
        let results: [JSON] = await moveTasks.list(sourceArn).prefix(max).map { t in
            var o: JSONObject = [
                "Status": .string(t.status), "SourceArn": .string(t.source),
                "ApproximateNumberOfMessagesMoved": .int(Int64(t.moved)),
                "ApproximateNumberOfMessagesToMove": .int(Int64(t.toMove)), "StartedTimestamp": .int(t.started),
            ]
            if let d = t.destination { o["DestinationArn"] = .string(d) }
            if let r = t.rate { o["MaxNumberOfMessagesPerSecond"] = .int(Int64(r)) }
            if t.status == "RUNNING" { o["TaskHandle"] = .string(Self.taskHandle(id: t.id, source: t.source)) }
            if let f = t.failure { o["FailureReason"] = .string(f) }
            return .object(o)
        }
        return ["Results": .array(results)]
    }

    func cancelMessageMoveTask(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let handle = try request.required("TaskHandle")
        guard let bytes = Base64.decode(handle), case .object(let o)? = try? JSONParser.parse(bytes),
              let id = o["taskId"]?.stringValue, let source = o["sourceArn"]?.stringValue else {
            throw ServiceError("InvalidParameterValueException", "Value for parameter TaskHandle is invalid.")
        }
        guard let moved = await moveTasks.cancel(source, id) else {
            throw ServiceError("ResourceNotFoundException", "Task does not exist.", kind: .notFound)
        }
        return ["ApproximateNumberOfMessagesMoved": .int(Int64(moved))]
    }
}
