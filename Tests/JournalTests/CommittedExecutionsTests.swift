@testable import Journal
import StatesLanguage
import Testing

/// The kept execution rows follow what the writer committed: a new row whole, a later step's
/// columns onto the kept row, nothing for a row not kept, and within their bounds.
@Suite struct CommittedExecutionsTests {
    private func row(_ arn: String, input: String = "{}", lastEventId: Int = 1, snapshot: [UInt8]? = [1]) -> ExecutionRecord {
        ExecutionRecord(arn: arn, stateMachineArn: "sm", definitionId: 1, name: "n-\(arn)", status: .running, input: input,
                        startMillis: 1_000, lastEventId: lastEventId, snapshot: snapshot)
    }

    @Test func aNewRowIsKeptWholeAndALaterStepWritesOnlyItsColumns() {
        let rows = CommittedExecutions()
        var started = row("a", input: "{\"k\":1}")
        started.traceHeader = "Root=1-abc"
        rows.committed([JournalBatch(execution: started, expectedVersion: nil)])
        #expect(rows.lookup("a") == started)
        // The step's record says other things about the columns an UPDATE leaves alone.
        var step = row("a", input: "{\"other\":true}", lastEventId: 4, snapshot: nil)
        step.status = .succeeded
        step.setOutput(value: ["done": true])
        step.stopMillis = 2_000
        step.name = "renamed"
        rows.committed([JournalBatch(execution: step, expectedVersion: 1)])
        let kept = rows.lookup("a")
        #expect(kept?.status == .succeeded)
        #expect(kept?.lastEventId == 4)
        #expect(kept?.output == "{\"done\":true}")
        #expect(kept?.stopMillis == 2_000)
        #expect(kept?.snapshot == nil)
        #expect(kept?.input == "{\"k\":1}")
        #expect(kept?.name == "n-a")
        #expect(kept?.traceHeader == "Root=1-abc")
    }

    @Test func aStepOfARowNotKeptStartsNothing() {
        let rows = CommittedExecutions()
        rows.committed([JournalBatch(execution: row("b", lastEventId: 3), expectedVersion: 2)])
        #expect(rows.lookup("b") == nil)
        #expect(rows.count == 0)
    }

    @Test func aForgottenRowIsReadAgain() {
        let rows = CommittedExecutions()
        rows.committed([JournalBatch(execution: row("c"), expectedVersion: nil), JournalBatch(execution: row("d"), expectedVersion: nil)])
        rows.forget(["c"])
        #expect(rows.lookup("c") == nil)
        #expect(rows.lookup("d") != nil)
    }

    @Test func aRowOverItsLimitIsNotKeptAndForgetsTheOlderOne() {
        let rows = CommittedExecutions(rowLimit: 100)
        rows.committed([JournalBatch(execution: row("e"), expectedVersion: nil)])
        #expect(rows.lookup("e") != nil)
        var big = row("e", lastEventId: 2)
        big.setOutput(value: .string(String(repeating: "x", count: 200)))
        rows.committed([JournalBatch(execution: big, expectedVersion: 1)])
        // Not the older row either: it is no longer the row.
        #expect(rows.lookup("e") == nil)
        rows.committed([JournalBatch(execution: row("f", input: String(repeating: "y", count: 200)), expectedVersion: nil)])
        #expect(rows.lookup("f") == nil)
    }

    @Test(arguments: [(limit: 3, byteLimit: 1 << 20), (limit: 100, byteLimit: 30)])
    func pastItsBoundsItStartsOver(_ bounds: (limit: Int, byteLimit: Int)) {
        let rows = CommittedExecutions(limit: bounds.limit, byteLimit: bounds.byteLimit)
        for name in ["g1", "g2", "g3"] {
            rows.committed([JournalBatch(execution: row(name, input: "{\"0123456\":1}"), expectedVersion: nil)])
        }
        rows.committed([JournalBatch(execution: row("g4", input: "{\"0123456\":1}"), expectedVersion: nil)])
        #expect(rows.lookup("g4") != nil)
        #expect(rows.count < 4)
    }
}
