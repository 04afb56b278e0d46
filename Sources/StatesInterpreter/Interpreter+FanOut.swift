import StatesLanguage

/// Parallel and Map: children are frames of this same execution, interleaved by the
/// decisions (not by threads), so the interpreter stays pure and replayable.
extension Step {
    func childMachines(_ frame: Frame) -> [Int] {
        interpreter.children[Interpreter.ChildKey(machine: frame.machine, state: frame.state)] ?? []
    }

    mutating func executeParallel(_ fid: Int, _ frame: Frame, _ state: State, branchCount: Int) throws(StatesError) {
        let effective = try select(state.inputPath, from: frame.input, frame)
        var branchInput = effective
        if state.isJSONata, let arguments = state.arguments {
            var states = StatesBinding(input: frame.input, context: contextFacts(frame))
            branchInput = try evaluate(arguments, field: "Arguments", frame, &states)
        } else if let p = state.parameters {
            branchInput = try DataFlow.apply(p, scope: scope(frame, input: effective), random: &s.random)
        }
        emit(fid, "ParallelStateStarted")
        var fan = FanOut(isMap: false, effectiveInput: branchInput, results: Array(repeating: nil, count: branchCount))
        let last = lastEventId(of: fid)
        fan.lastIterationEndId = last
        var started: [Int] = []
        for (i, m) in childMachines(frame).enumerated() {
            let c = newFrame(machine: m, input: branchInput, parent: fid, slot: i, lastEventId: last, silent: frame.silent)
            fan.children[i] = c
            fan.running.insert(i)
            started.append(c)
        }
        withFrame(fid) { $0.fanOut = fan }
        for c in started { enqueue(c) }
    }

    mutating func executeMap(_ fid: Int, _ frame: Frame, _ state: State, _ map: MapState) throws(StatesError) {
        let effective = try select(state.inputPath, from: frame.input, frame)
        var states = StatesBinding(input: frame.input, context: contextFacts(frame))
        let maxConcurrency = try mapMaxConcurrency(frame, map, effective, &states)
        if let reader = map.itemReader {
            // The items are read first (an effect); the map goes on when they arrive.
            try beginItemRead(fid, frame, state, reader, effective: effective, states: &states)
            return
        }
        let itemsValue: JSON
        if let template = map.items {
            itemsValue = try evaluate(template, field: "Items", frame, &states)
            guard case .array = itemsValue else {
                throw Self.wrongType(template, field: "Items", expected: "array", value: itemsValue)
            }
        } else if let p = map.itemsPath {
            itemsValue = try scope(frame, input: effective).value(of: p, field: "ItemsPath")
        } else {
            itemsValue = effective
        }
        guard case .array(let items) = itemsValue else {
            if state.isJSONata {
                throw Self.queryError("Map state input must be an array but was: \(itemsValue.serialized)", nil)
            }
            throw StatesError.runtime("Map state input must be an array, but got: \(itemsValue.serialized)")
        }
        try startFanOut(fid, frame, state, map, items: items, effective: effective, maxConcurrency: maxConcurrency, states: &states,
                        runStarted: false)
    }

    mutating func mapMaxConcurrency(_ frame: Frame, _ map: MapState, _ effective: JSON, _ states: inout StatesBinding) throws(StatesError) -> Int {
        switch map.maxConcurrency {
        case .value(let n): return n
        case .expression:
            return try integer(map.maxConcurrency, field: "MaxConcurrency", frame, &states) ?? 0
        case .path(let p):
            let v = try scope(frame, input: effective).value(of: p, field: "MaxConcurrencyPath")
            guard let n = v.integerValue, case .int = v, n >= 0 else {
                throw StatesError.runtime("The MaxConcurrencyPath field refers to value \(v.serialized) which is not a valid integer: \(p.text)")
            }
            return Int(n)
        }
    }

