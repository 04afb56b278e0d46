import StatesInterpreter
import StatesLanguage
import Testing

/// Per state type, asserting on the interpreter's decisions: events and effects as values.
@Suite struct StateTests {
    static let start = Timestamp(seconds: 1_700_000_000)

    static func interpreter(_ definition: JSON) throws -> Interpreter {
        Interpreter(machine: try StateMachine.parse(definition.serialized))
    }

    static func begin(_ interpreter: Interpreter, input: JSON = [:]) -> (ExecutionState, Decision) {
        var state = ExecutionState(context: .local(at: start), input: input, seed: 1)
        let d = interpreter.decide(&state, on: Trigger(.start(input: input, context: .local(at: start), randomSeed: 1), at: start))
        return (state, d)
    }

    @Test func passEmitsEnteredExitedAndSucceeds() throws {
        let i = try Self.interpreter(["StartAt": "P", "States": ["P": ["Type": "Pass", "Result": ["r": 1], "ResultPath": "$.x", "End": true]]])
        let (state, d) = Self.begin(i, input: ["a": 1])
        #expect(d.events.map(\.type) == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"])
        #expect(d.events.map(\.id) == [1, 2, 3, 4])
        #expect(d.events.map(\.previousEventId) == [0, 0, 2, 3])
        #expect(d.effects == [.executionFinished(.succeeded)])
        #expect(state.output == ["a": 1, "x": ["r": 1]])
    }

    @Test func waitStartsATimerAndExitsWhenItFires() throws {
        let i = try Self.interpreter(["StartAt": "W", "States": ["W": ["Type": "Wait", "Seconds": 30, "End": true]]])
        var (state, d) = Self.begin(i)
        guard case .startTimer(let timer, let due)? = d.effects.first else { Issue.record("no timer: \(d.effects)"); return }
        #expect(due == Self.start.adding(seconds: 30))
        #expect(state.status == .running)
        d = i.decide(&state, on: Trigger(.timerFired(timer), at: due))
        #expect(d.events.map(\.type) == ["WaitStateExited", "ExecutionSucceeded"])
        #expect(d.events[0].timestamp == due)
    }

