import Foundation
import Engine
import Journal
import StatesInterpreter
import StatesLanguage
import Testing

let smArn = "arn:aws:states:us-east-1:000000000000:stateMachine:test"

/// An engine on a manual clock, its service loop running for the test's duration.
func withEngine(journal: (any JournalStore)? = nil, registry: TaskRegistry = TaskRegistry(), clock: ManualEngineClock = ManualEngineClock(),
                _ body: (Engine, ManualEngineClock) async throws -> Void) async throws {
    let engine = Engine(journal: journal ?? InMemoryJournal(), clock: clock, registry: registry, partitions: 4)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await engine.run() }
        try await body(engine, clock)
        await engine.settle()
        engine.shutdown()
        group.cancelAll()
    }
}

func start(_ engine: Engine, _ definition: String, input: String = "{}", name: String = UUID().uuidString) async throws -> String {
    let id = try await engine.saveDefinition(stateMachineArn: smArn, definition: definition)
    return try await engine.startExecution(stateMachineArn: smArn, definitionId: id, name: name, input: input).arn
}

/// A valid AWS history: ids 1…n in order, one ExecutionStarted first, exactly one terminal event last.
func checkHistory(_ events: [HistoryEvent]) {
    #expect(events.map(\.id) == Array(1...max(1, events.count)))
    #expect(events.first?.type == "ExecutionStarted")
    let terminals = events.filter { ["ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"].contains($0.type) }
    #expect(terminals.count == 1)
    #expect(terminals.first?.id == events.last?.id)
}

