import Foundation
import Journal
import StatesInterpreter
import StatesLanguage
import Testing

/// The contract every journal backend passes: SQLite, PostgreSQL (when `BATON_TEST_POSTGRES`
/// names one) and the in-memory journal.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, memory, postgres
    var testDescription: String { rawValue }
    static var allCases: [Backend] { TestPostgres.url == nil ? [.sqlite, .memory] : [.sqlite, .memory, .postgres] }

    func make() async throws -> any JournalStore {
        switch self {
        case .memory: return InMemoryJournal()
        case .postgres: return try await TestPostgres.journal()
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("baton-journal-\(UUID().uuidString)").path
            return try SQLiteJournal(directory: dir)
        }
    }
}

func event(_ id: Int, _ type: String = "PassStateEntered", details: JSONObject = ["name": "A", "input": ["k": 1]]) -> HistoryEvent {
    HistoryEvent(id: id, previousEventId: id - 1, timestamp: Timestamp(milliseconds: 1_000 + Int64(id)), type: type,
                 detailsKey: "stateEnteredEventDetails", details: details)
}

func record(_ arn: String, definition: Int64, lastEventId: Int = 0) -> ExecutionRecord {
    ExecutionRecord(arn: arn, stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:m", definitionId: definition,
                    name: "e", status: .running, input: "{}", startMillis: 1_000, lastEventId: lastEventId, snapshot: [1, 2, 3])
}

@Suite struct JournalContractTests {
    @Test(arguments: Backend.allCases)
    func appendsAStepAtomically(_ backend: Backend) async throws {
        let j = try await backend.make()
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        #expect(try await j.definition(id: def) == "{}")
        var b = JournalBatch(execution: record("x1", definition: def, lastEventId: 2), expectedVersion: nil)
        b.events = [event(1, "ExecutionStarted"), event(2)]
        b.outboxAdds = [OutboxEntry(key: "x1#0", executionArn: "x1", payload: "{\"a\":1}")]
        b.timerAdds = [TimerRecord(executionArn: "x1", timerId: 0, dueMillis: 5_000)]
        b.tokenAdds = [TaskTokenRecord(token: "tok-1", executionArn: "x1", taskId: 0)]
        try await j.append(b)
        #expect(try await j.execution(arn: "x1")?.lastEventId == 2)
        #expect(try await j.execution(arn: "x1")?.snapshot == [1, 2, 3])
        let history = try await j.history(arn: "x1")
        #expect(history == b.events)
        #expect(try await j.outbox() == b.outboxAdds)
        #expect(try await j.timers() == b.timerAdds)
        #expect(try await j.token("tok-1")?.executionArn == "x1")
        #expect(try await j.executions(status: .running).map(\.arn) == ["x1"])
    }

    /// A live view's next part: the events after an id, a page at a time, in order.
    @Test(arguments: Backend.allCases)
    func readsTheHistoryAfterAnEventIdInPages(_ backend: Backend) async throws {
        let j = try await backend.make()
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        var b = JournalBatch(execution: record("x9", definition: def, lastEventId: 7), expectedVersion: nil)
        b.events = [event(1, "ExecutionStarted")] + (2...7).map { event($0) }
        try await j.append(b)
        #expect(try await j.history(arn: "x9", after: 0, limit: 3).map(\.id) == [1, 2, 3])
        #expect(try await j.history(arn: "x9", after: 3, limit: 3) == Array(b.events[3..<6]))
        #expect(try await j.history(arn: "x9", after: 6, limit: 100).map(\.id) == [7])
        #expect(try await j.history(arn: "x9", after: 7, limit: 100).isEmpty)
        #expect(try await j.history(arn: "nobody", after: 0, limit: 100).isEmpty)
    }

