import Foundation
import Engine
import Journal
import StatesInterpreter
import StatesLanguage
import Testing

/// A handler whose durable part is written with the step that schedules its task.
@Suite struct TransactionalTaskHandlerTests {
    /// What happened, in order: `write ID` when a step committed a task's write, `invoke ID`
    /// when the handler was called (ID: the attempt's task id).
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [String] = []
        func add(_ e: String) { lock.withLock { entries.append(e) } }
        var all: [String] { lock.withLock { entries } }
        var invokes: Int { lock.withLock { entries.filter { $0.hasPrefix("invoke") }.count } }
    }

    struct Sender: TransactionalTaskHandler {
        let log: Log
        func attachments(scheduling invocation: TaskInvocation) -> [StepAttachment] {
            let id = invocation.id.rawValue
            return [StepAttachment(store: "test") { [log] (_) throws(JournalError) in log.add("write \(id)") }]
        }
        func invokeAlone(_ invocation: TaskInvocation) async -> TaskOutcome {
            log.add("alone \(invocation.idempotencyKey)")
            return .succeeded(["sent": true])
        }
        func invoke(_ invocation: TaskInvocation) async -> TaskOutcome {
            let earlier = log.invokes
            log.add("invoke \(invocation.id.rawValue)")
            return earlier < 2 ? .failed(StatesError("Busy", nil)) : .succeeded(["sent": true])
        }
    }

    @Test func eachScheduledAttemptWritesOnceAndBeforeItIsPerformed() async throws {
        let log = Log()
        var registry = TaskRegistry()
        registry.register("arn:aws:states:::test:send", Sender(log: log))
        try await withEngine(registry: registry) { engine, clock in
            let arn = try await start(engine, """
                {"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::test:send",
                 "Retry":[{"ErrorEquals":["Busy"],"IntervalSeconds":1,"MaxAttempts":3}],"End":true}}}
                """)
            for _ in 0..<3 {
                await engine.settle()
                clock.advance(seconds: 4)
                await engine.fireDueTimers()
            }
            await engine.settle()
            #expect(try await engine.describe(arn).status == .succeeded)
            let entries = log.all
            #expect(entries.count == 6)
            let ids = Set(entries.map { $0.split(separator: " ")[1] })
            #expect(ids.count == 3)
            for pair in stride(from: 0, to: entries.count - 1, by: 2) {
                let id = entries[pair].split(separator: " ")[1]
                #expect(entries[pair] == "write \(id)" && entries[pair + 1] == "invoke \(id)")
            }
            #expect(try await engine.history(arn).filter { $0.type == "TaskScheduled" }.count == 3)
        }
    }
}
