import Engine
import Foundation
import Journal
import JournalPostgres
import StatesInterpreter
import StatesLanguage
import Webhooks

/// Campaigns parked on a webhook, resumed by signed deliveries (with duplicates), through the
/// receiver the HTTP route calls (signature check, correlation lookup, dedupe, the step).
/// Reports deliveries/s, p50/p99 from delivery to the run's next state committed, and the
/// resident memory of the parked runs.
enum WebhooksBench {
    static let secret = "whsec_benchmark_secret"
    static let definition = """
        {"StartAt":"Wait","States":{
          "Wait":{"Type":"Task","Resource":"arn:aws:states:::baton:webhook.waitForTaskToken",
                  "Parameters":{"Webhook":"campaigns","Key.$":"$.id"},"ResultPath":"$.last","HeartbeatSeconds":3600,"TimeoutSeconds":86400,"Next":"Check"},
          "Check":{"Type":"Choice","Choices":[{"Variable":"$.last.status","StringEquals":"success","Next":"Done"}],"Default":"Wait"},
          "Done":{"Type":"Pass","End":true}}}
        """
    static let config: JSONObject = [
        "Name": "campaigns", "KeySource": ["Body": "$.campaign_id"], "StatusSource": ["Body": "$.status"],
        "Outcomes": ["pending": ["Outcome": "SUCCESS"], "archived": ["Outcome": "SUCCESS"], "success": ["Outcome": "SUCCESS"],
                     "sending": ["Outcome": "HEARTBEAT"]],
        "Output": ["status.$": "$.status"],
        "Signature": ["Scheme": "STRIPE", "Secret": .string(secret)],
        "Deduplication": ["DeliveryIdHeader": "X-Delivery-Id"],
    ]
    /// Per campaign: pending, the same pending again, a heartbeat, archived, success.
    static let plan: [(status: String, id: Int)] = [("pending", 0), ("pending", 0), ("sending", 1), ("archived", 2), ("success", 3)]

    /// `postgres`: a PostgreSQL URL to run on (a fresh schema of it) instead of SQLite.
    static func run(campaigns: Int, clients: Int, postgres: String? = nil) async throws {
        let dir = NSTemporaryDirectory() + "baton-webhooks-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal: any JournalStore
        let store: any WebhookStore
        if let postgres {
            let pg = try await PostgresJournal.isolated(url: postgres, poolSize: 8)
            (journal, store) = (pg, try await PostgresWebhookStore(pg))
        } else {
            let sqlite = try SQLiteJournal(directory: dir)
            (journal, store) = (sqlite, try await SQLiteWebhookStore(sqlite))
        }
        print("journal: \(postgres == nil ? "SQLite" : "PostgreSQL")")
        let directory = WebhookDirectory(store: store)
        var registry = TaskRegistry()
        registry.register("arn:aws:states:::baton:webhook", WebhookTaskHandler(directory: directory))
        let engine = Engine(journal: journal, registry: registry, partitions: 16)
        let receiver = WebhookReceiver(engine: engine, directory: directory)
        _ = try await receiver.create(config)
        let sm = "arn:aws:states:us-east-1:000000000000:stateMachine:campaigns"
        let def = try await engine.saveDefinition(stateMachineArn: sm, definition: definition)
        let before = ParkedBench.residentMegabytes()
        var parked = 0.0, rate = 0.0, elapsed = 0.0
        var latencies: [Double] = []
        var outcomes: [String: Int] = [:]
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await engine.run() }
            await withTaskGroup(of: Void.self) { starters in
                for w in 0..<clients {
                    starters.addTask {
                        var i = w
                        while i < campaigns {
                            _ = try? await engine.startExecution(stateMachineArn: sm, definitionId: def, name: "c\(i)", input: "{\"id\":\"c-\(i)\"}")
                            i += clients
                        }
                    }
                }
            }
            await engine.settle()
            parked = ParkedBench.residentMegabytes()
            let t0 = monotonicSeconds()
            // Each client owns a share of the campaigns and sends each campaign's deliveries in
            // order, a sender's way; campaigns interleave across clients.
            let results = await withTaskGroup(of: ([Double], [String: Int]).self) { senders in
                for w in 0..<clients {
                    senders.addTask {
                        var lat: [Double] = []
                        var seen: [String: Int] = [:]
                        var i = w
                        while i < campaigns {
                            for step in plan {
                                let body = Array("{\"campaign_id\":\"c-\(i)\",\"status\":\"\(step.status)\"}".utf8)
                                let t = Int64(Date().timeIntervalSince1970)
                                let mac = HMAC.hex(HMAC.sha256(key: Array(secret.utf8), message: Array("\(t).".utf8) + body))
                                let request = WebhookRequest(webhook: "campaigns", body: body,
                                                             headers: ["Stripe-Signature": "t=\(t),v1=\(mac)", "X-Delivery-Id": "c-\(i)-\(step.id)"],
                                                             query: [:])
                                let s = monotonicSeconds()
                                let answer = await receiver.receive(request)
                                lat.append(monotonicSeconds() - s)
                                seen[answer.body["Outcome"]?.stringValue ?? "HTTP \(answer.status)", default: 0] += 1
                            }
                            i += clients
                        }
                        return (lat, seen)
                    }
                }
                var all: [([Double], [String: Int])] = []
                for await r in senders { all.append(r) }
                return all
            }
            elapsed = monotonicSeconds() - t0
            for (l, s) in results {
                latencies += l
                outcomes.merge(s, uniquingKeysWith: +)
            }
            rate = Double(latencies.count) / elapsed
            await engine.settle()
            engine.shutdown()
        }
        let after = ParkedBench.residentMegabytes()
        let done = try await journal.executions(status: .succeeded).count
        if let sqlite = journal as? SQLiteJournal { sqlite.close() }
        if let pg = journal as? PostgresJournal { await pg.close() }
        latencies.sort()
        func pct(_ p: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] * 1000 }
        print("campaigns parked on the webhook: \(campaigns); resident memory \(Int(before)) MB before, \(Int(parked)) MB parked (growth \(Int(parked - before)) MB)")
        print(String(format: "deliveries: %d in %.1f s = %.0f/s with %d senders; delivery -> next state committed p50 %.2f ms, p99 %.2f ms",
                     latencies.count, elapsed, rate, clients, pct(0.5), pct(0.99)))
        print("outcomes: \(outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); succeeded runs: \(done); resident memory at the end \(Int(after)) MB")
    }
}
