import Foundation
import Journal
import StatesInterpreter
import StatesLanguage
import Testing

/// Task tokens found by correlation key, and services' writes attached to a step, for every backend.
@Suite struct JournalCorrelationContractTests {
    /// An attachment that counts how often it was applied (and can be told to fail).
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        var count: Int { lock.withLock { n } }
        func attachment(failing: Bool = false) -> StepAttachment {
            StepAttachment(store: "counter") { (_) throws(JournalError) in
                if failing { throw JournalError(.corrupt, "refused") }
                self.lock.withLock { self.n += 1 }
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func tokensAreFoundByCorrelationAndAttachmentsCommitWithTheStep(_ backend: Backend) async throws {
        let j = try await backend.make()
        let counter = Counter()
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        var b = JournalBatch(execution: record("x1", definition: def, lastEventId: 1), expectedVersion: nil)
        b.events = [event(1, "ExecutionStarted")]
        b.tokenAdds = [TaskTokenRecord(token: "tok-a", executionArn: "x1", taskId: 0, correlation: "hook\u{1F}k1"),
                       TaskTokenRecord(token: "tok-b", executionArn: "x1", taskId: 1)]
        try await j.append(b)
        #expect(try await j.tokens(correlation: "hook\u{1F}k1").map(\.token) == ["tok-a"])
        #expect(try await j.correlationOwner("hook\u{1F}k1") == "x1")
        // The step that applies a delivery closes the token; the key stays known.
        var s = JournalBatch(execution: record("x1", definition: def, lastEventId: 2), expectedVersion: 1)
        s.events = [event(2)]
        s.tokenRemovals = ["tok-a"]
        s.attachments = [counter.attachment()]
        try await j.append(s)
        #expect(counter.count == 1)
        #expect(try await j.tokens(correlation: "hook\u{1F}k1").isEmpty)
        #expect(try await j.correlationOwner("hook\u{1F}k1") == "x1")
        // A refused step applies none of its attachments.
        var stale = JournalBatch(execution: record("x1", definition: def, lastEventId: 3), expectedVersion: 1)
        stale.attachments = [counter.attachment()]
        await #expect(throws: JournalError.self) { try await j.append(stale) }
        #expect(counter.count == 1)
        // An attachment that fails refuses its step: nothing of it is written.
        var failing = JournalBatch(execution: record("x1", definition: def, lastEventId: 3), expectedVersion: 2)
        failing.events = [event(3)]
        failing.attachments = [counter.attachment(failing: true)]
        await #expect(throws: JournalError.self) { try await j.append(failing) }
        #expect(try await j.history(arn: "x1").count == 2)
        #expect(try await j.execution(arn: "x1")?.lastEventId == 2)
    }
}