    /// The retention sweep's delete: finished executions stopped before the cutoff, oldest
    /// first, a page at a time, with their events; never a running one.
    @Test(arguments: Backend.allCases)
    func deletesFinishedExecutionsPastACutoffOnly(_ backend: Backend) async throws {
        let j = try await backend.make()
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        for (arn, stop) in [("old1", Int64(2_000)), ("old2", 3_000), ("recent", 9_000), ("running", nil)] as [(String, Int64?)] {
            var r = record(arn, definition: def, lastEventId: 2)
            r.startMillis = 1_000
            if let stop {
                r.status = .succeeded
                r.stopMillis = stop
                r.snapshot = nil
            }
            var b = JournalBatch(execution: r, expectedVersion: nil)
            b.events = [event(1, "ExecutionStarted"), event(2)]
            if stop == nil { b.timerAdds = [TimerRecord(executionArn: arn, timerId: 0, dueMillis: 99_000)] }
            try await j.append(b)
        }
        #expect(try await j.deleteFinishedExecutions(stoppedBefore: 10_000, limit: 1) == 1)
        #expect(try await j.execution(arn: "old1") == nil)
        #expect(try await j.history(arn: "old1").isEmpty)
        #expect(try await j.execution(arn: "old2") != nil)
        #expect(try await j.deleteFinishedExecutions(stoppedBefore: 5_000, limit: 10) == 1)
        #expect(try await j.execution(arn: "old2") == nil)
        #expect(try await j.deleteFinishedExecutions(stoppedBefore: 5_000, limit: 10) == 0)
        #expect(try await j.execution(arn: "recent") != nil)
        #expect(try await j.history(arn: "recent").count == 2)
        // A running execution stays, however old, with its timer.
        #expect(try await j.deleteFinishedExecutions(stoppedBefore: .max, limit: 10) == 1)
        #expect(try await j.execution(arn: "running")?.status == .running)
        #expect(try await j.history(arn: "running").count == 2)
        #expect(try await j.timers().map(\.executionArn) == ["running"])
    }

    @Test(arguments: Backend.allCases)
    func rejectsAStaleVersionAndWritesNothing(_ backend: Backend) async throws {
        let j = try await backend.make()
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        var b = JournalBatch(execution: record("x2", definition: def, lastEventId: 1), expectedVersion: nil)
        b.events = [event(1, "ExecutionStarted")]
        try await j.append(b)
        var stale = JournalBatch(execution: record("x2", definition: def, lastEventId: 3), expectedVersion: 0)
        stale.events = [event(2), event(3)]
        stale.timerAdds = [TimerRecord(executionArn: "x2", timerId: 9, dueMillis: 1)]
        await #expect(throws: JournalError.self) { try await j.append(stale) }
        #expect(try await j.history(arn: "x2").count == 1)
        #expect(try await j.timers().isEmpty)
        #expect(try await j.execution(arn: "x2")?.lastEventId == 1)
        var again = JournalBatch(execution: record("x2", definition: def, lastEventId: 1), expectedVersion: nil)
        again.events = [event(1)]
        again.execution.input = "{\"again\":true}"
        await #expect(throws: JournalError.self) { try await j.append(again) }
        #expect(try await j.execution(arn: "x2")?.input == "{}")
    }

    /// A step writes the columns a step changes; what the start wrote (name, input, start time,
    /// the version started through, the trace) stays whatever the step's record says.
    @Test(arguments: Backend.allCases)
    func aStepLeavesTheStartsColumnsAsTheyWere(_ backend: Backend) async throws {
        let j = try await backend.make()
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        var start = record("x8", definition: def, lastEventId: 1)
        start.input = "{\"k\":1}"
        start.qualifiedArn = "arn:aws:states:us-east-1:000000000000:stateMachine:m:1"
        start.traceHeader = "Root=1-5759e988-bd862e3fe1be46a994272793"
        var b = JournalBatch(execution: start, expectedVersion: nil)
        b.events = [event(1, "ExecutionStarted")]
        try await j.append(b)
        _ = try await j.execution(arn: "x8")
        var end = start
        end.name = "other"
        end.input = "{}"
        end.startMillis = 7
        end.qualifiedArn = nil
        end.traceHeader = nil
        end.status = .succeeded
        end.output = "{\"done\":true}"
        end.stopMillis = 2_000
        end.lastEventId = 2
        end.snapshot = nil
        var step = JournalBatch(execution: end, expectedVersion: 1)
        step.events = [event(2, "ExecutionSucceeded")]
        try await j.append(step)
        let row = try #require(try await j.execution(arn: "x8"))
        #expect(row.status == .succeeded)
        #expect(row.output == "{\"done\":true}")
        #expect(row.stopMillis == 2_000)
        #expect(row.lastEventId == 2)
        #expect(row.snapshot == nil)
        #expect(row.name == "e")
        #expect(row.input == "{\"k\":1}")
        #expect(row.startMillis == 1_000)
        #expect(row.qualifiedArn == start.qualifiedArn)
        #expect(row.traceHeader == start.traceHeader)
    }

