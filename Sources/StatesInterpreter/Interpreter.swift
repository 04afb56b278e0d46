import StatesLanguage

/// Decides what happens next. Pure: everything it observed (time, random values,
/// evaluated payloads) is written into the events it returns, and the shell performs the
/// effects only after committing them.
package struct Interpreter: Sendable {
    /// Every state list of the definition: 0 is the top level, then branches and processors.
    let machines: [StateMachine]
    /// Child machines of a Parallel or Map state, keyed by (machine, state index).
    let children: [ChildKey: [Int]]
    package let definition: StateMachine
    /// The definition's JSONata expressions, compiled once.
    let expressions: CompiledExpressions
    /// AWS's payload limit, configurable for tests.
    package var maximumPayloadBytes = DataFlow.maximumPayloadBytes
    /// AWS's history limit: the execution fails when it reaches this many events.
    package var maximumHistoryEvents = 25_000
    /// Whether decisions carry their events. An Express run nobody listens to keeps no history
    /// (AWS keeps none), so its events are numbered, as ids and the history limit need, but
    /// neither built nor returned.
    package var recordsEvents = true
    package var region = "us-east-1"
    /// A Distributed Map's iterations run as child executions, by the host's handler of
    /// `mapRunResource`, instead of as frames of this execution (the engine sets it when such
    /// a handler is installed; the local runner keeps them in the run).
    package var mapRunsAsExecutions = false
    /// The map run's own resource: one task that runs every iteration as a child execution.
    package static let mapRunResource = "arn:aws:states:::baton:mapRun"

    /// Whether a top-level state waits on a callback (`.waitForTaskToken`) or an activity,
    /// which Express executions refuse: worked out once per definition, not per run.
    package let waitsForCallbacks: Bool

    struct ChildKey: Hashable, Sendable {
        var machine: Int
        var state: Int
    }

    package init(machine: StateMachine) {
        definition = machine
        var machines: [StateMachine] = []
        var children: [ChildKey: [Int]] = [:]
        func add(_ m: StateMachine) -> Int {
            let id = machines.count
            machines.append(m)
            for (i, s) in m.states.enumerated() {
                switch s.kind {
                case .parallel(let branches): children[ChildKey(machine: id, state: i)] = branches.map(add)
                case .map(let map): children[ChildKey(machine: id, state: i)] = [add(map.processor)]
                default: break
                }
            }
            return id
        }
        _ = add(machine)
        self.machines = machines
        self.children = children
        // A definition reaches here validated (DefinitionCheck); an expression that still
        // fails to compile fails its state with States.QueryEvaluationError when it runs.
        self.expressions = CompiledExpressions.compile(machine).0
        waitsForCallbacks = machine.states.contains {
            if case .task(let t) = $0.kind { return t.resource.hasSuffix(".waitForTaskToken") || t.resource.contains(":activity:") }
            return false
        }
    }

    package func decide(_ state: inout ExecutionState, on trigger: Trigger) -> Decision {
        var step = Step(interpreter: self, now: trigger.now, entropy: trigger.entropy)
        step.traceHeader = trigger.traceHeader
        swap(&step.s, &state)
        step.handle(trigger)
        step.drain()
        if let broken = step.broken, step.running {
            step.failExecution(StatesError(StatesError.runtime, "Baton internal error: \(broken). The execution was stopped; please report this."),
                               prev: step.s.nextEventId - 1)
        }
        swap(&step.s, &state)
        return step.decision
    }
}

/// One call of `decide`: the state being changed, the clock reading, and what was decided.
struct Step {
    let interpreter: Interpreter
    let now: Timestamp
    /// The trace of the step's cause, when it brought one.
    var traceHeader: String?
    var s = ExecutionState.placeholder
    var decision = Decision()
    var runQueue: [Int] = []
    var queueHead = 0
    /// Set when the history reached AWS's event limit: the execution then fails.
    var historyFull = false

    let entropy: [UInt8]

