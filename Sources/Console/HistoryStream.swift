import Engine
import Journal
import ServiceKit
import ServiceLifecycle
import StatesInterpreter
import StatesLanguage

/// One execution's history as server-sent events: what is there already, then each step's
/// events as it commits (the engine rings a doorbell per committed step; nothing polls), until
/// the execution has ended and every event is sent.
///
///     event: execution   data: {"status", "startDate", "stopDate"?, "error"?, "cause"?}
///     event: events      data: [GetExecutionHistory's events, at most 500]
///     event: end         data: {}
///
/// A comment line every `heartbeatSeconds` finds out that a client has gone.
struct HistoryStream {
    let engine: Engine

    static let pageSize = 500
    static let heartbeatSeconds: Int64 = 10

    func reply(_ query: [String: String]) async throws(ServiceError) -> ServiceReply {
        guard let arn = query["executionArn"], !arn.isEmpty else { throw ServiceError.validation("executionArn is required") }
        var after = 0
        if let text = query["after"] {
            guard let n = Int(text), n >= 0 else { throw ServiceError.validation("after must be an event id, not '\(text)'") }
            after = n
        }
        // Refused up front, as a status, while the reply can still be an error.
        do {
            guard try await engine.journal.execution(arn: arn) != nil else {
                throw ServiceError("ExecutionDoesNotExist", "Execution Does Not Exist: '\(arn)'")
            }
        } catch let e as ServiceError { throw e } catch { throw ServiceError.internalFailure("\(error)") }
        var reply = ServiceReply(status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache"),
                                                        ("X-Accel-Buffering", "no")])
        let engine = self.engine, start = after
        reply.stream = { write in try await Self.run(engine: engine, arn: arn, after: start, write: write) }
        return reply
    }

    static func run(engine: Engine, arn: String, after start: Int, write: @escaping @Sendable ([UInt8]) async throws -> Void) async throws {
        // Watch before the first read, so a step that commits between the read and the wait
        // still rings.
        let bell = engine.historyWatchers.watch(arn)
        defer { engine.historyWatchers.unwatch(arn, bell) }
        try await withGracefulShutdownHandler {
            var after = start
            var lastStatus: JSON?
            var woken = false
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                guard let record = try await engine.journal.execution(arn: arn) else { return }
                var wrote = false
                while true {
                    let events = try await engine.journal.history(arn: arn, after: after, limit: pageSize)
                    if events.isEmpty { break }
                    try await write(message("events", .array(events.map(\.json))))
                    wrote = true
                    after = events[events.count - 1].id
                    if events.count < pageSize { break }
                }
                let status = summary(record)
                if status != lastStatus {
                    try await write(message("execution", status))
                    lastStatus = status
                    wrote = true
                }
                if record.status != .running {
                    // The last step's events commit with the row: every one was read above.
                    try await write(message("end", [:]))
                    return
                }
                // Woken with nothing to send (the heartbeat's timeout): a comment line, which
                // throws once the client has gone.
                if woken && !wrote { try await write(Array(": ping\n\n".utf8)) }
                await bell.wait(forNext: nil, atMostSeconds: heartbeatSeconds, on: engine.clock)
                woken = true
            }
        } onGracefulShutdown: {
            Task { await bell.ring() }
        }
    }

    static func summary(_ r: ExecutionRecord) -> JSON {
        var o: JSONObject = ["status": .string(r.status.rawValue), "startDate": .double(Double(r.startMillis) / 1000)]
        if let stop = r.stopMillis { o["stopDate"] = .double(Double(stop) / 1000) }
        if let e = r.error { o["error"] = .string(e) }
        if let c = r.cause { o["cause"] = .string(c) }
        if r.redriveCount > 0 { o["redriveCount"] = .int(Int64(r.redriveCount)) }
        return .object(o)
    }

    /// One server-sent event: its name and a one-line JSON payload.
    static func message(_ event: String, _ data: JSON) -> [UInt8] {
        Array("event: \(event)\ndata: ".utf8) + data.serializedBytes + Array("\n\n".utf8)
    }
}
