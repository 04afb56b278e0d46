import Journal
import StatesInterpreter
import StatesLanguage

/// Express executions (AWS's Express semantics): only the start and the end are journaled;
/// the steps run in memory, so this is the fast path for StartSyncExecution. Like AWS's,
/// an Express execution that a crash interrupts is not resumed: recovery marks it failed.
extension Engine {
    /// AWS's limit for Express executions: five minutes.
    static let expressMaximumSeconds: Int64 = 300

    /// StartExecution on an EXPRESS machine: the start is journaled, the run goes on in the
    /// engine's service group, and the call returns at once (AWS's asynchronous Express).
    package func startExpressExecution(stateMachineArn: String, definitionId: Int64, name: String, input: String, parsed: JSON? = nil,
                                       roleArn: String = "arn:aws:iam::000000000000:role/baton", testCase: String? = nil) async throws(EngineError) -> ExecutionRecord
    {
        let begun = try await beginExpress(stateMachineArn: stateMachineArn, definitionId: definitionId, name: name, input: input, parsed: parsed,
                                           roleArn: roleArn, testCase: testCase)
        await tracker.begin()
        workSink.yield(.express(begun))
        return begun.row
    }

    /// StartSyncExecution: runs to the end and returns the finished row.
    /// `parsed`: the input already parsed by the caller (it checked it), so it is not parsed twice.
    package func runExpressExecution(stateMachineArn: String, definitionId: Int64, name: String, input: String, parsed: JSON? = nil,
                                     roleArn: String = "arn:aws:iam::000000000000:role/baton", testCase: String? = nil) async throws(EngineError) -> ExecutionRecord
    {
        let begun = try await beginExpress(stateMachineArn: stateMachineArn, definitionId: definitionId, name: name, input: input, parsed: parsed,
                                           roleArn: roleArn, testCase: testCase, journalStart: false)
        return try await finishExpress(begun, startJournaled: false)
    }

    /// How long a synchronous Express run goes before its start is journaled. Most end well
    /// within it, and their row is written once, start and end together: one commit, not two.
    /// A longer run's start is written then, so it is listed (and, should the process die,
    /// failed by recovery) as an asynchronous run is.
    static let expressStartDelayMillis: Int64 = 1_000

    struct ExpressStart: Sendable {
        var row: ExecutionRecord
        var interpreter: Interpreter
        var context: ExecutionContext
        var input: JSON
    }

    func beginExpress(stateMachineArn: String, definitionId: Int64, name: String, input: String, parsed: JSON? = nil, roleArn: String,
                      testCase: String? = nil, journalStart: Bool = true)
        async throws(EngineError) -> ExpressStart
    {
        let inputValue: JSON
        if let parsed { inputValue = parsed } else {
            do { inputValue = try JSONParser.parse(input) } catch { throw .invalidExecutionInput("Invalid State Machine Execution Input: '\(error)'") }
        }
        var interpreter = try await interpreter(definitionId)
        // The 25,000-event history limit is Standard's: Express keeps no history to bound (AWS's
        // quotas list it for Standard workflows only).
        interpreter.maximumHistoryEvents = .max
        guard !interpreter.waitsForCallbacks else {
            throw EngineError("InvalidDefinition", "Express executions do not support .waitForTaskToken or activities.")
        }
        let start = clock.now()
        let arn = Self.executionArn(stateMachineArn: stateMachineArn, name: name, kind: "express")
        let smName = Self.stateMachineName(stateMachineArn)
        var context = ExecutionContext(executionArn: arn, name: name, roleArn: roleArn, stateMachineArn: stateMachineArn,
                                       stateMachineName: smName, startTime: start)
        context.testCase = testCase
        let row = ExecutionRecord(arn: arn, stateMachineArn: stateMachineArn, definitionId: definitionId, name: name,
                                  status: .running, input: input, startMillis: start.milliseconds)
        if journalStart {
            do { try await journal.append(JournalBatch(execution: row, expectedVersion: nil)) } catch {
                if error.code == .alreadyExists { throw .executionAlreadyExists(arn) }
                throw .internalFailure("\(error)")
            }
        }
        // A synchronous run does not check its name: StartSyncExecution's errors have no
        // ExecutionAlreadyExists, and AWS keeps no record of an Express run to compare with. Its
        // row is written at the end, unless one of that name is there (see finishExpress).
        return ExpressStart(row: row, interpreter: interpreter, context: context, input: inputValue)
    }