/// An engine with one execution parked on a `.waitForTaskToken` task, and that task's token.
func withParkedCallback(journal: (any JournalStore)? = nil, _ body: (Engine, String, String) async throws -> Void) async throws {
    let tokens = Tokens()
    var registry = TaskRegistry()
    registry.register("arn:aws:states:::test:callback", ClosureTaskHandler { inv in
        await tokens.add(inv.taskToken ?? "")
        return .pending
    })
    try await withEngine(journal: journal, registry: registry) { engine, _ in
        let arn = try await start(engine, """
            {"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::test:callback.waitForTaskToken","End":true}}}
            """)
        await engine.settle()
        try await body(engine, arn, try #require(await tokens.all.first))
    }
}

@Suite struct EngineTests {
    @Test func passChainFinishesInItsFirstStep() async throws {
        try await withEngine { engine, _ in
            let arn = try await start(engine, #"{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"Next":"B"},"B":{"Type":"Pass","End":true}}}"#)
            let r = try await engine.describe(arn)
            #expect(r.status == .succeeded && r.output == "1")
            checkHistory(try await engine.history(arn))
        }
    }

    /// AWS keeps a closed execution's history 90 days: the sweep deletes what is older,
    /// and never a running execution, however old.
    @Test func theRetentionSweepDeletesOnlyOldFinishedRuns() async throws {
        try await withEngine { engine, clock in
            let old = try await start(engine, #"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#)
            let waiting = try await start(engine, #"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":31536000,"End":true}}}"#)
            clock.advance(seconds: 60 * 86_400)
            let recent = try await start(engine, #"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#)
            #expect(await engine.sweepHistory(retentionDays: 90) == 0)
            clock.advance(seconds: 31 * 86_400)
            #expect(await engine.sweepHistory(retentionDays: 90, pageSize: 1) == 1)
            await #expect(throws: EngineError.self) { try await engine.describe(old) }
            #expect(try await engine.describe(waiting).status == .running)
            #expect(try await engine.describe(recent).status == .succeeded)
            #expect(try await engine.history(recent).count > 0)
        }
    }

    @Test func waitIsADurableTimer() async throws {
        let journal = InMemoryJournal()
        try await withEngine(journal: journal) { engine, clock in
            let arn = try await start(engine, #"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}"#)
            // The Wait's deadline is a durable row (and the only one: the one-year limit is a sweep).
            #expect(try await journal.timers().map(\.dueMillis) == [clock.now().adding(seconds: 60).milliseconds])
            clock.advance(seconds: 59)
            await engine.fireDueTimers()
            #expect(try await engine.describe(arn).status == .running)
            clock.advance(seconds: 1)
            await engine.fireDueTimers()
            #expect(try await engine.describe(arn).status == .succeeded)
            #expect(try await journal.timers().isEmpty)
            checkHistory(try await engine.history(arn))
        }
    }

    /// AWS's one-year limit on a Standard run with no TimeoutSeconds: no timer row per run,
    /// the engine's sweep times it out; a run with its own TimeoutSeconds keeps its timer.
    @Test func aRunOlderThanTheMaximumDurationIsTimedOutBySweep() async throws {
        let journal = InMemoryJournal()
        try await withEngine(journal: journal) { engine, clock in
            let parked = try await start(engine, #"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":99999999,"End":true}}}"#)
            let young = try await start(engine, #"{"TimeoutSeconds":30,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}"#)
            #expect(try await journal.timers().filter { $0.executionArn == parked }.count == 1, "the Wait's timer only")
            #expect(try await journal.timers().filter { $0.executionArn == young }.count == 2, "the Wait's and the run's own timeout")
            clock.advance(seconds: 364 * 24 * 3600)
            await engine.timeOutOverdueExecutions()
            #expect(try await engine.describe(parked).status == .running)
            clock.advance(seconds: 2 * 24 * 3600)
            await engine.timeOutOverdueExecutions()
            let r = try await engine.describe(parked)
            #expect(r.status == .timedOut && r.error == "States.Timeout")
            checkHistory(try await engine.history(parked))
            #expect(try await engine.history(parked).last?.type == "ExecutionTimedOut")
        }
    }

    @Test func tasksRetryWithBackoffOnTheClock() async throws {
        let calls = Counter()
        var registry = TaskRegistry()
        registry.register("arn:aws:states:::test:flaky", ClosureTaskHandler { inv in
            let n = await calls.next()
            return n < 3 ? .failed(StatesError("Flaky", "attempt \(n)")) : .succeeded(["attempt": .int(Int64(n))])
        })
        try await withEngine(registry: registry) { engine, clock in
            let arn = try await start(engine, """
                {"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::test:flaky",
                 "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":2,"BackoffRate":2,"MaxAttempts":5}],"End":true}}}
                """)
            await engine.settle()
            #expect(await calls.value == 1)
            clock.advance(seconds: 2)
            await engine.fireDueTimers()
            await engine.settle()
            #expect(await calls.value == 2)
            clock.advance(seconds: 4)
            await engine.fireDueTimers()
            await engine.settle()
            let r = try await engine.describe(arn)
            #expect(r.status == .succeeded && r.output == #"{"attempt":3}"#)
            let h = try await engine.history(arn)
            checkHistory(h)
            #expect(h.filter { $0.type == "TaskScheduled" }.count == 3)
            #expect(h.filter { $0.type == "TaskStarted" }.count == 3)
        }
    }

    @Test func taskTokensResumeAndThenClose() async throws {
        let tokens = Tokens()
        var registry = TaskRegistry()
        registry.register("arn:aws:states:::test:callback", ClosureTaskHandler { inv in
            await tokens.add(inv.parameters["token"]?.stringValue ?? "")
            return .pending
        })
        try await withEngine(registry: registry) { engine, _ in
            let arn = try await start(engine, """
                {"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::test:callback.waitForTaskToken",
                 "Parameters":{"token.$":"$$.Task.Token"},"HeartbeatSeconds":30,"End":true}}}
                """)
            await engine.settle()
            let token = try #require(await tokens.all.first)
            #expect(token.count >= 22)
            await #expect(throws: EngineError.invalidToken()) { try await engine.sendTaskSuccess(token: "not a token!", output: "{}") }
            try await engine.sendTaskHeartbeat(token: token)
            try await engine.sendTaskSuccess(token: token, output: #"{"ok":true}"#)
            #expect(try await engine.describe(arn).output == #"{"ok":true}"#)
            await #expect(throws: EngineError.taskTimedOut()) { try await engine.sendTaskSuccess(token: token, output: "{}") }
            checkHistory(try await engine.history(arn))
        }
    }

    /// A token names its execution and task, so a callback goes straight to the execution;
    /// the execution accepts only the token its open task holds. A forged token (the right
    /// execution and task, another secret), one naming another task or an execution that does
    /// not exist are answered TaskTimedOut and change nothing.
    @Test func forgedTokensChangeNothing() async throws {
        try await withParkedCallback { engine, arn, token in
            let named = try #require(TaskToken(token))
            #expect(named.executionArn == arn)
            let before = try await engine.history(arn).count
            let forged = [
                TaskToken.make(secret: Array(repeating: 0, count: 24), task: named.taskId, executionArn: arn),
                TaskToken.make(secret: Array(repeating: 0, count: 24), task: TaskID(named.taskId.rawValue + 1), executionArn: arn),
                TaskToken.make(secret: Array(repeating: 0, count: 24), task: named.taskId, executionArn: arn + "-other"),
            ]
            for f in forged {
                await #expect(throws: EngineError.taskTimedOut()) { try await engine.sendTaskSuccess(token: f, output: "{}") }
                await #expect(throws: EngineError.taskTimedOut()) { try await engine.sendTaskFailure(token: f, error: "E", cause: nil) }
                await #expect(throws: EngineError.taskTimedOut()) { try await engine.sendTaskHeartbeat(token: f) }
            }
            #expect(try await engine.history(arn).count == before)
            #expect(try await engine.describe(arn).status == .running)
            try await engine.sendTaskFailure(token: token, error: "Declined", cause: "by the test")
            let r = try await engine.describe(arn)
            #expect(r.status == .failed && r.error == "Declined")
            await #expect(throws: EngineError.taskTimedOut()) { try await engine.sendTaskHeartbeat(token: token) }
            checkHistory(try await engine.history(arn))
        }
    }

    @Test func heartbeatTimeoutEndsAForgottenTask() async throws {
        var registry = TaskRegistry()
        registry.register("arn:aws:states:::test:callback", ClosureTaskHandler { _ in .pending })
        try await withEngine(registry: registry) { engine, clock in
            let arn = try await start(engine, """
                {"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::test:callback.waitForTaskToken",
                 "HeartbeatSeconds":10,"TimeoutSeconds":100,"End":true}}}
                """)
            await engine.settle()
            clock.advance(seconds: 10)
            await engine.fireDueTimers()
            let r = try await engine.describe(arn)
            #expect(r.status == .failed && r.error == "States.HeartbeatTimeout")
        }
    }

    @Test func stoppedExecutionsCloseTheirTokens() async throws {
        try await withParkedCallback { engine, arn, token in
            let stopped = try await engine.stopExecution(arn, error: "Cancelled", cause: "by the test")
            #expect(stopped.status == .aborted)
            await #expect(throws: EngineError.taskTimedOut()) { try await engine.sendTaskSuccess(token: token, output: "{}") }
            checkHistory(try await engine.history(arn))
        }
    }

    @Test func mapAndParallelRunTasksConcurrently() async throws {
        var registry = TaskRegistry()
        registry.register("arn:aws:states:::test:double", ClosureTaskHandler { inv in
            .succeeded(.int((inv.parameters["n"]?.integerValue ?? 0) * 2))
        })
        try await withEngine(registry: registry) { engine, _ in
            let arn = try await start(engine, """
                {"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
                  {"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":3,"ItemsPath":"$.xs","ItemSelector":{"n.$":"$$.Map.Item.Value"},
                    "ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"arn:aws:states:::test:double","End":true}}},"End":true}}},
                  {"StartAt":"D2","States":{"D2":{"Type":"Task","Resource":"arn:aws:states:::test:double","Parameters":{"n":21},"End":true}}}
                ]}}}
                """, input: #"{"xs":[1,2,3,4,5,6,7]}"#)
            let r = try await engine.waitForCompletion(arn)
            #expect(r.output == "[[2,4,6,8,10,12,14],42]")
            checkHistory(try await engine.history(arn))
        }
    }

    @Test func activitiesAreFetchedByWorkers() async throws {
        try await withEngine { engine, _ in
            let activity = "arn:aws:states:us-east-1:000000000000:activity:approve"
            let arn = try await start(engine, """
                {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"\(activity)","Parameters":{"order":7},"End":true}}}
                """)
            let task = try #require(try await engine.getActivityTask(activityArn: activity, workerName: "w1", timeoutSeconds: 0))
            #expect(task.input == #"{"order":7}"#)
            #expect(try await engine.getActivityTask(activityArn: activity, workerName: "w2", timeoutSeconds: 0) == nil)
            try await engine.sendTaskSuccess(token: task.token, output: #""approved""#)
            let h = try await engine.history(arn)
            #expect(h.map(\.type).contains("ActivityStarted"))
            #expect(try await engine.describe(arn).output == #""approved""#)
        }
    }

    /// A worker already waiting takes the task in the step that schedules it: ActivityScheduled
    /// and ActivityStarted (with its name) commit together, one commit before the answer.
    @Test func aWaitingWorkerIsStartedInTheSchedulingStep() async throws {
        let journal = InMemoryJournal()
        try await withEngine(journal: journal) { engine, _ in
            let activity = "arn:aws:states:us-east-1:000000000000:activity:approve"
            async let polled = engine.getActivityTask(activityArn: activity, workerName: "early", timeoutSeconds: 60)
            while await engine.activityWorkersWaiting(activity) == 0 { await Task.yield() }
            let arn = try await start(engine, """
                {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"\(activity)","Parameters":{"order":7},"End":true}}}
                """)
            let task = try #require(try await polled)
            #expect(task.input == #"{"order":7}"#)
            #expect(await journal.appends(of: arn) == 1)
            let h = try await engine.history(arn)
            #expect(h.map(\.type) == ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted"])
            #expect(h.last?.details["workerName"]?.stringValue == "early")
            #expect(await engine.activityTasksHandedOut() == 1)
            try await engine.sendTaskSuccess(token: task.token, output: #""approved""#)
            #expect(try await engine.describe(arn).output == #""approved""#)
            #expect(await journal.appends(of: arn) == 2)
            // The task ended: the node no longer keeps its claim.
            #expect(await engine.activityTasksHandedOut() == 0)
            checkHistory(try await engine.history(arn))
        }
    }

    /// A step that reserved a waiting worker and then failed to commit lets the worker go: it
    /// keeps polling and takes the next task. (Were it kept, the test would wait forever: the
    /// time limit turns that into a failure.)
    @Test(.timeLimit(.minutes(1))) func aReservedWorkerOfAStepThatFailedPollsOn() async throws {
        let journal = InMemoryJournal()
        try await withEngine(journal: journal) { engine, _ in
            let activity = "arn:aws:states:us-east-1:000000000000:activity:approve"
            async let polled = engine.getActivityTask(activityArn: activity, workerName: "patient", timeoutSeconds: 60)
            while await engine.activityWorkersWaiting(activity) == 0 { await Task.yield() }
            let def = try await engine.saveDefinition(stateMachineArn: smArn, definition: """
                {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"\(activity)","End":true}}}
                """)
            await journal.failNextAppend { _ in true }
            await #expect(throws: EngineError.self) {
                _ = try await engine.startExecution(stateMachineArn: smArn, definitionId: def, name: "lost", input: #"{"n":1}"#)
            }
            while await engine.activityWorkersWaiting(activity) == 0 { await Task.yield() }
            _ = try await engine.startExecution(stateMachineArn: smArn, definitionId: def, name: "kept", input: #"{"n":2}"#)
            let task = try #require(try await polled)
            #expect(task.input == #"{"n":2}"#)
        }
    }

    /// More tasks than the board keeps in memory (1,000 per activity): the rest wait in the
    /// journal, and workers still get every task, each once.
    @Test func tasksBeyondTheBoardsLimitComeFromTheJournal() async throws {
        try await withEngine { engine, _ in
            let activity = "arn:aws:states:us-east-1:000000000000:activity:bulk"
            let def = try await engine.saveDefinition(stateMachineArn: smArn, definition: """
                {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"\(activity)","End":true}}}
                """)
            let total = 1_050
            for i in 0..<total { _ = try await engine.startExecution(stateMachineArn: smArn, definitionId: def, name: "b\(i)", input: "{\"i\":\(i)}") }
            var seen = Set<String>()
            while let task = try await engine.getActivityTask(activityArn: activity, workerName: "w", timeoutSeconds: 0) {
                #expect(seen.insert(task.input).inserted, "handed out twice: \(task.input)")
            }
            #expect(seen.count == total)
        }
    }

    @Test func duplicateNamesAreRefused() async throws {
        try await withEngine { engine, _ in
            let def = try await engine.saveDefinition(stateMachineArn: smArn, definition: #"{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}"#)
            _ = try await engine.startExecution(stateMachineArn: smArn, definitionId: def, name: "same", input: "{}")
            await #expect(throws: EngineError.self) {
                _ = try await engine.startExecution(stateMachineArn: smArn, definitionId: def, name: "same", input: "{}")
            }
            await #expect(throws: EngineError.self) {
                _ = try await engine.startExecution(stateMachineArn: smArn, definitionId: def, name: "bad-input", input: "{nope")
            }
        }
    }
}

actor Counter {
    var value = 0
    func next() -> Int {
        value += 1
        return value
    }
}

actor Tokens {
    var all: [String] = []
    private var waiters: [CheckedContinuation<String, Never>] = []

    func add(_ t: String) {
        all.append(t)
        for w in waiters { w.resume(returning: t) }
        waiters.removeAll()
    }

    /// The first token, waiting for it if none came yet.
    func first() async -> String {
        if let t = all.first { return t }
        return await withCheckedContinuation { waiters.append($0) }
    }
}

@Suite struct ExpressTests {
    @Test func expressRunsInMemoryAndJournalsOnlyStartAndEnd() async throws {
        let journal = InMemoryJournal()
        var registry = TaskRegistry()
        registry.register("arn:aws:states:::test:double", ClosureTaskHandler { inv in .succeeded(.int((inv.parameters["n"]?.integerValue ?? 0) * 2)) })
        try await withEngine(journal: journal, registry: registry) { engine, _ in
            let def = try await engine.saveDefinition(stateMachineArn: smArn, definition: """
                {"StartAt":"M","States":{"M":{"Type":"Map","ItemSelector":{"n.$":"$$.Map.Item.Value"},
                 "ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"arn:aws:states:::test:double","End":true}}},"End":true}}}
                """)
            let r = try await engine.runExpressExecution(stateMachineArn: smArn, definitionId: def, name: "x1", input: "[1,2,3]")
            #expect(r.status == .succeeded && r.output == "[2,4,6]")
            #expect(await journal.history(arn: r.arn).isEmpty)
            #expect(await journal.execution(arn: r.arn)?.status == .succeeded)
        }
    }

    /// An Express run of a definition that waits on a callback or an activity is refused, as
    /// AWS refuses it, whether the definition's first state or a later one waits.
    @Test(arguments: [
        #"{"StartAt":"W","States":{"W":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"MessageBody.$":"$$.Task.Token","QueueUrl":"q"},"End":true}}}"#,
        #"{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"A"},"A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:000000000000:activity:work","End":true}}}"#,
    ])
    func expressRefusesCallbacksAndActivities(_ definition: String) async throws {
        try await withEngine { engine, _ in
            let def = try await engine.saveDefinition(stateMachineArn: smArn, definition: definition)
            await #expect(throws: EngineError("InvalidDefinition", "Express executions do not support .waitForTaskToken or activities.")) {
                _ = try await engine.runExpressExecution(stateMachineArn: smArn, definitionId: def, name: "cb", input: "{}")
            }
            let plain = try await engine.saveDefinition(stateMachineArn: smArn, definition: #"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#)
            #expect(try await engine.runExpressExecution(stateMachineArn: smArn, definitionId: plain, name: "ok", input: "{}").status == .succeeded)
        }
    }

    /// The history-event limit is Standard's: an Express Map larger than it still succeeds
    /// (a small limit here stands for AWS's 25,000).
    @Test func expressHasNoHistoryEventLimit() async throws {
        var limits = Engine.Limits()
        limits.maximumHistoryEvents = 50
        let engine = Engine(journal: InMemoryJournal(), clock: ManualEngineClock(), registry: TaskRegistry(), partitions: 2, limits: limits)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await engine.run() }
            let def = try await engine.saveDefinition(stateMachineArn: smArn, definition: #"""
                {"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}
                """#)
            let items = "[" + (0..<100).map(String.init).joined(separator: ",") + "]"
            let express = try await engine.runExpressExecution(stateMachineArn: smArn, definitionId: def, name: "big", input: items)
            #expect(express.status == .succeeded, "\(express.cause ?? "")")
            let standard = try await engine.startExecution(stateMachineArn: smArn, definitionId: def, name: "big-standard", input: items)
            await engine.settle()
            let r = try await engine.describe(standard.arn)
            #expect(r.status == .failed && r.cause?.contains("maximum number of history events") == true)
            engine.shutdown()
            group.cancelAll()
        }
    }
}

@Suite struct RedriveTests {
    @Test func aFailedExecutionRedrivesFromTheFailedState() async throws {
        let calls = Counter()
        var registry = TaskRegistry()
        registry.register("arn:aws:states:::test:once", ClosureTaskHandler { inv in
            await calls.next() == 1 ? .failed(StatesError("Broken", "first call")) : .succeeded(inv.parameters)
        })
        try await withEngine(registry: registry) { engine, _ in
            let arn = try await start(engine, """
                {"StartAt":"First","States":{"First":{"Type":"Pass","Result":{"k":1},"Next":"Call"},
                 "Call":{"Type":"Task","Resource":"arn:aws:states:::test:once","Next":"Last"},
                 "Last":{"Type":"Pass","End":true}}}
                """)
            var r = try await engine.waitForCompletion(arn)
            #expect(r.status == .failed && r.error == "Broken")
            _ = try await engine.redriveExecution(arn, roleArn: "arn:aws:iam::000000000000:role/x")
            r = try await engine.waitForCompletion(arn)
            #expect(r.status == .succeeded && r.output == #"{"k":1}"#)
            let h = try await engine.history(arn)
            #expect(h.map(\.id) == Array(1...h.count))
            let types = h.map(\.type)
            let failed = try #require(types.firstIndex(of: "ExecutionFailed"))
            #expect(types[failed + 1] == "ExecutionRedriven")
            #expect(types[failed + 2] == "TaskStateEntered")
            #expect(types.last == "ExecutionSucceeded")
            #expect(h.filter { $0.type == "PassStateEntered" && $0.details["name"] == "First" }.count == 1)
            await #expect(throws: EngineError.self) { _ = try await engine.redriveExecution(arn, roleArn: "r") }
        }
    }
}

@Suite struct AsyncExpressTests {
    @Test func asynchronousExpressRunsInTheServiceGroup() async throws {
        let journal = InMemoryJournal()
        try await withEngine(journal: journal) { engine, clock in
            let def = try await engine.saveDefinition(stateMachineArn: smArn, definition: """
                {"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"Next":"P"},"P":{"Type":"Pass","Result":1,"End":true}}}
                """)
            let started = try await engine.startExpressExecution(stateMachineArn: smArn, definitionId: def, name: "ax", input: "{}")
            #expect(started.status == .running)
            #expect(await journal.execution(arn: started.arn)?.status == .running)
            clock.advance(seconds: 5)
            await engine.settle()
            #expect(await journal.execution(arn: started.arn)?.status == .succeeded)
        }
    }
}

/// StartSyncExecution writes a short run's row once (start and end in one commit); a run that
/// lasts past `Engine.expressStartDelayMillis` has its start written then, as a running row.
@Suite struct SyncExpressJournalTests {
    @Test func aShortSyncRunIsOneCommit() async throws {
        let journal = InMemoryJournal()
        try await withEngine(journal: journal) { engine, _ in
            let def = try await engine.saveDefinition(stateMachineArn: smArn, definition: #"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#)
            let r = try await engine.runExpressExecution(stateMachineArn: smArn, definitionId: def, name: "short", input: #"{"k":1}"#)
            #expect(r.status == .succeeded && r.output == #"{"k":1}"#)
            #expect(await journal.appends(of: r.arn) == 1)
            #expect(await journal.execution(arn: r.arn)?.status == .succeeded)
            // StartSyncExecution has no ExecutionAlreadyExists: a name used before runs again and
            // is answered; the row already there stays.
            let again = try await engine.runExpressExecution(stateMachineArn: smArn, definitionId: def, name: "short", input: #"{"k":2}"#)
            #expect(again.status == .succeeded && again.output == #"{"k":2}"#)
            #expect(await journal.execution(arn: r.arn)?.output == #"{"k":1}"#)
        }
    }

    /// AWS's limit for an Express run: five minutes, then it times out (States.Timeout), one of
    /// the three statuses StartSyncExecution answers (SUCCEEDED, FAILED, TIMED_OUT).
    @Test func aSyncRunPastFiveMinutesTimesOut() async throws {
        let journal = InMemoryJournal()
        try await withEngine(journal: journal) { engine, clock in
            let def = try await engine.saveDefinition(stateMachineArn: smArn, definition: #"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":400,"End":true}}}"#)
            async let run = engine.runExpressExecution(stateMachineArn: smArn, definitionId: def, name: "slow", input: "{}")
            while clock.sleeperCount < 3 { await Task.yield() }
            clock.advance(seconds: 299)
            clock.advance(seconds: 1)
            let r = try await run
            #expect(r.status == .timedOut)
            #expect(r.error == "States.Timeout")
            // The Wait never ended: the run's last event is the timeout.
            #expect(r.stopMillis == r.startMillis + 300_000)
        }
    }

    @Test func aLongSyncRunJournalsItsStartAfterTheDelay() async throws {
        let journal = InMemoryJournal()
        try await withEngine(journal: journal) { engine, clock in
            let def = try await engine.saveDefinition(stateMachineArn: smArn, definition: #"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}}"#)
            let arn = Engine.executionArn(stateMachineArn: smArn, name: "long", kind: "express")
            async let run = engine.runExpressExecution(stateMachineArn: smArn, definitionId: def, name: "long", input: "{}")
            // Parked: the five-minute limit, the start's delay and the Wait's timer.
            while clock.sleeperCount < 3 { await Task.yield() }
            #expect(await journal.execution(arn: arn) == nil)
            clock.advance(seconds: 1)
            var row = await journal.execution(arn: arn)
            while row == nil { await Task.yield(); row = await journal.execution(arn: arn) }
            #expect(row?.status == .running)
            clock.advance(seconds: 10)
            let r = try await run
            #expect(r.status == .succeeded)
            #expect(await journal.appends(of: arn) == 2)
            #expect(await journal.execution(arn: arn)?.status == .succeeded)
        }
    }
}
