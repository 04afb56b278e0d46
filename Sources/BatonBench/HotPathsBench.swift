import Engine
import Foundation
import Journal
import StatesInterpreter

/// Issue 21's four workloads in process (engine + SQLite journal, FULL), at the concurrency
/// `sfn_bench.py -c 16` runs them over HTTP, so a regression on a hot path shows without the
/// HTTP client in the way: pass10 (Standard), wait0 (five `Wait 0`), callback (an activity:
/// workers long-poll GetActivityTask and answer SendTaskSuccess) and pass10 on Express
/// (StartSyncExecution). Latency is from the start call to the execution's committed end.
enum HotPathsBench {
    static let workloads = ["pass10", "wait0", "callback", "express"]

    static func run(seconds: Double, concurrency: Int, only: [String]) async throws {
        print("workload   executions  executions/s  transitions/s   p50 ms   p90 ms   p99 ms   (c=\(concurrency), SQLite FULL)")
        for workload in only.isEmpty ? workloads : only {
            let r = try await measure(workload, seconds: seconds, concurrency: concurrency)
            let perSecond = Double(r.latencies.count) / r.elapsed
            print("\(workload.padded(9))  \(String(r.latencies.count).leftPad(10))  \(String(Int(perSecond)).leftPad(12))  "
                + "\(String(Int(perSecond * Double(transitions(workload)))).leftPad(13))  \(quantile(r.latencies, 0.5).leftPad(7))  "
                + "\(quantile(r.latencies, 0.9).leftPad(7))  \(quantile(r.latencies, 0.99).leftPad(7))")
        }
    }

    /// States entered per execution, as `sfn_bench.py` counts them.
    static func transitions(_ workload: String) -> Int {
        switch workload {
        case "wait0": 5
        case "callback": 1
        default: 10
        }
    }

    static let wait0 = """
        {"StartAt":"W1","States":{"W1":{"Type":"Wait","Seconds":0,"Next":"W2"},"W2":{"Type":"Wait","Seconds":0,"Next":"W3"},
         "W3":{"Type":"Wait","Seconds":0,"Next":"W4"},"W4":{"Type":"Wait","Seconds":0,"Next":"W5"},"W5":{"Type":"Wait","Seconds":0,"End":true}}}
        """
    static let activityArn = "arn:aws:states:us-east-1:000000000000:activity:bench"
    static let activity = """
        {"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"\(activityArn)","TimeoutSeconds":300,"End":true}}}
        """
    static let input = #"{"order":{"id":"o-1","total":12.5},"id":1,"name":"bench","user":{"name":"user-1","tags":["a","b","c"]},"last":{"step":0}}"#

    static func measure(_ workload: String, seconds: Double, concurrency: Int) async throws -> (latencies: [Double], elapsed: Double) {
        let dir = NSTemporaryDirectory() + "baton-bench-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try SQLiteJournal(directory: dir, synchronous: .full)
        defer { journal.close() }
        let engine = Engine(journal: journal, registry: TaskRegistry(), partitions: 16)
        let sm = "arn:aws:states:us-east-1:000000000000:stateMachine:\(workload)"
        let text = switch workload {
        case "wait0": wait0
        case "callback": activity
        default: passChain(10)
        }
        let definition = try await engine.saveDefinition(stateMachineArn: sm, definition: text)
        let deadline = monotonicSeconds() + seconds
        let start = monotonicSeconds()
        let (latencies, elapsed): ([Double], Double) = await withTaskGroup(of: Void.self) { group in
            group.addTask { await engine.run() }
            if workload == "callback" {
                for w in 0..<concurrency {
                    group.addTask {
                        while monotonicSeconds() < deadline {
                            guard let task = try? await engine.getActivityTask(activityArn: activityArn, workerName: "w\(w)", timeoutSeconds: 1) else { continue }
                            try? await engine.sendTaskSuccess(token: task.token, output: task.input)
                        }
                    }
                }
            }
            // The starters, timed to the end of the last execution (not the workers' last poll).
            let all = await withTaskGroup(of: [Double].self) { starters in
                for w in 0..<concurrency {
                    starters.addTask {
                        await timedCalls(until: deadline) { n in
                            if workload == "express" {
                                _ = try await engine.runExpressExecution(stateMachineArn: sm, definitionId: definition, name: "w\(w)-\(n)", input: input)
                            } else {
                                let r = try await engine.startExecution(stateMachineArn: sm, definitionId: definition, name: "w\(w)-\(n)", input: input)
                                if r.status == .running { _ = try await engine.waitForCompletion(r.arn) }
                            }
                        }
                    }
                }
                var all: [Double] = []
                for await l in starters { all += l }
                return all
            }
            let elapsed = monotonicSeconds() - start
            engine.shutdown()
            await group.waitForAll()
            return (all, elapsed)
        }
        return (latencies.sorted(), elapsed)
    }

    static func quantile(_ sorted: [Double], _ q: Double) -> String {
        guard !sorted.isEmpty else { return "-" }
        return DurableBench.format(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))])
    }
}
