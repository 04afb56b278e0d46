import StatesLanguage

/// A clock the local runner reads and waits on. Tests use `ManualClock`, which jumps
/// straight to the next timer; `baton run` uses the system clock.
package protocol RunnerClock {
    mutating func now() -> Timestamp
    mutating func sleep(until deadline: Timestamp)
}

package struct ManualClock: RunnerClock {
    package var current: Timestamp
    package init(_ start: Timestamp = Timestamp(seconds: 1_700_000_000)) { current = start }
    package mutating func now() -> Timestamp { current }
    package mutating func sleep(until deadline: Timestamp) { if deadline > current { current = deadline } }
}

/// What a task handler answers.
package enum TaskOutcome: Sendable {
    case succeeded(JSON)
    case failed(StatesError)
    /// No answer now (a `.waitForTaskToken` task waiting for a callback that never comes here).
    case pending
}

/// Runs one execution to its end in memory: the interpreter's shell without a journal.
/// Tasks resolve through a registry of handlers keyed by resource ARN.
package struct LocalRunner {
    package typealias Handler = @Sendable (TaskInvocation) -> TaskOutcome
    package var handlers: [String: Handler] = [:]
    /// Answers for resources that have no handler of their own (tests use an echo).
    package var fallback: Handler?
    /// Asked first, by state: an answer here replaces the resource's handler (a mocked state).
    package var intercept: (@Sendable (TaskInvocation) -> TaskOutcome?)?
    package var interpreter: Interpreter

    package struct Result {
        package var status: ExecutionStatus
        package var output: JSON?
        package var error: StatesError?
        package var events: [HistoryEvent]

        /// `{"status":"SUCCEEDED","output":…}` or `{"status":"FAILED","error":…,"cause":…}`.
        package var json: JSON {
            var o = JSONObject()
            o["status"] = .string(status.rawValue)
            if let output { o["output"] = output }
            if let error {
                o["error"] = .string(error.error)
                if let c = error.cause { o["cause"] = .string(c) }
            }
            return .object(o)
        }
    }

    package init(machine: StateMachine) {
        interpreter = Interpreter(machine: machine)
    }

    /// `observe`: sees the state after every step (tests that check what a step leaves).
    package func run(input: JSON, context: ExecutionContext? = nil, seed: UInt64 = 42, clock: inout some RunnerClock,
                     maximumSteps: Int = 10_000_000, observe: ((ExecutionState) -> Void)? = nil) -> Result {
        var state = ExecutionState.placeholder
        var events: [HistoryEvent] = []
        var ready: [Trigger.Kind] = []
        var readyHead = 0
        var timers: [(id: TimerID, due: Timestamp)] = []
        var cancelled: Set<TaskID> = []
        let start = clock.now()
        var trigger = Trigger(.start(input: input, context: context ?? .local(at: start), randomSeed: seed), at: start)
        var steps = 0
        while true {
            steps += 1
            let decision = interpreter.decide(&state, on: trigger)
            observe?(state)
            events.append(contentsOf: decision.events)
            for effect in decision.effects {
                switch effect {
                case .invokeTask(let invocation):
                    let outcome = intercept?(invocation)
                        ?? (handlers[invocation.resource] ?? fallback).map { $0(invocation) } ?? Self.unknownResource(invocation)
                    switch outcome {
                    case .succeeded(let v):
                        ready.append(.taskStarted(invocation.id))
                        ready.append(.taskSucceeded(invocation.id, output: v))
                    case .failed(let e):
                        ready.append(.taskStarted(invocation.id))
                        ready.append(.taskFailed(invocation.id, e))
                    case .pending:
                        ready.append(.taskStarted(invocation.id))
                    }
                case .startTimer(let id, let due):
                    timers.append((id, due))
                case .cancelTimer(let id):
                    timers.removeAll { $0.id == id }
                case .cancelTask(let id):
                    cancelled.insert(id)
                case .executionFinished:
                    break
                }
            }
            if state.status != .running || steps >= maximumSteps { break }
            if readyHead < ready.count {
                let next = ready[readyHead]
                readyHead += 1
                if readyHead > 1024 {
                    ready.removeFirst(readyHead)
                    readyHead = 0
                }
                trigger = Trigger(next, at: clock.now())
                continue
            }
            guard let earliest = timers.indices.min(by: {
                (timers[$0].due, timers[$0].id.rawValue) < (timers[$1].due, timers[$1].id.rawValue)
            }) else { break }
            let timer = timers.remove(at: earliest)
            clock.sleep(until: timer.due)
            trigger = Trigger(.timerFired(timer.id), at: clock.now())
        }
        return Result(status: state.status, output: state.output, error: state.failure, events: events)
    }

    /// What AWS answers for a resource nobody provides.
    package static func unknownResource(_ invocation: TaskInvocation) -> TaskOutcome {
        switch ResourceKind(arn: invocation.resource) {
        case .lambdaFunction:
            return .failed(StatesError("Lambda.ResourceNotFoundException", "Function not found: \(invocation.resource)"))
        case .activity:
            return .failed(StatesError.runtime("The activity \(invocation.resource) does not exist."))
        case .service:
            return .failed(StatesError(StatesError.taskFailed, "The resource '\(invocation.resource)' is not available in this runner."))
        }
    }
}