    init(interpreter: Interpreter, now: Timestamp, entropy: [UInt8]) {
        self.interpreter = interpreter
        self.now = now
        self.entropy = entropy
    }

    var running: Bool { s.status == .running }
    /// Sizes of large values measured in this step (a blob carried by every state's output is
    /// measured once). Made on first use: most steps never check a size.
    lazy var sizes = ByteCountMemo()
    /// Set when the state contradicts itself (a frame the step needs is gone): the step stops
    /// changing it and the execution fails with States.Runtime, recorded in its history. A
    /// broken invariant fails one execution; it never takes the process down.
    var broken: String?

    mutating func brokenInvariant(_ what: String) {
        if broken == nil { broken = what }
    }

    /// Changes a live frame in place (through the table's addressor: no copy of the frame).
    mutating func withFrame(_ fid: Int, _ body: (inout Frame) -> Void) {
        if !s.frames.update(fid, body) { brokenInvariant("frame \(fid) is gone") }
    }

    mutating func lastEventId(of fid: Int) -> Int {
        guard let frame = s.frames[fid] else {
            brokenInvariant("frame \(fid) is gone")
            return s.nextEventId - 1
        }
        return frame.lastEventId
    }

    // MARK: events

    /// Records an event for a frame. `prev` overrides the previous-event pointer, and
    /// `advance: false` leaves the frame's pointer where it was (AWS does that for some
    /// closing events, e.g. MapStateSucceeded).
    @discardableResult
    mutating func emit(_ frameId: Int?, _ type: String, _ detailsKey: String? = nil, _ details: @autoclosure () -> JSONObject = JSONObject(),
                       prev: Int? = nil, advance: Bool = true) -> Int {
        if let frameId, let frame = s.frames[frameId], frame.silent { return frame.lastEventId }
        guard running, !historyFull || type.hasPrefix("Execution") else { return s.nextEventId - 1 }
        let id = s.nextEventId
        s.nextEventId += 1
        var previous = 0
        if let prev {
            previous = prev
        } else if let frameId, let last = s.frames[frameId]?.lastEventId {
            previous = last
        }
        if interpreter.recordsEvents {
            decision.events.append(HistoryEvent(id: id, previousEventId: previous, timestamp: now, type: type,
                                                detailsKey: detailsKey, details: details()))
        }
        if advance, let frameId { s.frames.slots[frameId]?.lastEventId = id }
        // AWS's history limit: once reached, nothing more is recorded but the failure (see drain()).
        if s.eventCount >= interpreter.maximumHistoryEvents - 1, !type.hasPrefix("Execution") { historyFull = true }
        return id
    }

    // MARK: triggers

