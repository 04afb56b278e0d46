import Engine
import Foundation
import Journal
import StatesInterpreter
import StatesLanguage

/// Paused runs cost disk, not memory: start executions that park on task tokens, report the
/// resident memory before and after, then complete them all by token and report the rate.
enum ParkedBench {
    static func residentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return 0
    }

    static func run(count: Int) async throws {
        let dir = NSTemporaryDirectory() + "baton-parked-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try SQLiteJournal(directory: dir, synchronous: .normal)
        let tokens = TokenList()
        var registry = TaskRegistry()
        registry.register("arn:aws:states:::baton:benchPark", ClosureTaskHandler { inv in
            await tokens.add(inv.taskToken ?? "")
            return .pending
        })
        let engine = Engine(journal: journal, registry: registry, partitions: 16)
        let sm = "arn:aws:states:us-east-1:000000000000:stateMachine:parked"
        let definition = try await engine.saveDefinition(stateMachineArn: sm, definition: """
            {"StartAt":"Park","States":{"Park":{"Type":"Task","Resource":"arn:aws:states:::baton:benchPark.waitForTaskToken","Next":"Done"},
             "Done":{"Type":"Pass","End":true}}}
            """)
        let before = residentMegabytes()
        var startRate = 0.0, finishRate = 0.0, after = 0.0
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await engine.run() }
            let t0 = monotonicSeconds()
            await withTaskGroup(of: Void.self) { starters in
                for w in 0..<64 {
                    starters.addTask {
                        var i = w
                        while i < count {
                            _ = try? await engine.startExecution(stateMachineArn: sm, definitionId: definition, name: "p\(i)", input: "{}")
                            i += 64
                        }
                    }
                }
            }
            await engine.settle()
            startRate = Double(count) / (monotonicSeconds() - t0)
            after = residentMegabytes()
            let all = await tokens.all
            let t1 = monotonicSeconds()
            await withTaskGroup(of: Void.self) { finishers in
                for w in 0..<64 {
                    finishers.addTask {
                        var i = w
                        while i < all.count {
                            try? await engine.sendTaskSuccess(token: all[i], output: "{}")
                            i += 64
                        }
                    }
                }
            }
            finishRate = Double(all.count) / (monotonicSeconds() - t1)
            engine.shutdown()
        }
        let done = try await journal.executions(status: .succeeded).count
        journal.close()
        print("parked executions: \(count), started at \(Int(startRate))/s")
        print("resident memory: \(Int(before)) MB before, \(Int(after)) MB with all parked (growth \(Int(after - before)) MB)")
        print("completed by token: \(done) at \(Int(finishRate))/s")
    }
}

actor TokenList {
    var all: [String] = []
    func add(_ t: String) { all.append(t) }
}
