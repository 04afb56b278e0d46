import Engine
import Journal
import StatesInterpreter
import StatesLanguage
import Testing

/// An invocation whose outcome failed to commit stays in the outbox; the periodic rescan
/// performs it again (at least once), without waiting for a restart.
@Suite struct OutboxRescanTests {
    actor Counter {
        var n = 0
        func next() -> Int {
            n += 1
            return n
        }
    }

    @Test func anOutcomeThatFailedToCommitIsPerformedAgainByTheRescan() async throws {
        let journal = InMemoryJournal()
        let calls = Counter()
        var registry = TaskRegistry()
        registry.register("arn:aws:states:::test:echo", ClosureTaskHandler { inv in
            _ = await calls.next()
            return .succeeded(inv.parameters)
        })
        try await withEngine(journal: journal, registry: registry) { engine, _ in
            // The step that would record the task's outcome (and remove its outbox row) fails once.
            await journal.failNextAppend { !$0.outboxRemovals.isEmpty }
            let arn = try await start(engine, #"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::test:echo","End":true}}}"#)
            await engine.settle()
            #expect(try await engine.describe(arn).status == .running)
            #expect(await journal.outbox().count == 1)
            await engine.rescanOutbox()
            await engine.settle()
            #expect(try await engine.describe(arn).status == .succeeded)
            #expect(await calls.n == 2)
            #expect(await journal.outbox().isEmpty)
            // Nothing left to do: another pass performs nothing.
            await engine.rescanOutbox()
            await engine.settle()
            #expect(await calls.n == 2)
            checkHistory(try await engine.history(arn))
        }
    }
}