    mutating func handle(_ trigger: Trigger) {
        switch trigger.kind {
        case .start(let input, let context, let seed):
            guard s.nextEventId == 1 else { return }
            s = ExecutionState(context: context, input: input, seed: seed)
            var details = EventDetails.payload("input", input)
            details.appendUnchecked("roleArn", .string(context.roleArn))
            // Baton's: the trace the run was started in (AWS's history has no place for it).
            if let trace = context.traceHeader { details.appendUnchecked("traceHeader", .string(trace)) }
            emit(nil, "ExecutionStarted", "executionStartedEventDetails", details)
            let root = newFrame(machine: 0, input: input, parent: nil, slot: 0, lastEventId: 0, silent: false)
            // Only the definition's own TimeoutSeconds is a timer: the service's maximum duration
            // is the engine's sweep (a timer row per run cost a fifth of a started run's writes).
            if let t = interpreter.definition.timeoutSeconds.map(Int64.init) {
                let timer = newTimer(.executionTimeout)
                decision.effects.append(.startTimer(timer, dueAt: now.adding(seconds: t)))
            }
            enqueue(root)
        case .taskStarted(let id, let worker):
            guard let fid = s.tasks[id], let task = s.frames[fid]?.task, !task.started else { return }
            withFrame(fid) { $0.task?.started = true }
            // A map run's own read or write records no Task events (as on AWS).
            if mapRun(fid)?["phase"] != nil { return }
            taskStarted(fid, task, workerName: worker)
        case .taskSucceeded(let id, let output):
            guard let fid = s.tasks.removeValue(forKey: id) else { return }
            taskSucceeded(fid, output)
        case .taskFailed(let id, let error):
            guard let fid = s.tasks.removeValue(forKey: id) else { return }
            taskFailed(fid, error)
        case .annotate(let id, let type, let key, let details):
            guard let fid = s.tasks[id], s.frames[fid]?.task != nil else { return }
            emit(fid, type, key, details)
        case .taskHeartbeat(let id):
            guard let fid = s.tasks[id], let task = s.frames.slots[fid]?.task, let hb = task.heartbeatSeconds,
                  let old = task.heartbeatTimer else { return }
            s.timers.removeValue(forKey: old)
            decision.effects.append(.cancelTimer(old))
            let timer = newTimer(.heartbeat(frame: fid, task: id))
            withFrame(fid) { $0.task?.heartbeatTimer = timer }
            withFrame(fid) { $0.taskTimers.append(timer) }
            decision.effects.append(.startTimer(timer, dueAt: now.adding(seconds: Int64(hb))))
        case .timerFired(let id):
            guard let purpose = s.timers.removeValue(forKey: id) else { return }
            timerFired(purpose)
        case .maximumDurationReached:
            timerFired(.executionTimeout)
        case .redrive(let stateName, let input, let lastEventId):
            guard s.status != .running, s.status != .succeeded, let index = interpreter.machines[0].stateIndex[stateName] else { return }
            s.status = .running
            s.output = nil
            s.failure = nil
            s.nextEventId = lastEventId + 1
            s.context.redriveCount += 1
            s.frames.removeAll()
            let count = s.context.redriveCount
            emit(nil, "ExecutionRedriven", "executionRedrivenEventDetails", ["redriveCount": .int(Int64(count))], prev: lastEventId)
            let root = newFrame(machine: 0, input: input, parent: nil, slot: 0, lastEventId: s.nextEventId - 1, silent: false)
            withFrame(root) { $0.state = index }
            // Only the definition's own TimeoutSeconds is a timer: the service's maximum duration
            // is the engine's sweep (a timer row per run cost a fifth of a started run's writes).
            if let t = interpreter.definition.timeoutSeconds.map(Int64.init) {
                let timer = newTimer(.executionTimeout)
                decision.effects.append(.startTimer(timer, dueAt: now.adding(seconds: t)))
            }
            enqueue(root)
        case .stop(let error, let cause):
            guard running else { return }
            var details = JSONObject()
            if let error { details.appendUnchecked("error", .string(error)) }
            if let cause { details.appendUnchecked("cause", .string(cause)) }
            emit(nil, "ExecutionAborted", "executionAbortedEventDetails", details, prev: lastTopLevelEventId)
            finish(.aborted, output: nil, failure: error.map { StatesError($0, cause) })
        }
    }

    var lastTopLevelEventId: Int { s.frames[0]?.lastEventId ?? s.nextEventId - 1 }

    mutating func timerFired(_ purpose: TimerPurpose) {
        switch purpose {
        case .executionTimeout:
            guard running else { return }
            emit(nil, "ExecutionTimedOut", "executionTimedOutEventDetails",
                 EventDetails.failure(StatesError(StatesError.timeout, "The execution timed out.")), prev: lastTopLevelEventId)
            finish(.timedOut, output: nil, failure: StatesError(StatesError.timeout, nil))
        case .wait(let fid):
            guard let frame = s.frames[fid], let state = self.state(of: frame) else { return }
            do throws(StatesError) {
                if state.isJSONata {
                    try finishJSONataWait(fid, frame, state)
                } else {
                    let effective = try effectiveWaitInput(frame, state)
                    let assigned = try evaluateAssign(state.assign, frame, value: effective, states: nil)
                    let output = try select(state.outputPath, from: effective, frame)
                    exitState(fid, output: output, assigned: assigned)
                }
            } catch {
                fail(fid, error)
            }
        case .retry(let fid):
            guard s.frames[fid] != nil else { return }
            withFrame(fid) { $0.phase = .execute }
            enqueue(fid)
        case .taskTimeout(let fid, let task), .heartbeat(let fid, let task):
            guard s.tasks.removeValue(forKey: task) != nil else { return }
            decision.effects.append(.cancelTask(task))
            var isHeartbeat = false
            if case .heartbeat = purpose { isHeartbeat = true }
            let error = isHeartbeat ? StatesError(StatesError.heartbeatTimeout, nil) : StatesError(StatesError.timeout, nil)
            taskTimedOut(fid, error)
        }
    }