    /// A wait already due (0 seconds, a timestamp in the past, in JSONPath and JSONata) ends
    /// in the step that entered it: the same events, no timer to write, fire and delete.
    @Test(arguments: [
        ["Type": "Wait", "Seconds": 0, "Next": "P"] as JSON,
        ["Type": "Wait", "Timestamp": "2001-01-01T00:00:00Z", "Next": "P"],
        ["Type": "Wait", "QueryLanguage": "JSONata", "Seconds": "{% 0 %}", "Next": "P"],
    ])
    func aWaitAlreadyDueEndsInTheSameStep(_ wait: JSON) throws {
        let i = try Self.interpreter(["StartAt": "W", "States": ["W": wait, "P": ["Type": "Pass", "End": true]]])
        let (state, d) = Self.begin(i, input: ["a": 1])
        #expect(d.effects == [.executionFinished(.succeeded)], "no timer")
        #expect(d.events.map(\.type) == ["ExecutionStarted", "WaitStateEntered", "WaitStateExited", "PassStateEntered", "PassStateExited",
                                         "ExecutionSucceeded"])
        #expect(state.status == .succeeded && state.output == ["a": 1])
    }

    @Test func waitTimestampPathUsesTheInput() throws {
        let i = try Self.interpreter(["StartAt": "W", "States": ["W": ["Type": "Wait", "TimestampPath": "$.at", "End": true]]])
        let (_, d) = Self.begin(i, input: ["at": "2030-01-01T00:00:00Z"])
        #expect(d.effects.first == .startTimer(TimerID(0), dueAt: Timestamp(iso8601: "2030-01-01T00:00:00Z")!))
    }

    @Test func taskInvokesThenSucceeds() throws {
        let i = try Self.interpreter(["StartAt": "T", "States": ["T": [
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": ["n.$": "$.n"], "End": true]]])
        var (state, d) = Self.begin(i, input: ["n": 5])
        guard case .invokeTask(let inv)? = d.effects.first else { Issue.record("no invoke: \(d.effects)"); return }
        #expect(inv.parameters == ["n": 5])
        #expect(inv.resource == "arn:aws:states:::lambda:invoke")
        #expect(d.events.last?.type == "TaskScheduled")
        #expect(d.events.last?.details["resourceType"] == "lambda")
        d = i.decide(&state, on: Trigger(.taskStarted(inv.id), at: Self.start))
        #expect(d.events.map(\.type) == ["TaskStarted"])
        d = i.decide(&state, on: Trigger(.taskSucceeded(inv.id, output: ["ok": true]), at: Self.start))
        #expect(d.events.map(\.type) == ["TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"])
        #expect(state.output == ["ok": true])
        // A late duplicate answer changes nothing.
        d = i.decide(&state, on: Trigger(.taskSucceeded(inv.id, output: ["again": true]), at: Self.start))
        #expect(d.events.isEmpty && state.output == ["ok": true])
    }

    @Test func taskTimeoutFailsWithStatesTimeout() throws {
        let i = try Self.interpreter(["StartAt": "T", "States": ["T": [
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 10, "End": true]]])
        var (state, d) = Self.begin(i)
        let timers = d.effects.compactMap { e -> (TimerID, Timestamp)? in if case .startTimer(let t, let due) = e { return (t, due) }; return nil }
        #expect(timers.count == 1 && timers[0].1 == Self.start.adding(seconds: 10))
        d = i.decide(&state, on: Trigger(.timerFired(timers[0].0), at: timers[0].1))
        #expect(d.events.map(\.type) == ["TaskTimedOut", "ExecutionFailed"])
        #expect(state.failure?.error == "States.Timeout")
    }

    @Test func heartbeatMovesTheDeadline() throws {
        let i = try Self.interpreter(["StartAt": "T", "States": ["T": [
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "HeartbeatSeconds": 5, "End": true]]])
        var (state, d) = Self.begin(i)
        guard case .invokeTask(let inv)? = d.effects.first(where: { if case .invokeTask = $0 { return true }; return false }) else {
            Issue.record("no invoke"); return
        }
        let token = try #require(inv.taskToken)
        #expect(token.count >= 22 && !token.contains("+") && !token.contains("/") && !token.contains("="))
        d = i.decide(&state, on: Trigger(.taskHeartbeat(inv.id), at: Self.start.adding(seconds: 4)))
        guard case .startTimer(let t, let due)? = d.effects.last else { Issue.record("no new timer: \(d.effects)"); return }
        #expect(due == Self.start.adding(seconds: 9))
        d = i.decide(&state, on: Trigger(.timerFired(t), at: due))
        #expect(state.failure?.error == "States.HeartbeatTimeout")
    }

    /// A token never begins with "-", which the aws CLI would read as an option: its first byte
    /// is the format's version, so it begins with "A" whatever the entropy; and it names its
    /// execution and task, behind a secret that changes with the entropy.
    @Test func taskTokensNameTheirTaskBehindASecret() throws {
        let i = try Self.interpreter(["StartAt": "T", "States": ["T": [
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": true]]])
        var tokens: Set<String> = []
        for n in 0..<64 {
            var state = ExecutionState(context: .local(at: Self.start), input: [:], seed: 1)
            let entropy = (0..<16).map { UInt8(truncatingIfNeeded: n &* 31 &+ $0 &* 7) }
            let d = i.decide(&state, on: Trigger(.start(input: [:], context: .local(at: Self.start), randomSeed: 1), at: Self.start, entropy: entropy))
            for case .invokeTask(let inv) in d.effects {
                let token = try #require(inv.taskToken)
                #expect(token.first == "A")
                #expect(token.utf8.allSatisfy { $0.isBase64URL })
                let named = try #require(TaskToken(token))
                #expect(named.executionArn == state.context.executionArn && named.taskId == inv.id)
                #expect(state.token(of: inv.id) == token)
                tokens.insert(token)
            }
        }
        #expect(tokens.count == 64)
    }

    @Test(arguments: [
        "", "not a token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  // the earlier form: a secret alone
        TaskTokenFixtures.make(version: 2), TaskTokenFixtures.make(arn: "not-an-arn"), TaskTokenFixtures.make(arn: "arn:x") + "A",
    ])
    func tokensThatNameNoTask(_ token: String) {
        #expect(TaskToken(token) == nil)
    }

    @Test func tokenRoundTripsAnyTaskAndArn() throws {
        for (task, arn) in [(0, "arn:aws:states:us-east-1:123456789012:execution:m:e"), (1 << 40, "arn:aws:states:eu-west-1:1:execution:é-ü:" + String(repeating: "x", count: 80)),
                            (-1, "arn:a")] {
            let token = TaskToken.make(secret: Array(repeating: 7, count: 24), task: TaskID(task), executionArn: arn)
            let named = try #require(TaskToken(token))
            #expect(named.taskId == TaskID(task) && named.executionArn == arn)
        }
    }

    @Test func retryBacksOffAndCapsTheDelay() throws {
        let i = try Self.interpreter(["StartAt": "T", "States": ["T": [
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Retry": [["ErrorEquals": ["Boom"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 3, "MaxDelaySeconds": 10]],
            "End": true]]])
        var (state, d) = Self.begin(i)
        var delays: [Int64] = []
        var now = Self.start
        for _ in 0..<4 {
            guard case .invokeTask(let inv)? = d.effects.first(where: { if case .invokeTask = $0 { return true }; return false }) else { break }
            d = i.decide(&state, on: Trigger(.taskFailed(inv.id, StatesError("Boom", "bad")), at: now))
            guard case .startTimer(let t, let due)? = d.effects.last else { break }
            delays.append(due.milliseconds - now.milliseconds)
            now = due
            d = i.decide(&state, on: Trigger(.timerFired(t), at: due))
        }
        #expect(delays == [2000, 6000, 10000])
        #expect(state.status == .failed && state.failure?.error == "Boom")
    }

    @Test func catchRoutesWithTheErrorOutput() throws {
        let result = try run(["StartAt": "T", "States": [
            "T": ["Type": "Task", "Resource": "arn:aws:states:::test:fail",
                  "Catch": [["ErrorEquals": ["Other"], "Next": "Bad"], ["ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Done"]],
                  "End": true],
            "Bad": ["Type": "Fail", "Error": "Wrong"],
            "Done": ["Type": "Succeed"],
        ]], input: ["k": 1], handlers: ["arn:aws:states:::test:fail": { _ in .failed(StatesError("Custom", "it broke")) }])
        #expect(result.output == ["k": 1, "err": ["Error": "Custom", "Cause": "it broke"]])
    }

    @Test func statesAllDoesNotCatchRuntimeErrors() throws {
        let result = try run(["StartAt": "T", "States": [
            "T": ["Type": "Task", "Resource": "arn:aws:states:::test:echo", "ResultSelector": ["x.$": "$.missing"],
                  "Catch": [["ErrorEquals": ["States.ALL"], "Next": "Done"]], "End": true],
            "Done": ["Type": "Succeed"],
        ]], handlers: ["arn:aws:states:::test:echo": { _ in .succeeded([:]) }])
        #expect(result.error?.error == "States.Runtime")
    }

    @Test func failStateUsesPaths() throws {
        let result = try run(["StartAt": "F", "States": ["F": ["Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('because {}', $.c)"]]],
                             input: ["e": "E1", "c": "reasons"])
        #expect(result.error == StatesError("E1", "because reasons"))
    }

    @Test func succeedStateAppliesOutputPath() throws {
        let result = try run(["StartAt": "S", "States": ["S": ["Type": "Succeed", "OutputPath": "$.a"]]], input: ["a": [1]])
        #expect(result.output == [1])
    }

    @Test func parallelCollectsBranchOutputsInOrder() throws {
        let result = try run(["StartAt": "P", "States": ["P": ["Type": "Parallel", "End": true, "ResultSelector": ["all.$": "$"], "Branches": [
            ["StartAt": "A", "States": ["A": ["Type": "Wait", "Seconds": 5, "Next": "A2"], "A2": ["Type": "Pass", "Result": "a", "End": true]]],
            ["StartAt": "B", "States": ["B": ["Type": "Pass", "Result": "b", "End": true]]],
        ]]]])
        #expect(result.output == ["all": ["a", "b"]])
        #expect(result.events.contains { $0.type == "ParallelStateSucceeded" })
    }

    @Test func parallelBranchFailureFailsTheState() throws {
        let result = try run(["StartAt": "P", "States": ["P": ["Type": "Parallel", "End": true, "Branches": [
            ["StartAt": "A", "States": ["A": ["Type": "Wait", "Seconds": 5, "End": true]]],
            ["StartAt": "B", "States": ["B": ["Type": "Fail", "Error": "BranchBroke"]]],
        ]]]])
        #expect(result.error?.error == "BranchBroke")
        #expect(result.events.contains { $0.type == "ParallelStateFailed" })
    }

    /// As AWS records it: the state a failing branch was in, and every sibling's, is aborted;
    /// a Parallel whose Catch handles the failure exits without ParallelStateFailed.
    @Test func caughtParallelFailureAbortsTheBranchStates() throws {
        var runner = LocalRunner(machine: try StateMachine.parse(JSON.object([
            "StartAt": "P", "States": ["P": ["Type": "Parallel", "Next": "Done",
                "Catch": [["ErrorEquals": ["States.ALL"], "Next": "Done"]], "Branches": [
                ["StartAt": "A", "States": ["A": ["Type": "Wait", "Seconds": 5, "End": true]]],
                ["StartAt": "T", "States": ["T": ["Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true]]],
            ]], "Done": ["Type": "Succeed"]]]).serialized))
        runner.fallback = { _ in .failed(StatesError("Boom", "it broke")) }
        var clock = ManualClock()
        let types = runner.run(input: [:], clock: &clock).events.map(\.type)
        #expect(types.contains("TaskStateAborted") && types.contains("WaitStateAborted"))
        #expect(types.firstIndex(of: "TaskStateAborted")! > types.firstIndex(of: "TaskFailed")!)
        #expect(!types.contains("ParallelStateFailed"))
        #expect(types.suffix(4) == ["ParallelStateExited", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"])
    }

    static func mapMachine(_ extra: JSON, processor: JSON) -> JSON {
        var o = extra.objectValue!
        o["Type"] = "Map"
        o["End"] = true
        o["ItemProcessor"] = processor
        return ["StartAt": "M", "States": ["M": .object(o)]]
    }

    @Test func mapRunsEveryItemWithItemSelector() throws {
        let result = try run(Self.mapMachine(["ItemsPath": "$.xs", "MaxConcurrency": 2,
                                              "ItemSelector": ["v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index", "k.$": "$.k"]],
                                             processor: ["StartAt": "I", "States": ["I": ["Type": "Pass", "End": true]]]),
                             input: ["xs": ["a", "b", "c"], "k": 7])
        #expect(result.output == [["v": "a", "i": 0, "k": 7], ["v": "b", "i": 1, "k": 7], ["v": "c", "i": 2, "k": 7]])
        #expect(result.events.filter { $0.type == "MapIterationStarted" }.count == 3)
    }

    @Test func mapToleratesFailuresUpToTheCount() throws {
        let processor: JSON = ["StartAt": "C", "States": [
            "C": ["Type": "Choice", "Choices": [["Variable": "$", "NumericGreaterThan": 1, "Next": "Bad"]], "Default": "Ok"],
            "Bad": ["Type": "Fail", "Error": "TooBig"], "Ok": ["Type": "Pass", "End": true]]]
        let tolerated = try run(Self.mapMachine(["ToleratedFailureCount": 1], processor: processor), input: [1, 2])
        #expect(tolerated.status == .succeeded)
        let exceeded = try run(Self.mapMachine(["ToleratedFailureCount": 1], processor: processor), input: [1, 2, 3])
        #expect(exceeded.error?.error == "States.ExceedToleratedFailureThreshold")
        let strict = try run(Self.mapMachine([:], processor: processor), input: [1, 2, 3])
        #expect(strict.error?.error == "TooBig")
    }

    @Test func mapOfNothingSucceedsWithAnEmptyArray() throws {
        let result = try run(Self.mapMachine([:], processor: ["StartAt": "I", "States": ["I": ["Type": "Pass", "End": true]]]), input: [])
        #expect(result.output == [])
    }

    @Test func executionTimeoutEndsTheRun() throws {
        let result = try run(["TimeoutSeconds": 2, "StartAt": "W", "States": ["W": ["Type": "Wait", "Seconds": 10, "End": true]]])
        #expect(result.status == .timedOut)
        #expect(result.events.last?.type == "ExecutionTimedOut")
    }

    @Test func stopAbortsAndCancelsTimers() throws {
        let i = try Self.interpreter(["StartAt": "W", "States": ["W": ["Type": "Wait", "Seconds": 10, "End": true]]])
        var (state, _) = Self.begin(i)
        let d = i.decide(&state, on: Trigger(.stop(error: "User", cause: "stopped"), at: Self.start))
        #expect(d.events.map(\.type) == ["ExecutionAborted"])
        #expect(d.effects == [.cancelTimer(TimerID(0)), .executionFinished(.aborted)])
    }

    @Test func historyLimitFailsTheExecution() throws {
        var i = try Self.interpreter(["StartAt": "A", "States": [
            "A": ["Type": "Pass", "Next": "B"],
            "B": ["Type": "Choice", "Choices": [["Variable": "$.stop", "IsPresent": true, "Next": "E"]], "Default": "A"],
            "E": ["Type": "Succeed"]]])
        i.maximumHistoryEvents = 50
        var state = ExecutionState(context: .local(at: Self.start), input: [:], seed: 1)
        _ = i.decide(&state, on: Trigger(.start(input: [:], context: .local(at: Self.start), randomSeed: 1), at: Self.start))
        #expect(state.status == .failed)
        #expect(state.eventCount == 50)
    }

    @Test func sameTriggersGiveTheSameEvents() throws {
        let definition: JSON = ["StartAt": "P", "States": [
            "P": ["Type": "Pass", "Parameters": ["u.$": "States.UUID()"], "Next": "W"],
            "W": ["Type": "Wait", "Seconds": 1, "Next": "M"],
            "M": ["Type": "Map", "End": true, "ItemsPath": "$.xs", "ItemProcessor": ["StartAt": "I", "States": ["I": ["Type": "Pass", "End": true]]]]]]
        var c1 = ManualClock(), c2 = ManualClock()
        let a = try run(definition, input: ["xs": [1, 2]], clock: &c1, seed: 5)
        let b = try run(definition, input: ["xs": [1, 2]], clock: &c2, seed: 5)
        #expect(a.events == b.events)
    }
}

/// Tokens built by hand to the format's layout, with one part wrong.
enum TaskTokenFixtures {
    static func make(version: UInt8 = 1, arn: String = "arn:aws:states:us-east-1:1:execution:m:e") -> String {
        var bytes: [UInt8] = [version] + Array(repeating: 9, count: 24) + Array(repeating: 0, count: 8) + Array(arn.utf8)
        var out = ""
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        while bytes.count % 3 != 0 { bytes.append(0) }
        for i in stride(from: 0, to: bytes.count, by: 3) {
            let n = Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[n >> shift & 63]) }
        }
        return out
    }
}

extension UInt8 {
    var isBase64URL: Bool { (48...57).contains(self) || (65...90).contains(self) || (97...122).contains(self) || self == 45 || self == 95 }
}
