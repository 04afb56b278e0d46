import Foundation
import Journal
import StatesInterpreter
import StatesLanguage
import Testing

/// The promise itself: the real `baton` process is killed with SIGKILL at several points of a
/// mixed workload (pass chains, waits, retries with backoff, task tokens, Map and Parallel),
/// restarted each time, and every execution still reaches its end with a valid history.
@Suite struct CrashRecoveryTests {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static let definition = """
        {"StartAt":"Prepare","States":{
         "Prepare":{"Type":"Pass","Parameters":{"items":[1,2,3]},"Next":"Fan"},
         "Fan":{"Type":"Parallel","Next":"Rest","Branches":[
           {"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,"End":true,
             "ItemProcessor":{"StartAt":"Pause","States":{"Pause":{"Type":"Wait","Seconds":1,"Next":"Echo"},
               "Echo":{"Type":"Task","Resource":"arn:aws:states:::baton:echo","Parameters":{"item.$":"$"},"End":true}}}}}},
           {"StartAt":"Callback","States":{"Callback":{"Type":"Task","Resource":"arn:aws:states:::baton:callback.waitForTaskToken",
             "TimeoutSeconds":600,"End":true}}},
           {"StartAt":"Flaky","States":{"Flaky":{"Type":"Task","Resource":"arn:aws:states:::baton:flaky",
             "Parameters":{"attempt.$":"$$.State.RetryCount"},"Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1,"MaxAttempts":3}],"End":true}}},
           {"StartAt":"Chain1","States":{"Chain1":{"Type":"Pass","Next":"Chain2"},"Chain2":{"Type":"Pass","Next":"Chain3"},"Chain3":{"Type":"Pass","End":true}}}]},
         "Rest":{"Type":"Wait","Seconds":1,"Next":"Done"},
         "Done":{"Type":"Pass","End":true}}}
        """

    func launch(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = Self.root.appendingPathComponent(".build/debug/baton")
        p.arguments = ["durable"] + args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Polls the journal (another process's WAL database) until `done` says so, or the process exits.
    func waitUntil(_ dir: String, process: Process, _ done: ([ExecutionRecord], Int) -> Bool) async throws {
        let journal = try SQLiteJournal(directory: dir)
        defer { journal.close() }
        for _ in 0..<600 {
            let all = try await journal.executions(status: nil)
            var events = 0
            for r in all { events += r.lastEventId }
            if done(all, events) || !process.isRunning { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    @Test func executionsSurviveSIGKILL() async throws {
        let binary = Self.root.appendingPathComponent(".build/debug/baton").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("build the baton executable first (swift build): \(binary) is missing")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("baton-crash-\(UUID().uuidString)").path
        let defFile = dir + ".asl.json"
        try Self.definition.write(toFile: defFile, atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: defFile)
            try? FileManager.default.removeItem(atPath: dir)
        }
        let args = ["--data-dir", dir, "--definition", defFile, "--count", "12", "--prefix", "crash"]
        // Kill points: while starting, mid-flight, and once some have finished.
        let killPoints: [([ExecutionRecord], Int) -> Bool] = [
            { all, _ in all.count >= 3 },
            { _, events in events >= 150 },
            { all, _ in all.contains { $0.status == .succeeded } },
        ]
        var kills = 0
        for point in killPoints {
            let p = try launch(args)
            try await waitUntil(dir, process: p, point)
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            if p.terminationReason == .uncaughtSignal { kills += 1 }
        }
        #expect(kills >= 2, "the process must really have been killed mid-work")
        let last = try launch(args)
        last.waitUntilExit()
        #expect(last.terminationStatus == 0)

        let journal = try SQLiteJournal(directory: dir)
        defer { journal.close() }
        let all = try await journal.executions(status: nil)
        #expect(all.count == 12)
        for r in all {
            #expect(r.status == .succeeded, "\(r.arn): \(r.status) \(r.error ?? "") \(r.cause ?? "")")
            let h = try await journal.history(arn: r.arn)
            #expect(h.map(\.id) == Array(1...h.count), "ids must be contiguous")
            #expect(h.first?.type == "ExecutionStarted")
            #expect(h.filter { $0.type.hasPrefix("Execution") && $0.type != "ExecutionStarted" }.count == 1)
            #expect(h.last?.type == "ExecutionSucceeded")
            // Each state of the fixed path entered exactly once: nothing lost, nothing doubled.
            for name in ["Prepare", "Fan", "Callback", "Flaky", "Chain1", "Chain2", "Chain3", "Rest", "Done", "Each"] {
                #expect(h.filter { $0.type.hasSuffix("StateEntered") && $0.details["name"] == .string(name) }.count == 1, "\(name) in \(r.arn)")
            }
            #expect(h.filter { $0.type == "MapIterationSucceeded" }.count == 3)
            #expect(h.filter { $0.type == "TaskScheduled" && $0.details["resource"] == "flaky" }.count == 2)
        }
        #expect(try await journal.timers().isEmpty)
        #expect(try await journal.outbox().isEmpty)
        #expect(try await journal.callbackTokens().isEmpty)
    }
}