    // MARK: frames

    mutating func newFrame(machine: Int, input: JSON, parent: Int?, slot: Int, lastEventId: Int, silent: Bool) -> Int {
        let id = s.nextFrameId
        s.nextFrameId += 1
        let m = interpreter.machines[machine]
        s.frames.insert(Frame(id: id, machine: machine, state: m.stateIndex[m.startAt] ?? 0, input: input,
                             lastEventId: lastEventId, enteredTime: now, parent: parent, slot: slot, silent: silent))
        return id
    }

    mutating func newTimer(_ purpose: TimerPurpose) -> TimerID {
        let id = TimerID(s.nextTimerId)
        s.nextTimerId += 1
        s.timers[id] = purpose
        return id
    }

    /// A Wait state's timer, or, when the wait is already due (`Seconds` 0, a timestamp in the
    /// past), its end decided in this step: the trigger's time is past the due time, so the
    /// timer would fire at once, and the history is the same (WaitStateExited at `now`)
    /// without a timer written, fired and deleted in two more steps.
    mutating func startWait(_ fid: Int, due: Timestamp) {
        if due <= now {
            timerFired(.wait(frame: fid))
            return
        }
        let timer = newTimer(.wait(frame: fid))
        decision.effects.append(.startTimer(timer, dueAt: due))
    }

    mutating func enqueue(_ fid: Int) { runQueue.append(fid) }

    mutating func drain() {
        while queueHead < runQueue.count && !historyFull {
            let fid = runQueue[queueHead]
            queueHead += 1
            run(fid)
        }
        if historyFull && running {
            failExecution(StatesError(StatesError.runtime,
                "The execution reached the maximum number of history events (\(interpreter.maximumHistoryEvents))."),
                prev: s.nextEventId - 1)
        }
        runQueue.removeAll()
        queueHead = 0
    }

    func state(of frame: Frame) -> State? {
        let m = interpreter.machines[frame.machine]
        return frame.state < m.states.count ? m.states[frame.state] : nil
    }

    /// Advances one frame until it waits for something or ends.
    mutating func run(_ fid: Int) {
        while running, !historyFull, let frame = s.frames[fid], let state = state(of: frame) {
            switch frame.phase {
            case .blocked:
                return
            case .enter:
                withFrame(fid) { $0.enteredPreviousId = frame.lastEventId }
                let entered = emit(fid, state.enteredEventType, "stateEnteredEventDetails",
                                   EventDetails.stateEntered(name: state.name, input: frame.input))
                let enteredAt = now
                withFrame(fid) {
                    $0.enteredEventId = entered
                    $0.enteredTime = enteredAt
                    $0.retryCounts = Array(repeating: 0, count: state.retry.count)
                    $0.phase = .execute
                }
            case .execute:
                withFrame(fid) { $0.phase = .blocked }
                execute(fid, state)
            }
        }
    }

