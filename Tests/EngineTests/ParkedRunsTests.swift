import Foundation
@testable import Engine
import Journal
import StatesInterpreter
import StatesLanguage
import Testing

/// A partition remembers the runs it parked last (row and state), bounded, taken once; a step
/// decided from a remembered state the journal has moved past is decided again from the journal.
@Suite struct ParkedRunsTests {
    func row(_ arn: String, _ status: ExecutionStatus = .running) -> ExecutionRecord {
        ExecutionRecord(arn: arn, stateMachineArn: smArn, definitionId: 1, name: arn, status: status, input: "{}", startMillis: 0)
    }

    func state(_ arn: String) -> ExecutionState {
        ExecutionState(context: ExecutionContext(executionArn: arn, name: arn, roleArn: "r", stateMachineArn: smArn, stateMachineName: "test",
                                                 startTime: Timestamp(milliseconds: 0)),
                       input: [:], seed: 1)
    }

    @Test func remembersRunningRunsBoundedAndTakenOnce() {
        var parked = ParkedRuns()
        for i in 0..<(ParkedRuns.limit + 10) { parked.committed(row("r\(i)"), state("r\(i)")) }
        #expect(parked.count == ParkedRuns.limit)
        // The oldest were forgotten, the newest kept.
        #expect(parked.take("r0") == nil)
        #expect(parked.take("r\(ParkedRuns.limit + 9)")?.record.arn == "r\(ParkedRuns.limit + 9)")
        #expect(parked.take("r\(ParkedRuns.limit + 9)") == nil)
        // An ended run is forgotten, not remembered.
        parked.committed(row("r20", .succeeded), state("r20"))
        #expect(parked.take("r20") == nil)
        // Taking and remembering many times over keeps the bookkeeping bounded.
        for i in 0..<10_000 {
            parked.committed(row("x\(i)"), state("x\(i)"))
            _ = parked.take("x\(i)")
        }
        #expect(parked.count <= ParkedRuns.limit)
    }

    /// Another node stopped the run after this partition parked it (a lease that moved): the
    /// callback, decided first from the remembered state, is refused by the journal's version
    /// check and decided again from the journal, where the run has ended: TaskTimedOut, and
    /// the history is the other node's.
    @Test func aStaleRememberedRunIsDecidedAgainFromTheJournal() async throws {
        let journal = InMemoryJournal()
        try await withParkedCallback(journal: journal) { engine, arn, token in
            var stopped = try #require(await journal.execution(arn: arn))
            let version = stopped.lastEventId
            stopped.status = .aborted
            stopped.lastEventId = version + 1
            stopped.stopMillis = 1
            var batch = JournalBatch(execution: stopped, expectedVersion: version)
            batch.events = [HistoryEvent(id: version + 1, previousEventId: version, timestamp: Timestamp(milliseconds: 1), type: "ExecutionAborted", detailsKey: nil,
                                         details: [:])]
            try await journal.append(batch)
            await #expect(throws: EngineError.taskTimedOut()) { try await engine.sendTaskSuccess(token: token, output: "{}") }
            #expect(try await engine.describe(arn).status == .aborted)
            #expect(try await engine.history(arn).last?.type == "ExecutionAborted")
        }
    }
}