    @Test(arguments: Backend.allCases)
    func removalsAndTheEndOfARun(_ backend: Backend) async throws {
        let j = try await backend.make()
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        var b = JournalBatch(execution: record("x3", definition: def, lastEventId: 1), expectedVersion: nil)
        b.events = [event(1, "ExecutionStarted")]
        b.outboxAdds = [OutboxEntry(key: "x3#0", executionArn: "x3", payload: "{}"), OutboxEntry(key: "x3#1", executionArn: "x3", payload: "{}")]
        b.timerAdds = [TimerRecord(executionArn: "x3", timerId: 0, dueMillis: 1), TimerRecord(executionArn: "x3", timerId: 1, dueMillis: 2)]
        b.tokenAdds = [TaskTokenRecord(token: "t-a", executionArn: "x3", taskId: 0, activityArn: "act"),
                       TaskTokenRecord(token: "t-b", executionArn: "x3", taskId: 1)]
        try await j.append(b)
        #expect(try await j.tokens(activityArn: "act").map(\.token) == ["t-a"])
        #expect(try await j.callbackTokens().map(\.token) == ["t-b"])
        var step = JournalBatch(execution: record("x3", definition: def, lastEventId: 2), expectedVersion: 1)
        step.events = [event(2)]
        step.outboxRemovals = ["x3#0"]
        step.timerRemovals = [0]
        step.tokenRemovals = ["t-a"]
        try await j.append(step)
        #expect(try await j.outbox().map(\.key) == ["x3#1"])
        #expect(try await j.timers().map(\.timerId) == [1])
        #expect(try await j.token("t-a") == nil)
        var end = record("x3", definition: def, lastEventId: 3)
        end.status = .succeeded
        end.output = "{}"
        end.snapshot = nil
        var last = JournalBatch(execution: end, expectedVersion: 2)
        last.events = [event(3, "ExecutionSucceeded")]
        last.clearsWaits = true
        try await j.append(last)
        #expect(try await j.outbox().isEmpty)
        #expect(try await j.timers().isEmpty)
        #expect(try await j.token("t-b") == nil)
        #expect(try await j.execution(arn: "x3")?.status == .succeeded)
        #expect(try await j.executions(status: .running).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func concurrentAppendsFromManyExecutionsAllLand(_ backend: Backend) async throws {
        let j = try await backend.make()
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<200 {
                group.addTask {
                    var b = JournalBatch(execution: record("c\(n)", definition: def, lastEventId: 1), expectedVersion: nil)
                    b.events = [event(1, "ExecutionStarted")]
                    try await j.append(b)
                    var s = JournalBatch(execution: record("c\(n)", definition: def, lastEventId: 2), expectedVersion: 1)
                    s.events = [event(2)]
                    try await j.append(s)
                }
            }
            try await group.waitForAll()
        }
        let all = try await j.executions(status: .running)
        #expect(all.count == 200)
        for r in all { #expect(try await j.history(arn: r.arn).map(\.id) == [1, 2]) }
    }
}

