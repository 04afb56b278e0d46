import Foundation
import StatesLanguage

extension StateTest {
    /// The state the run uses: the tested one without its Retry (decided, not run), or for a
    /// mocked Map or Parallel a Task with its data flow whose answer is the mock.
    func runState() -> JSONObject {
        var s: JSONObject
        if standsIn {
            s = ["Type": "Task", "Resource": .string(Self.mockResource)]
            for key in ["QueryLanguage", "Comment", "InputPath", "ResultSelector", "ResultPath", "OutputPath", "Output",
                        "Assign", "Next", "End", "Catch"] {
                if let v = state[key] { s[key] = v }
            }
        } else {
            s = state
            s["Retry"] = nil
        }
        Self.standIn(&s)
        return s
    }

    func runner(_ s: JSONObject) -> LocalRunner? {
        let (machine, _) = DefinitionCheck.validate(Self.machineText(state: s, name: name, variables: variables))
        guard let machine else { return nil }
        var runner = LocalRunner(machine: machine)
        runner.fallback = nil
        return runner
    }

    func context(_ clock: inout ManualClock) -> ExecutionContext {
        var c = ExecutionContext.local(name: "TestState", at: clock.now())
        c.contextOverlay = context
        return c
    }

    final class Calls: @unchecked Sendable {
        // @unchecked Sendable: used by one run on one thread.
        var invocation: TaskInvocation?
    }

    /// What an unmocked Task asks of its integration (nil: it fails before it gets there, or
    /// it is not a Task). The API performs it and runs again with the answer.
    package func invocation() -> TaskInvocation? {
        guard isTask, mock == nil, var runner = runner(runState()) else { return nil }
        let calls = Calls()
        runner.intercept = { inv in
            calls.invocation = inv
            return .pending
        }
        var clock = ManualClock()
        _ = runner.run(input: input, context: context(&clock), clock: &clock, maximumSteps: 1000)
        return calls.invocation
    }

    /// The mock as a task's answer, or what `stateConfiguration` makes of it.
    func mockedAnswer(items: Int?) -> TaskOutcome? {
        if type == "Map", let failures = configuration.mapIterationFailureCount, case .map(let map) = compiled.kind {
            let count = Double(max(items ?? 0, 1))
            let byCount = tolerated(map.toleratedFailureCount).map { failures > $0 } ?? false
            let byShare = toleratedPercentage(map.toleratedFailurePercentage).map { Double(failures) * 100 / count > $0 } ?? false
            if byCount || byShare {
                return .failed(StatesError("States.ExceedToleratedFailureThreshold", "The specified tolerated failure threshold was exceeded"))
            }
        }
        switch mock {
        case .result(let v): return .succeeded(v)
        case .error(let e, let c): return .failed(StatesError(e, c))
        case nil: return nil
        }
    }

    /// Runs the state. `answer`: what the integration answered an unmocked Task.
    package func run(answer: TaskOutcome? = nil, inspect: Bool) -> Outcome {
        var out = Outcome()
        var inspection = JSONObject()
        inspection["input"] = .string(input.serialized)
        // A mocked Map's items, as its ItemsPath and ItemSelector make them (its iterations
        // stood in for by a Pass that hands each item back).
        var items = MapItems()
        if standsIn, type == "Map" { items = mapItems() }
        var outcome = answer
        if mock != nil || standsIn { outcome = items.failure.map { .failed($0) } ?? mockedAnswer(items: items.count) }
        guard var runner = runner(runState()) else {
            out.status = "FAILED"
            out.error = StatesError.runtime
            return out
        }
        let calls = Calls()
        let given = outcome
        runner.intercept = { inv in
            calls.invocation = inv
            return given ?? .pending
        }
        var clock = ManualClock()
        let result = runner.run(input: input, context: context(&clock), clock: &clock, maximumSteps: 1000)
        let events = result.events
        let entered = events.filter { $0.type.hasSuffix("StateEntered") && $0.details["name"] != .string(Self.prelude) }
        let next = entered.dropFirst().first?.details["name"]?.stringValue
        let failure: StatesError? = {
            if calls.invocation != nil, case .failed(let e)? = outcome { return e }
            if let e = events.last(where: { $0.type.hasSuffix("Failed") && $0.details["error"] != nil }) {
                return StatesError(e.details["error"]?.stringValue ?? "", e.details["cause"]?.stringValue)
            }
            return nil
        }()
        var errorDetails = JSONObject()
        if calls.invocation != nil || items.failure != nil, case .failed(let e)? = outcome,
           let i = compiled.retry.firstIndex(where: { e.matches($0.errorEquals) }) {
            let r = compiled.retry[i]
            let count = configuration.retrierRetryCount ?? 0
            if count < r.maxAttempts {
                // AWS: "the state's Retry that applies to the mocked error" has `count` tries
                // behind it; the next waits IntervalSeconds × BackoffRate^count (MaxDelaySeconds caps it).
                var delay = Double(r.intervalSeconds) * pow(r.backoffRate, Double(count))
                if let cap = r.maxDelaySeconds { delay = min(delay, Double(cap)) }
                out.status = "RETRIABLE"
                out.error = e.error
                out.cause = e.cause
                errorDetails["retryIndex"] = .int(Int64(i))
                errorDetails["retryBackoffIntervalSeconds"] = .int(Int64(delay))
            }
        }
        if out.status != "RETRIABLE" {
            if result.status == .failed, let e = result.error {
                out.status = "FAILED"
                out.error = e.error
                out.cause = e.cause
            } else if let next {
                out.nextState = next
                out.output = entered.dropFirst().first?.details["input"]
                if let failure, let i = compiled.catchers.firstIndex(where: { failure.matches($0.errorEquals) }),
                   compiled.catchers[i].next == next {
                    out.status = "CAUGHT_ERROR"
                    out.error = failure.error
                    out.cause = failure.cause
                    errorDetails["catchIndex"] = .int(Int64(i))
                }
            } else if result.status == .succeeded {
                out.output = result.output
            }
        }
        guard inspect else { return out }
        if !errorDetails.isEmpty { inspection["errorDetails"] = .object(errorDetails) }
        inspectData(into: &inspection, invocation: calls.invocation, outcome: outcome, events: events, items: items)
        out.inspection = inspection
        return out
    }