    /// The iterations of a Map over `items` (batched first when it has an ItemBatcher).
    /// `runStarted`: a Distributed Map that read its items has already recorded its start.
    mutating func startFanOut(_ fid: Int, _ frame: Frame, _ state: State, _ map: MapState, items given: [JSON], effective: JSON,
                              maxConcurrency: Int, states: inout StatesBinding, runStarted: Bool) throws(StatesError) {
        var items = given
        if let batcher = map.itemBatcher { items = try batch(items, batcher, frame, state, effective: effective, states: &states) }
        if !runStarted {
            var details = JSONObject()
            details.appendUnchecked("length", .int(Int64(items.count)))
            emit(fid, "MapStateStarted", "mapStateStartedEventDetails", details)
        }
        var fan = FanOut(isMap: true, effectiveInput: effective, results: Array(repeating: nil, count: items.count))
        fan.itemInputs = items
        fan.maxConcurrency = maxConcurrency
        fan.distributed = map.isDistributed
        switch map.toleratedFailureCount {
        case .value(let n)?: fan.toleratedCount = n
        case .expression?:
            fan.toleratedCount = try integer(map.toleratedFailureCount, field: "ToleratedFailureCount", frame, &states)
        case .path(let p)?:
            let v = try scope(frame, input: effective).value(of: p, field: "ToleratedFailureCountPath")
            guard let n = v.integerValue, case .int = v else {
                throw StatesError.runtime("The ToleratedFailureCountPath field refers to value \(v.serialized) which is not a valid integer: \(p.text)")
            }
            guard n >= 0 else { throw StatesError.runtime("ToleratedFailureCount cannot be negative.") }
            fan.toleratedCount = Int(n)
        case nil: break
        }
        switch map.toleratedFailurePercentage {
        case .value(let d)?: fan.toleratedPercentage = d
        case .expression(let text)?:
            let v = try evaluateExpression(text, field: "ToleratedFailurePercentage", frame, &states)
            guard v.isNumber, let d = v.doubleValue, d >= 0, d <= 100 else {
                throw Self.wrongType(.expression(text), field: "ToleratedFailurePercentage", expected: "number", value: v)
            }
            fan.toleratedPercentage = d
        case .path(let p)?:
            let v = try scope(frame, input: effective).value(of: p, field: "ToleratedFailurePercentagePath")
            guard v.isNumber, let d = v.doubleValue else {
                throw StatesError.runtime("The ToleratedFailurePercentagePath field refers to value \(v.serialized) which is not a valid float: \(p.text)")
            }
            guard d >= 0, d <= 100 else { throw StatesError.runtime("ToleratedFailurePercentage must be between 0 and 100.") }
            fan.toleratedPercentage = d
        case nil: break
        }
        let asExecutions = fan.distributed && interpreter.mapRunsAsExecutions
        if fan.distributed && !runStarted { startMapRun(fid, keep: map.resultWriter != nil || asExecutions) }
        fan.lastIterationEndId = lastEventId(of: fid)
        withFrame(fid) { $0.fanOut = fan }
        if items.isEmpty {
            fanOutSucceeded(fid)
        } else if asExecutions {
            runAsChildExecutions(fid, frame, state, map, fan)
        } else {
            startMapIterations(fid)
        }
    }

    var accountId: String {
        ARN(s.context.stateMachineArn)?.account ?? "000000000000"
    }