extension JournalContractTests {
    @Test(arguments: Backend.allCases)
    func stateMachinesVersionsAndActivities(_ backend: Backend) async throws {
        let j = try await backend.make()
        let d1 = try await j.saveDefinition(stateMachineArn: "arn:sm:a", definition: "{\"v\":1}")
        let d2 = try await j.saveDefinition(stateMachineArn: "arn:sm:a", definition: "{\"v\":2}")
        try await j.putStateMachine(StateMachineRecord(arn: "arn:sm:a", name: "a", type: "STANDARD", roleArn: "role", definitionId: d1, createdMillis: 1))
        try await j.putStateMachine(StateMachineRecord(arn: "arn:sm:b", name: "b", type: "EXPRESS", roleArn: "role", definitionId: d1, createdMillis: 2))
        // Each read before a write too: a store that remembers records must forget them on write.
        #expect(try await j.stateMachine(arn: "arn:sm:a")?.definitionId == d1)
        #expect(try await j.stateMachine(arn: "arn:sm:c") == nil)
        try await j.putStateMachine(StateMachineRecord(arn: "arn:sm:a", name: "a", type: "STANDARD", roleArn: "role2", definitionId: d2, createdMillis: 1))
        #expect(try await j.stateMachine(arn: "arn:sm:a")?.definitionId == d2)
        try await j.putStateMachine(StateMachineRecord(arn: "arn:sm:c", name: "c", type: "STANDARD", roleArn: "role", definitionId: d1, createdMillis: 3))
        #expect(try await j.stateMachine(arn: "arn:sm:c")?.name == "c")
        try await j.deleteStateMachine(arn: "arn:sm:c")
        #expect(try await j.stateMachines().map(\.arn) == ["arn:sm:a", "arn:sm:b"])
        try await j.putVersion(StateMachineVersionRecord(arn: "arn:sm:a:1", stateMachineArn: "arn:sm:a", version: 1, definitionId: d1, description: nil, createdMillis: 3))
        try await j.putVersion(StateMachineVersionRecord(arn: "arn:sm:a:2", stateMachineArn: "arn:sm:a", version: 2, definitionId: d2, description: "two", createdMillis: 4))
        await #expect(throws: JournalError.self) {
            try await j.putVersion(StateMachineVersionRecord(arn: "arn:sm:a:2", stateMachineArn: "arn:sm:a", version: 2, definitionId: d2, description: nil, createdMillis: 5))
        }
        #expect(try await j.versions(stateMachineArn: "arn:sm:a").map(\.version) == [1, 2])
        try await j.deleteVersion(arn: "arn:sm:a:1")
        #expect(try await j.versions(stateMachineArn: "arn:sm:a").map(\.version) == [2])
        try await j.deleteStateMachine(arn: "arn:sm:a")
        #expect(try await j.stateMachine(arn: "arn:sm:a") == nil)
        #expect(try await j.versions(stateMachineArn: "arn:sm:a").isEmpty)
        #expect(try await j.activities().isEmpty)
        try await j.putActivity(ActivityRecord(arn: "arn:act:x", name: "x", createdMillis: 1))
        await #expect(throws: JournalError.self) { try await j.putActivity(ActivityRecord(arn: "arn:act:x", name: "x", createdMillis: 2)) }
        #expect(try await j.activities().map(\.name) == ["x"])
        try await j.deleteActivity(arn: "arn:act:x")
        #expect(try await j.activities().isEmpty)
        let alias = AliasRecord(arn: "arn:sm:b:prod", stateMachineArn: "arn:sm:b", name: "prod", description: nil,
                                routing: [.init(versionArn: "arn:sm:b:1", weight: 90), .init(versionArn: "arn:sm:b:2", weight: 10)],
                                createdMillis: 1, updatedMillis: 1)
        try await j.putAlias(alias)
        #expect(try await j.aliases(stateMachineArn: "arn:sm:b") == [alias])
        try await j.deleteAlias(arn: alias.arn)
        #expect(try await j.aliases(stateMachineArn: "arn:sm:b").isEmpty)
        try await j.tag(resourceArn: "arn:sm:b", [(key: "team", value: "a"), (key: "env", value: "dev")])
        try await j.tag(resourceArn: "arn:sm:b", [(key: "team", value: "b")])
        #expect(try await j.tags(resourceArn: "arn:sm:b").map { "\($0.key)=\($0.value)" } == ["env=dev", "team=b"])
        try await j.untag(resourceArn: "arn:sm:b", keys: ["env"])
        #expect(try await j.tags(resourceArn: "arn:sm:b").map(\.key) == ["team"])
        try await j.putFunction(name: "f", config: "{\"v\":1}", code: [1, 2, 3])
        try await j.putFunction(name: "f", config: "{\"v\":2}", code: nil)
        let stored = try await j.functions()
        #expect(stored.count == 1 && stored[0].config == "{\"v\":2}" && stored[0].code == [1, 2, 3])
        try await j.deleteFunction(name: "f")
        #expect(try await j.functions().isEmpty)
    }

    /// A batch answered before its commit is durable is still written whole, after every batch
    /// queued before it, and its own errors (a name taken, a stale version) still reach its caller.
    @Test(arguments: Backend.allCases)
    func aVisibleAppendIsWrittenAndReportsItsErrors(_ backend: Backend) async throws {
        let j = try await backend.make()
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        var b = JournalBatch(execution: record("v1", definition: def, lastEventId: 1), expectedVersion: nil)
        b.events = [event(1, "ExecutionStarted")]
        try await j.appendVisible(b)
        await #expect(throws: JournalError.self) { try await j.appendVisible(b) }
        var stale = JournalBatch(execution: record("v1", definition: def, lastEventId: 2), expectedVersion: 5)
        stale.events = [event(2)]
        await #expect(throws: JournalError.self) { try await j.appendVisible(stale) }
        // Answered early, it may not be readable yet; a durable append queued after it is
        // committed no earlier, so once that returns, it is.
        try await j.append(JournalBatch(execution: record("v2", definition: def), expectedVersion: nil))
        #expect(try await j.execution(arn: "v1")?.lastEventId == 1)
        #expect(try await j.history(arn: "v1") == b.events)
    }

    /// A detached append (a synchronous Express run's row) is taken by the SQLite journal and
    /// declined by the others, whose callers then append as usual. Taken, it commits no later
    /// than a durable append queued after it; one that fails (its name is taken) is dropped,
    /// leaving the row it clashed with and its neighbours as they were.
    @Test(arguments: Backend.allCases)
    func aDetachedAppendIsWrittenBeforeLaterWritesOrDeclined(_ backend: Backend) async throws {
        let j = try await backend.make()
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        var first = record("d1", definition: def, lastEventId: 1)
        first.status = .succeeded
        let taken = j.appendDetached(JournalBatch(execution: first, expectedVersion: nil))
        #expect(taken == (backend == .sqlite))
        guard taken else { return }
        var clash = first
        clash.status = .failed
        #expect(j.appendDetached(JournalBatch(execution: clash, expectedVersion: nil)))
        #expect(j.appendDetached(JournalBatch(execution: record("d2", definition: def, lastEventId: 1), expectedVersion: nil)))
        try await j.append(JournalBatch(execution: record("after", definition: def), expectedVersion: nil))
        #expect(try await j.execution(arn: "d1")?.status == .succeeded)
        #expect(try await j.execution(arn: "d2") != nil)
        #expect(try await j.execution(arn: "after") != nil)
    }
}

