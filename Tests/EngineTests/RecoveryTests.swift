import Foundation
import Engine
import Journal
import StatesInterpreter
import StatesLanguage
import Testing

/// A restart in process: engine A is abandoned mid-flight (as a crash would leave it) and
/// engine B opens the same SQLite files, recovers, and finishes every execution.
@Suite struct RecoveryTests {
    @Test func runningExecutionsResumeAfterARestart() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("baton-recover-\(UUID().uuidString)").path
        let clock = ManualEngineClock()
        let tokens = Tokens()
        var first = TaskRegistry()
        // Before the crash the callback handler records tokens; the "slow" handler never answers.
        first.register("arn:aws:states:::test:callback", ClosureTaskHandler { inv in
            await tokens.add(inv.taskToken ?? "")
            return .pending
        })
        first.register("arn:aws:states:::test:slow", ClosureTaskHandler { _ in
            // Never answers before the crash; cancelled with engine A's service group.
            try? await Task.sleep(nanoseconds: 3_600_000_000_000)
            return .pending
        })
        var arns: [String: String] = [:]
        let journalA = try SQLiteJournal(directory: dir)
        let engineA = Engine(journal: journalA, clock: clock, registry: first, partitions: 4)
        let runA = Task { await engineA.run() }
        arns["wait"] = try await start(engineA, #"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"Next":"P"},"P":{"Type":"Pass","Result":"waited","End":true}}}"#)
        arns["token"] = try await start(engineA, """
            {"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::test:callback.waitForTaskToken","TimeoutSeconds":3600,"End":true}}}
            """)
        arns["outbox"] = try await start(engineA, """
            {"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::test:slow","End":true}}}
            """)
        arns["map"] = try await start(engineA, """
            {"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}},"End":true}}}
            """, input: "[1,2,3]")
        let token = await tokens.first()
        // The crash: engine A stops with work in flight and its writer never flushes again.
        runA.cancel()
        engineA.shutdown()
        journalA.close()

        var second = TaskRegistry()
        second.register("arn:aws:states:::test:slow", ClosureTaskHandler { _ in .succeeded("done after restart") })
        second.register("arn:aws:states:::test:callback", ClosureTaskHandler { _ in .pending })
        let journalB = try SQLiteJournal(directory: dir)
        try await withEngine(journal: journalB, registry: second, clock: clock) { engine, clock in
            try await engine.recover()
            await engine.settle()
            #expect(try await engine.describe(arns["outbox"]!).output == #""done after restart""#)
            try await engine.sendTaskSuccess(token: token, output: #"{"resumed":true}"#)
            clock.advance(seconds: 30)
            await engine.fireDueTimers()
            await engine.settle()
            for (_, arn) in arns {
                let r = try await engine.describe(arn)
                #expect(r.status == .succeeded, "\(arn): \(r.status) \(r.error ?? "")")
                checkHistory(try await engine.history(arn))
            }
            #expect(try await engine.describe(arns["wait"]!).output == #""waited""#)
            #expect(try await journalB.timers().isEmpty)
            #expect(try await journalB.outbox().isEmpty)
        }
        journalB.close()
    }
}