    /// Starts iterations while MaxConcurrency allows (0 means no limit).
    mutating func startMapIterations(_ fid: Int) {
        guard let frame = s.frames[fid], frame.fanOut != nil, let state = state(of: frame),
              case .map(let map) = state.kind else { return }
        // Taken out of the frame so its arrays and sets are uniquely referenced while they change.
        var taken: FanOut?
        withFrame(fid) { taken = $0.fanOut.take() }
        guard var fan = taken else { return brokenInvariant("map state \(state.name) has no iterations in progress") }
        var started: [Int] = []
        while fan.nextToStart < fan.itemInputs.count && (fan.maxConcurrency == 0 || fan.running.count < fan.maxConcurrency) {
            let index = fan.nextToStart
            fan.nextToStart += 1
            let item = fan.itemInputs[index]
            var input = item
            if state.isJSONata, let selector = map.jsonataItemSelector {
                do throws(StatesError) {
                    var states = StatesBinding(input: frame.input, context: contextFacts(frame, mapItem: (index, item)))
                    input = try evaluate(selector, field: "ItemSelector", frame, &states)
                } catch {
                    withFrame(fid) { $0.fanOut = fan }
                    fail(fid, error)
                    return
                }
            } else if let selector = map.itemSelector {
                do throws(StatesError) {
                    input = try DataFlow.apply(selector, scope: scope(frame, input: fan.effectiveInput, mapItem: (index, item)), random: &s.random)
                } catch {
                    withFrame(fid) { $0.fanOut = fan }
                    fail(fid, error)
                    return
                }
            }
            let silent = frame.silent || fan.distributed
            var last = lastEventId(of: fid)
            if !silent {
                last = emit(nil, "MapIterationStarted", "mapIterationStartedEventDetails",
                            EventDetails.iteration(name: state.name, index: index), prev: last)
            }
            let machine = childMachines(frame)[0]
            let c = newFrame(machine: machine, input: input, parent: fid, slot: index, lastEventId: last, silent: silent)
            fan.children[index] = c
            fan.running.insert(index)
            started.append(c)
        }
        withFrame(fid) { $0.fanOut = fan }
        for c in started { enqueue(c) }
    }

    mutating func childSucceeded(_ parent: Int, child: Frame, output: JSON) {
        guard let parentFrame = s.frames[parent] else { return brokenInvariant("the parent of a finished branch (frame \(parent)) is gone") }
        guard var fan = parentFrame.fanOut, let pstate = state(of: parentFrame) else { return }
        fan.results[child.slot] = output
        fan.running.remove(child.slot)
        fan.children.removeValue(forKey: child.slot)
        fan.completed += 1
        if fan.isMap && !child.silent {
            fan.lastIterationEndId = emit(nil, "MapIterationSucceeded", "mapIterationSucceededEventDetails",
                                          EventDetails.iteration(name: pstate.name, index: child.slot), prev: child.lastEventId)
        } else if !child.silent {
            fan.lastIterationEndId = child.lastEventId
        }
        if !child.silent { withFrame(parent) { $0.lastEventId = child.lastEventId } }
        withFrame(parent) { $0.fanOut = fan }
        if fan.completed == fan.results.count {
            fanOutSucceeded(parent)
        } else if fan.isMap {
            startMapIterations(parent)
        }
    }

    mutating func fanOutSucceeded(_ fid: Int) {
        guard let frame = s.frames[fid], let fan = frame.fanOut, let state = state(of: frame) else { return }
        withFrame(fid) { $0.fanOut = nil }
        if fan.distributed, case .map(let map) = state.kind, writeMapRunResults(fid, frame, state, map, fan) { return }
        if fan.distributed, mapRun(fid) != nil { setMapRun(fid, nil) }
        var prev = fan.lastIterationEndId
        if fan.distributed {
            prev = emit(fid, "MapRunSucceeded")
        }
        // AWS points both the Succeeded and the Exited event at the same predecessor.
        emit(fid, state.typeName + "StateSucceeded", prev: prev, advance: false)
        withFrame(fid) { $0.lastEventId = prev }
        finishFanOut(fid, frame, state, output: JSON.array(fan.results.map { $0 ?? .null }))
    }

    /// The end of a Parallel or Map state: its ResultSelector, then the state's own finish.
    mutating func finishFanOut(_ fid: Int, _ frame: Frame, _ state: State, output: JSON) {
        do throws(StatesError) {
            var result = output
            if let selector = state.resultSelector {
                result = try DataFlow.apply(selector, scope: scope(frame, input: output), random: &s.random)
            }
            guard let finished = s.frames[fid] else { return brokenInvariant("the frame of \(state.name) ended twice") }
            try finishState(fid, finished, state, result: result)
        } catch {
            fail(fid, error)
        }
    }