    /// Runs a begun Express execution in memory and journals its end.
    func finishExpress(_ begun: ExpressStart, startJournaled: Bool = true) async throws(EngineError) -> ExecutionRecord {
        var row = begun.row
        var interpreter = begun.interpreter
        let context = begun.context, inputValue = begun.input
        let start = context.startTime
        // Set when the run first waits (see below): a run that ends in its first decision writes
        // its row once, at the end, whatever the delay.
        var startWrite: Task<Bool, Never>?
        var state = ExecutionState(context: context, input: inputValue, seed: UInt64.random(in: 0...UInt64.max))
        let (triggers, sink) = AsyncStream.makeStream(of: Trigger.Kind.self)
        // An Express execution keeps no history; its events reach the listeners (logging) only.
        let logged = await wantsEvents(row.stateMachineArn)
        interpreter.recordsEvents = logged
        var events: [HistoryEvent] = []
        let deadline = start.adding(seconds: Self.expressMaximumSeconds)
        await withTaskGroup(of: Void.self) { group in
            // The five-minute limit and the delayed start write are armed only for a run that has
            // something to wait for: most end in their first decision, and a sleeping task for
            // each (a dispatch timer set and cancelled) was a tenth of an Express run's CPU.
            var deadlineArmed = false
            var decision = interpreter.decide(&state, on: Trigger(.start(input: inputValue, context: context, randomSeed: UInt64.random(in: 0...UInt64.max)), at: start))
            var iterator = triggers.makeAsyncIterator()
            while true {
                if logged { events += decision.events }
                for effect in decision.effects {
                    switch effect {
                    case .invokeTask(let inv):
                        let handler = registry.handler(for: inv.resource)
                        let mocked = self.mocked(inv)
                        group.addTask {
                            let outcome: TaskOutcome
                            if let mocked { outcome = mocked } else { outcome = await handler?.invoke(inv) ?? LocalRunner.unknownResource(inv) }
                            sink.yield(.taskStarted(inv.id))
                            switch outcome {
                            case .succeeded(let v): sink.yield(.taskSucceeded(inv.id, output: v))
                            case .failed(let e): sink.yield(.taskFailed(inv.id, e))
                            case .pending: break
                            }
                        }
                    case .startTimer(let id, let due):
                        group.addTask {
                            try? await self.clock.sleep(until: due)
                            sink.yield(.timerFired(id))
                        }
                    default: break
                    }
                }
                guard state.status == .running else { break }
                if !deadlineArmed {
                    deadlineArmed = true
                    if !startJournaled {
                        startWrite = Task { [journal, clock, row] in
                            try? await clock.sleep(until: Timestamp(milliseconds: start.milliseconds + Self.expressStartDelayMillis))
                            if Task.isCancelled { return false }
                            do { try await journal.append(JournalBatch(execution: row, expectedVersion: nil)) } catch { return false }
                            return true
                        }
                    }
                    group.addTask {
                        try? await self.clock.sleep(until: deadline)
                        // Timed out, as a Standard run past its TimeoutSeconds: StartSyncExecution's
                        // statuses are SUCCEEDED, FAILED and TIMED_OUT (it was answered ABORTED).
                        sink.yield(.maximumDurationReached)
                    }
                }
                guard let next = await iterator.next() else { break }
                decision = interpreter.decide(&state, on: Trigger(next, at: clock.now()))
            }
            group.cancelAll()
        }
        sink.finish()
        row.status = state.status
        row.output = state.output?.serialized
        row.error = state.failure?.error
        row.cause = state.failure?.cause
        row.stopMillis = clock.now().milliseconds
        row.lastEventId = state.eventCount
        // Whether the start was written decides whether the end updates that row or inserts the
        // whole run's (a start write cut short by cancellation wrote nothing).
        startWrite?.cancel()
        var startWritten = startJournaled
        if let startWrite { startWritten = await startWrite.value }
        // A synchronous run's answer carries its whole result, and AWS keeps no record of an
        // Express execution to lose ("Executions of an EXPRESS state machine aren't supported by
        // DescribeExecution unless a Map Run dispatched them"). So its row, written whole at
        // the end, is queued for a later commit and not waited for (the journal declines when
        // too many are queued, and the run waits as below). A row whose start was written is
        // waited for until written into the next commit, not until that commit's fsync returns
        // (most of such a run's latency). An asynchronous run's row is how its caller learns
        // the result, so it waits for durability.
        let end = JournalBatch(execution: row, expectedVersion: startWritten ? 0 : nil)
        if startJournaled || startWritten || !journal.appendDetached(end) {
            do { if startJournaled { try await journal.append(end) } else { try await journal.appendVisible(end) } } catch {
                // The name is taken (see beginExpress): the answer stands, and the earlier row too.
                if !(error.code == .alreadyExists && !startWritten) { throw .internalFailure("\(error)") }
            }
        }
        StepMetrics.expressFinished(row)
        await committed(row, events)
        return row
    }
}
