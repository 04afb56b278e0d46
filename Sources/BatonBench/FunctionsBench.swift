import Engine
import Foundation
import Integrations
import Journal
import StatesInterpreter
import StatesLanguage

/// Functions: warm invoke latency and rate for a trivial Python handler, and a chain of ten
/// `lambda:invoke` tasks end to end through the engine.
enum FunctionsBench {
    static func run(seconds: Double) async throws {
        let dir = NSTemporaryDirectory() + "baton-fbench-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let functions = FunctionService(directory: dir + "/functions", concurrencyLimit: 8)
        let source = dir + "/src"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try "def handler(event, context):\n    return event\n".write(toFile: source + "/handler.py", atomically: true, encoding: .utf8)
        let zipPath = dir + "/code.zip"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], 'w'); z.write(sys.argv[2], 'handler.py'); z.close()",
                       zipPath, source + "/handler.py"]
        try p.run()
        p.waitUntilExit()
        let zip = [UInt8](FileManager.default.contents(atPath: zipPath) ?? Data())
        _ = try await functions.create(name: "echo", runtime: "python3.12", handler: "handler.handler", zip: zip, timeout: 10, memory: 128,
                                       environment: [:], role: "r")
        let payload = Array(#"{"order":{"id":"o-1","total":12.5}}"#.utf8)
        _ = try await functions.invoke("echo", payload: payload)  // warm one worker

        for concurrency in [1, 8] {
            let deadline = monotonicSeconds() + seconds
            let t0 = monotonicSeconds()
            let lat: [Double] = await withTaskGroup(of: [Double].self) { group in
                for _ in 0..<concurrency {
                    group.addTask {
                        var l: [Double] = []
                        while monotonicSeconds() < deadline {
                            let s = monotonicSeconds()
                            _ = try? await functions.invoke("echo", payload: payload)
                            l.append((monotonicSeconds() - s) * 1000)
                        }
                        return l
                    }
                }
                var all: [Double] = []
                for await l in group { all += l }
                return all
            }
            let sorted = lat.sorted()
            let rate = Double(sorted.count) / (monotonicSeconds() - t0)
            print("python warm invoke, concurrency \(concurrency): \(Int(rate)) invokes/s, p50 \(f(sorted[sorted.count / 2])) ms, p99 \(f(sorted[sorted.count * 99 / 100])) ms")
        }

        // A command function: a process per call (cat echoes the event back).
        let emptyZipPath = dir + "/empty.zip"
        let q = Process()
        q.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        q.arguments = ["python3", "-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1], 'w').close()", emptyZipPath]
        try q.run()
        q.waitUntilExit()
        _ = try await functions.create(name: "cat", runtime: FunctionService.commandRuntime, handler: "/bin/cat",
                                       zip: [UInt8](FileManager.default.contents(atPath: emptyZipPath) ?? Data()), timeout: 10, memory: 128,
                                       environment: [:], role: "r")
        do {
            let deadline = monotonicSeconds() + seconds
            let t0 = monotonicSeconds()
            var lat: [Double] = []
            while monotonicSeconds() < deadline {
                let s = monotonicSeconds()
                _ = try? await functions.invoke("cat", payload: payload)
                lat.append((monotonicSeconds() - s) * 1000)
            }
            let sorted = lat.sorted()
            print("command function (/bin/cat), one at a time: \(Int(Double(sorted.count) / (monotonicSeconds() - t0))) invokes/s, "
                + "p50 \(f(sorted[sorted.count / 2])) ms, p99 \(f(sorted[sorted.count * 99 / 100])) ms")
        }

        // Ten lambda:invoke tasks in a chain, through the engine and the SQLite journal.
        let journal = try SQLiteJournal(directory: dir + "/journal")
        var registry = TaskRegistry()
        registry.register(LambdaTaskHandler.invokeResource, LambdaTaskHandler(functions: functions))
        let engine = Engine(journal: journal, registry: registry)
        var states: [String] = []
        for i in 0..<10 {
            let next = i == 9 ? "\"End\": true" : "\"Next\": \"L\(i + 1)\""
            states.append(#""L\#(i)": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "echo", "Payload.$": "$"}, "ResultSelector": {"order.$": "$.Payload.order"}, \#(next)}"#)
        }
        let sm = "arn:aws:states:us-east-1:000000000000:stateMachine:chain"
        let def = try await engine.saveDefinition(stateMachineArn: sm, definition: "{\"StartAt\": \"L0\", \"States\": {\(states.joined(separator: ", "))}}")
        let chainLatencies: [Double] = await withTaskGroup(of: [Double].self) { group in
            group.addTask { await engine.run(); return [] }
            let deadline = monotonicSeconds() + seconds
            for w in 0..<8 {
                group.addTask {
                    await timedCalls(until: deadline) { n in
                        let r = try await engine.startExecution(stateMachineArn: sm, definitionId: def, name: "c\(w)-\(n)",
                                                                input: String(decoding: payload, as: UTF8.self))
                        let done = try await engine.waitForCompletion(r.arn)
                        if done.status != .succeeded { throw EngineError("ChainFailed", "\(done.status): \(done.cause ?? "")") }
                    }
                }
            }
            var all: [Double] = []
            var finished = 0
            for await l in group {
                all += l
                finished += 1
                if finished == 8 { engine.shutdown() }
            }
            return all
        }
        journal.close()
        let sorted = chainLatencies.sorted()
        if !sorted.isEmpty {
            print("chain of 10 lambda:invoke tasks (FULL journal, 8 clients): \(Int(Double(sorted.count) / seconds)) executions/s, "
                + "\(Int(Double(sorted.count * 10) / seconds)) invokes/s, p50 \(f(sorted[sorted.count / 2])) ms, p99 \(f(sorted[sorted.count * 99 / 100])) ms")
        }
    }

    static func f(_ d: Double) -> String { String((d * 100).rounded() / 100) }
}