@Suite struct SQLiteJournalTests {
    /// The maximum-duration sweep's query: running runs started at or before a time, oldest first.
    @Test(arguments: Backend.allCases)
    func findsTheRunningExecutionsStartedBeforeATime(_ backend: Backend) async throws {
        let j = try await backend.make()
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        for (arn, start, status) in [("old", Int64(100), ExecutionStatus.running), ("older", 50, .running), ("done", 10, .succeeded),
                                     ("new", 5_000, .running)] {
            var r = record(arn, definition: def, lastEventId: 1)
            r.startMillis = start
            r.status = status
            var b = JournalBatch(execution: r, expectedVersion: nil)
            b.events = [event(1, "ExecutionStarted")]
            try await j.append(b)
        }
        #expect(try await j.runningExecutions(startedBy: 1_000, limit: 10) == ["older", "old"])
        #expect(try await j.runningExecutions(startedBy: 1_000, limit: 1) == ["older"])
        #expect(try await j.runningExecutions(startedBy: 10, limit: 10).isEmpty)
    }

    /// A step that fails part-way (its token is taken, after its row and events were written)
    /// leaves none of itself: each step of a group commit runs in a savepoint, except a step
    /// that writes its row alone (one statement, which undoes itself); the rows around it land.
    @Test(arguments: Backend.allCases.filter { $0 != .memory })
    func aStepThatFailsPartWayLeavesNothingAndItsNeighboursLand(_ backend: Backend) async throws {
        let j = try await backend.make()
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        var first = JournalBatch(execution: record("p1", definition: def, lastEventId: 1), expectedVersion: nil)
        first.events = [event(1, "ExecutionStarted")]
        first.tokenAdds = [TaskTokenRecord(token: "taken", executionArn: "p1", taskId: 0)]
        try await j.append(first)
        var clash = JournalBatch(execution: record("p2", definition: def, lastEventId: 2), expectedVersion: nil)
        clash.events = [event(1, "ExecutionStarted"), event(2)]
        clash.tokenAdds = [TaskTokenRecord(token: "taken", executionArn: "p2", taskId: 0)]
        #expect(!clash.writesTheRowAlone)
        let rowAlone = JournalBatch(execution: record("p3", definition: def, lastEventId: 1), expectedVersion: nil)
        #expect(rowAlone.writesTheRowAlone)
        // Together, so that they can share a group commit.
        async let failed: Result<Void, any Error> = { () async -> Result<Void, any Error> in
            do { try await j.append(clash) } catch { return .failure(error) }
            return .success(())
        }()
        async let landed: Void = j.appendVisible(rowAlone)
        let outcome = await failed
        try await landed
        #expect(throws: JournalError.self) { try outcome.get() }
        #expect(try await j.execution(arn: "p2") == nil)
        #expect(try await j.history(arn: "p2").isEmpty)
        #expect(try await j.token("taken")?.executionArn == "p1")
        #expect(try await j.execution(arn: "p3") != nil)
        await #expect(throws: JournalError.self) { try await j.appendVisible(rowAlone) }
        #expect(try await j.execution(arn: "p3")?.lastEventId == 1)
    }