    /// The state exits with `output` and the frame moves on (or ends). `assigned`: the
    /// variables its Assign set, recorded in the exit event and stored only now, so that
    /// nothing the state evaluated saw them.
    mutating func exitState(_ fid: Int, output: JSON, next overrideNext: String? = nil, assigned: JSONObject? = nil) {
        guard let frame = s.frames[fid], let state = state(of: frame) else { return }
        if !output.serializes(within: interpreter.maximumPayloadBytes, memo: sizes) {
            fail(fid, StatesError(StatesError.dataLimitExceeded,
                                  "The state/task '\(state.name)' returned a result with a size exceeding the maximum number of bytes service limit."))
            return
        }
        if let assigned {
            do throws(StatesError) {
                try store(assigned, in: fid)
            } catch {
                fail(fid, error)
                return
            }
        }
        emit(fid, state.exitedEventType, "stateExitedEventDetails", {
            var details = EventDetails.stateExited(name: state.name, output: output)
            if let assigned { EventDetails.assigned(assigned, into: &details) }
            return details
        }())
        let next: String?
        if let overrideNext {
            next = overrideNext
        } else if case .next(let n) = state.transition {
            next = n
        } else {
            next = nil
        }
        if let next, let index = interpreter.machines[frame.machine].stateIndex[next] {
            withFrame(fid) { $0.state = index }
            withFrame(fid) { $0.input = output }
            withFrame(fid) { $0.phase = .enter }
            enqueue(fid)
        } else {
            frameSucceeded(fid, output: output)
        }
    }

    /// The frame reached an End (or Succeed): report to the parent, or end the execution.
    mutating func frameSucceeded(_ fid: Int, output: JSON) {
        guard let frame = s.frames.removeValue(forKey: fid) else { return }
        if let parent = frame.parent {
            childSucceeded(parent, child: frame, output: output)
        } else {
            emit(nil, "ExecutionSucceeded", "executionSucceededEventDetails", EventDetails.payload("output", output),
                 prev: frame.lastEventId)
            finish(.succeeded, output: output, failure: nil)
        }
    }

    mutating func finish(_ status: ExecutionStatus, output: JSON?, failure: StatesError?) {
        s.status = status
        s.output = output
        s.failure = failure
        for t in s.tasks.keys.sorted(by: { $0.rawValue < $1.rawValue }) { decision.effects.append(.cancelTask(t)) }
        for t in s.timers.keys.sorted(by: { $0.rawValue < $1.rawValue }) { decision.effects.append(.cancelTimer(t)) }
        s.tasks.removeAll()
        s.timers.removeAll()
        s.frames.removeAll()
        decision.effects.append(.executionFinished(status))
    }

    mutating func failExecution(_ error: StatesError, prev: Int) {
        guard running else { return }
        emit(nil, "ExecutionFailed", "executionFailedEventDetails", EventDetails.failure(error), prev: prev)
        finish(.failed, output: nil, failure: error)
    }

    // MARK: context object

    /// A frame's `$$` context object, built only when a `$$` path asks for it.
    func contextFacts(_ frame: Frame, mapItem: (Int, JSON)? = nil, token: String? = nil) -> ContextObject {
        let state = state(of: frame)
        return ContextObject(execution: s.context, input: s.input, stateName: state?.name ?? "", enteredTime: frame.enteredTime,
                             retryCount: state.map { !$0.retry.isEmpty } == true ? frame.retryCounts.reduce(0, +) : nil,
                             token: token, mapItem: mapItem)
    }

    func contextObject(_ frame: Frame) -> JSON { contextFacts(frame).json }

    func scope(_ frame: Frame, input: JSON, mapItem: (Int, JSON)? = nil, token: String? = nil) -> Scope {
        Scope(input: input, context: contextFacts(frame, mapItem: mapItem, token: token), variables: visibleVariables(frame))
    }

    /// InputPath / OutputPath (paths may start at `$$` or at a variable).
    func select(_ path: JSONPath?, from value: JSON, _ frame: Frame) throws(StatesError) -> JSON {
        guard let path else { return .object(JSONObject()) }
        if path.segments.isEmpty && path.root == .input { return value }
        return try DataFlow.select(path, in: scope(frame, input: value))
    }
}