    /// `tolerated…` fields' values for this input (a path read from the state's input).
    func tolerated(_ v: IntOrPath?) -> Int? {
        switch v {
        case .value(let n)?: return n
        case .path(let p)?: return (try? DataFlow.select(p, from: input, context: { .null }))?.integerValue.map { Int($0) }
        default: return nil
        }
    }

    func toleratedPercentage(_ v: NumberOrPath?) -> Double? {
        switch v {
        case .value(let n)?: return n
        case .path(let p)?: return (try? DataFlow.select(p, from: input, context: { .null }))?.doubleValue
        default: return nil
        }
    }

    /// A tested Map's items at each step of its flow, as TestState's inspection shows them.
    struct MapItems {
        /// After ItemsPath (or Items): a Map without an ItemReader.
        var path: JSON?
        /// What the ItemReader read from `mapItemReaderData`, after its ItemsPointer.
        var pointer: JSON?
        /// After ItemBatcher: the batches.
        var batched: JSON?
        /// Each iteration's input: after ItemSelector (and batching).
        var selected: JSON?
        var failure: StatesError?
        /// How many iterations the Map runs.
        var count: Int? { (selected ?? batched ?? pointer ?? path)?.arrayValue?.count }
    }

    /// The Map's items at each step, by running it with a processor that hands each item back
    /// (an ItemReader reading `stateConfiguration.mapItemReaderData`, its ResultWriter left out),
    /// once without ItemSelector and ItemBatcher, once with the batcher alone, once whole; the
    /// error if they cannot be made.
    func mapItems() -> MapItems {
        var base = state
        for key in ["ResultSelector", "ResultPath", "OutputPath", "Output", "Assign", "Catch", "Retry", "Next", "ResultWriter",
                    "ToleratedFailureCount", "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath"] {
            base[key] = nil
        }
        base["End"] = true
        let pass: JSON = ["StartAt": "Item", "States": ["Item": ["Type": "Pass", "End": true]]]
        for key in ["ItemProcessor", "Iterator"] where base[key] != nil {
            var p = pass.objectValue ?? [:]
            if let config = base[key]?["ProcessorConfig"] { p["ProcessorConfig"] = config }
            base[key] = .object(p)
        }
        var batched = base
        batched["ItemSelector"] = nil
        batched["Parameters"] = nil
        var plain = batched
        plain["ItemBatcher"] = nil
        let reader = readerAnswer()
        func run(_ s: JSONObject) -> (JSON?, StatesError?) {
            guard var runner = runner(s) else { return (nil, nil) }
            if let reader { runner.intercept = { _ in reader } }
            var clock = ManualClock()
            let r = runner.run(input: input, context: context(&clock), clock: &clock, maximumSteps: 100_000)
            return r.status == .succeeded ? (r.output, nil) : (nil, r.error)
        }
        var items = MapItems()
        let (read, e1) = run(plain)
        if state["ItemReader"] == nil {
            items.path = read
        } else if state["ItemReader"]?["ReaderConfig"]?["ItemsPointer"] != nil {
            items.pointer = read
        }
        var e2: StatesError?
        if state["ItemBatcher"] != nil { (items.batched, e2) = run(batched) }
        let (selected, e3) = run(base)
        items.selected = selected
        items.failure = e1 ?? e2 ?? e3
        return items
    }

    /// What the ItemReader answers in a test: `mapItemReaderData` as its source holds it, an
    /// object's text for `s3:getObject`, a listing (a JSON array of objects, or a
    /// ListObjectsV2 answer's `Contents`) for `s3:listObjectsV2`.
    func readerAnswer() -> TaskOutcome? {
        guard let data = configuration.mapItemReaderData, let resource = state["ItemReader"]?["Resource"]?.stringValue else { return nil }
        guard resource.hasSuffix(":s3:listObjectsV2") else { return .succeeded(["Body": .string(data)]) }
        let listing = try? JSONParser.parse(Array(data.utf8))
        guard let objects = listing?.arrayValue ?? listing?["Contents"]?.arrayValue else {
            return .failed(StatesError(StatesError.itemReaderFailed, "mapItemReaderData is not a listing of objects: a JSON array, or an object with Contents."))
        }
        return .succeeded(["Items": .array(objects)])
    }
}