    /// A detached append does not wake a writer holding a group open, but it does wake an idle
    /// one: alone, it is committed without any other write. A closed journal declines it.
    @Test func aDetachedAppendAloneWakesTheIdleWriter() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("baton-detached-\(UUID().uuidString)").path
        let j = try SQLiteJournal(directory: dir)
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        #expect(j.appendDetached(JournalBatch(execution: record("alone", definition: def, lastEventId: 1), expectedVersion: nil)))
        // Polled, not slept on: nothing else is written, so only the writer's wake-up commits it.
        let clock = ContinuousClock(), giveUp = clock.now + .seconds(30)
        var seen = false
        while clock.now < giveUp, !seen {
            seen = try await j.execution(arn: "alone") != nil
            await Task.yield()
        }
        #expect(seen)
        j.close()
        #expect(!j.appendDetached(JournalBatch(execution: record("late", definition: def, lastEventId: 1), expectedVersion: nil)))
    }

    /// A visible append does not start a commit of its own; with no other write to join, its
    /// open transaction still commits once the lazy window passes, and readers then see it.
    @Test func visibleAppendsAloneAreCommittedAfterTheWindow() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("baton-lazy-\(UUID().uuidString)").path
        let j = try SQLiteJournal(directory: dir)
        defer { j.close() }
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        for name in ["a", "b", "c"] {
            var b = JournalBatch(execution: record(name, definition: def, lastEventId: 1), expectedVersion: nil)
            b.events = [event(1, "ExecutionStarted")]
            try await j.appendVisible(b)
        }
        // Polled, not slept on: the window is wall-clock time on the writer thread.
        let clock = ContinuousClock(), giveUp = clock.now + .seconds(30)
        var seen: [String] = []
        while clock.now < giveUp {
            seen = try await ["a", "b", "c"].asyncCompactMap { try await j.execution(arn: $0)?.arn }
            if seen.count == 3 { break }
            await Task.yield()
        }
        #expect(seen == ["a", "b", "c"])
        #expect(try await j.history(arn: "c").map(\.type) == ["ExecutionStarted"])
    }

    @Test func walFullSynchronousAndInMemorySubJournalsAreReallySet() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("baton-wal-\(UUID().uuidString)").path
        let j = try SQLiteJournal(directory: dir)
        #expect(try j.pragma("journal_mode") == "wal")
        // 2 is FULL: the default must survive enabling WAL.
        #expect(j.writerSynchronous == "2")
        // 2 is MEMORY: a group commit's savepoints never write a temporary file.
        #expect(j.writerTempStore == "2")
        let n = try SQLiteJournal(directory: dir + "-normal", synchronous: .normal)
        #expect(n.writerSynchronous == "1")
        // Every migration ran.
        #expect(try j.schemaVersion() == Migrations.latestVersion && Migrations.latestVersion >= 9)
    }

    @Test func dataSurvivesReopening() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("baton-reopen-\(UUID().uuidString)").path
        do {
            let j = try SQLiteJournal(directory: dir)
            let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{\"x\":1}")
            var b = JournalBatch(execution: record("r1", definition: def, lastEventId: 1), expectedVersion: nil)
            b.events = [event(1, "ExecutionStarted", details: ["input": ["big": .bigNumber("12345678901234567890"), "d": 1.0]])]
            try await j.append(b)
            j.close()
        }
        let again = try SQLiteJournal(directory: dir)
        #expect(try await again.execution(arn: "r1")?.lastEventId == 1)
        let h = try await again.history(arn: "r1")
        #expect(h.first?.details["input"]?["d"] == .double(1.0))
        #expect(h.first?.details["input"]?.serialized == #"{"big":12345678901234567890,"d":1.0}"#)
    }
}

extension Sequence {
    fileprivate func asyncCompactMap<T>(_ transform: (Element) async throws -> T?) async rethrows -> [T] {
        var out: [T] = []
        for e in self { if let t = try await transform(e) { out.append(t) } }
        return out
    }
}