    mutating func childFailed(_ parent: Int, child: Frame, error: StatesError) {
        guard let parentFrame = s.frames[parent] else { return brokenInvariant("the parent of a finished branch (frame \(parent)) is gone") }
        guard var fan = parentFrame.fanOut, let pstate = state(of: parentFrame) else { return }
        fan.running.remove(child.slot)
        fan.children.removeValue(forKey: child.slot)
        if fan.isMap && !child.silent {
            emit(nil, "MapIterationFailed", "mapIterationFailedEventDetails",
                 EventDetails.iteration(name: pstate.name, index: child.slot), prev: child.lastEventId)
        }
        if !child.silent { withFrame(parent) { $0.lastEventId = child.lastEventId } }
        fan.failures += 1
        let tolerant = fan.toleratedCount != nil || fan.toleratedPercentage != nil
        var exceeded = !tolerant
        if tolerant {
            let total = max(1, fan.results.count)
            if let n = fan.toleratedCount, fan.failures > n { exceeded = true }
            if let p = fan.toleratedPercentage, Double(fan.failures) * 100 / Double(total) > p { exceeded = true }
        }
        if !exceeded {
            fan.completed += 1
            fan.results[child.slot] = .null
            withFrame(parent) { $0.fanOut = fan }
            if fan.completed == fan.results.count {
                fanOutSucceeded(parent)
            } else {
                startMapIterations(parent)
            }
            return
        }
        // A Parallel records the state each branch was in as aborted, the failed one included
        // (AWS: TaskFailed, then TaskStateAborted), unless it ended in a Fail state.
        if !fan.isMap && !child.silent, let st = state(of: child) {
            if case .fail = st.kind {} else {
                let aborted = emit(nil, st.typeName + "StateAborted", prev: child.lastEventId)
                withFrame(parent) { $0.lastEventId = aborted }
            }
        }
        // Abort the siblings still running.
        for (slot, cfid) in fan.children.sorted(by: { $0.key < $1.key }) {
            let wasSilent = s.frames[cfid]?.silent ?? true
            let last = s.frames[cfid]?.lastEventId ?? 0
            let entered = s.frames[cfid].map { $0.phase != .enter } ?? false
            let siblingState = s.frames[cfid].flatMap { state(of: $0) }
            abortFrame(cfid)
            if fan.isMap && !wasSilent {
                emit(nil, "MapIterationAborted", "mapIterationAbortedEventDetails",
                     EventDetails.iteration(name: pstate.name, index: slot), prev: last)
            } else if !wasSilent, entered, let st = siblingState {
                emit(nil, st.typeName + "StateAborted", prev: last)
            }
        }
        withFrame(parent) { $0.fanOut = nil }
        withFrame(parent) { $0.phase = .blocked }
        if fan.distributed {
            setMapRun(parent, nil)
            emit(parent, "MapRunFailed", "mapRunFailedEventDetails", EventDetails.failure(error))
        }
        let failure = tolerant
            ? StatesError(StatesError.exceedToleratedFailureThreshold, "The specified tolerated failure threshold was exceeded")
            : error
        failFanOut(parent, failure)
    }

    /// A Parallel or Map state whose children failed: Retry re-runs it; otherwise it reports
    /// `…StateFailed` before Catch or propagation.
    mutating func failFanOut(_ fid: Int, _ error: StatesError) {
        guard let frame = s.frames[fid], let state = state(of: frame) else { return }
        if let i = state.retry.firstIndex(where: { error.matches($0.errorEquals) }), frame.retryCounts[i] < state.retry[i].maxAttempts {
            fail(fid, error)
            return
        }
        // A Map reports MapStateFailed before its Catch; a Parallel whose Catch handles the
        // failure goes straight to ParallelStateExited (as AWS records them).
        var isParallel = false
        if case .parallel = state.kind { isParallel = true }
        if !(isParallel && state.catchers.contains { error.matches($0.errorEquals) }) {
            emit(fid, state.typeName + "StateFailed")
        }
        fail(fid, error)
    }

    /// Removes a frame and everything under it, cancelling their tasks and timers.
    mutating func abortFrame(_ fid: Int) {
        guard let frame = s.frames.removeValue(forKey: fid) else { return }
        if s.mapRuns?[fid] != nil { setMapRun(fid, nil) }
        cancelTaskOf(frame)
        for cid in s.frames.children(of: fid) { abortFrame(cid) }
    }
}
