import Engine
import Events
import Foundation
import Journal
import Logging
import ServiceKit
import StatesLanguage
import StepFunctions

/// PutEvents → StartExecution through the durable path: events committed to the journal's
/// queue, delivered by the queue worker, each starting a Standard execution (a Wait state that
/// parks it, so the measure is the routing, not the run). Reports events/s routed and the
/// latency from the PutEvents call to the execution's first step committed (p50/p99).
enum BusBench {
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var sent: [String: Double] = [:]
        private(set) var latencies: [Double] = []
        private var pendingStarts: [String: Double] = [:]
        func sent(_ id: String, at t: Double) {
            lock.withLock {
                if let started = pendingStarts.removeValue(forKey: id) { latencies.append(started - t) } else { sent[id] = t }
            }
        }
        func started(_ id: String, at t: Double) {
            lock.withLock {
                if let s = sent.removeValue(forKey: id) { latencies.append(t - s) } else { pendingStarts[id] = t }
            }
        }
        var count: Int { lock.withLock { latencies.count } }
    }

    static func call(_ service: any BatonService, _ action: String, _ body: JSONObject) async throws -> JSON {
        guard let perform = service.actions[action] else { throw ServiceError("UnknownOperation", action) }
        return try JSONParser.parse(try await perform(ServiceCall(action: action, json: body)).body)
    }

    /// `rate`: events per second for all senders together, each sending its batches of ten on a
    /// fixed timetable (open loop, so latency is measured at that load rather than behind a
    /// backlog); nil sends as fast as PutEvents answers.
    static func run(events total: Int, senders: Int, rate: Double? = nil) async throws {
        let bench = try BenchJournal("bus")
        defer { bench.close() }
        let (dir, journal, engine) = (bench.dir, bench.journal, bench.engine)
        let context = ServiceContext(engine: engine, database: journal, dataDirectory: dir)
        let sfn = StepFunctionsService(context)
        let bus = try await EventsService(context)
        engine.install(TaskRegistry(services: [sfn, bus]))
        let timing = Clock()
        engine.onStatusChange { record in
            guard record.status == .running, let id = try? JSONParser.parse(record.input)["id"]?.stringValue else { return }
            timing.started(id, at: monotonicSeconds())
        }
        let sm = try await call(sfn, "CreateStateMachine", [
            "name": "routed", "roleArn": "arn:aws:iam::000000000000:role/r",
            "definition": #"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}"#])["stateMachineArn"] ?? .null
        _ = try await call(bus, "PutRule", ["Name": "orders", "EventPattern": #"{"source":["shop"],"detail":{"total":[{"numeric":[">",0]}]}}"#])
        _ = try await call(bus, "PutTargets", ["Rule": "orders", "Targets": [["Id": "sm", "Arn": sm]]])
        let start = monotonicSeconds()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await engine.run() }
            for service in bus.backgroundServices { group.addTask { try? await service.run() } }
            await withTaskGroup(of: Void.self) { senders_ in
                for w in 0..<senders {
                    senders_.addTask {
                        var i = w * 10
                        var batch = 0.0
                        // Each sender's batches are `senders * 10 / rate` seconds apart, staggered by sender.
                        let interval = rate.map { Double(senders * 10) / $0 }
                        while i < total {
                            if let interval {
                                let due = start + (batch + Double(w) / Double(senders)) * interval
                                let wait = due - monotonicSeconds()
                                if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
                                batch += 1
                            }
                            let entries: [JSON] = (i..<min(total, i + 10)).map { n in
                                ["Source": "shop", "DetailType": "Order", "Detail": .string(#"{"total":\#(n + 1)}"#)]
                            }
                            let t = monotonicSeconds()
                            if let answer = try? await call(bus, "PutEvents", ["Entries": .array(entries)]) {
                                for e in answer["Entries"]?.arrayValue ?? [] { if let id = e["EventId"]?.stringValue { timing.sent(id, at: t) } }
                            }
                            i += senders * 10
                        }
                    }
                }
            }
            while timing.count < total && monotonicSeconds() - start < 120 { try? await Task.sleep(nanoseconds: 5_000_000) }
            let elapsed = monotonicSeconds() - start
            let sorted = timing.latencies.sorted()
            func pct(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000 }
            print(String(format: "routed %d of %d events to executions in %.2f s = %.0f events/s with %d senders%@; PutEvents -> execution started p50 %.2f ms, p99 %.2f ms",
                         sorted.count, total, elapsed, Double(sorted.count) / elapsed, senders,
                         rate.map { String(format: " paced at %.0f events/s", $0) } ?? "", pct(0.5), pct(0.99)))
            engine.shutdown()
            group.cancelAll()
        }
    }
}
