import StatesLanguage

extension Step {
    /// Runs the current state of a frame after its Entered event.
    mutating func execute(_ fid: Int, _ state: State) {
        guard let frame = s.frames[fid] else { return }
        do throws(StatesError) {
            if state.isJSONata {
                switch state.kind {
                case .task(let task): try executeTask(fid, frame, state, task)
                case .parallel(let branches): try executeParallel(fid, frame, state, branchCount: branches.count)
                case .map(let map): try executeMap(fid, frame, state, map)
                default: try executeJSONata(fid, frame, state)
                }
                return
            }
            switch state.kind {
            case .pass(let result):
                let effective = try select(state.inputPath, from: frame.input, frame)
                var value = effective
                if let result {
                    value = result
                } else if let p = state.parameters {
                    value = try DataFlow.apply(p, scope: scope(frame, input: effective), random: &s.random)
                }
                try finishState(fid, frame, state, result: value)
            case .choice(let choice):
                let effective = try select(state.inputPath, from: frame.input, frame)
                let matched = try ChoiceEvaluator.matchingRule(choice, scope: scope(frame, input: effective))
                guard let next = matched?.next ?? choice.defaultNext else {
                    throw StatesError(StatesError.noChoiceMatched, "No Matches!")
                }
                let assigned = try evaluateAssign(matched != nil ? matched?.assign : state.assign, frame, value: effective, states: nil)
                let output = try select(state.outputPath, from: effective, frame)
                exitState(fid, output: output, next: next, assigned: assigned)
            case .wait(let wait):
                let effective = try select(state.inputPath, from: frame.input, frame)
                startWait(fid, due: try dueTime(wait, input: effective, frame))
            case .succeed:
                let effective = try select(state.inputPath, from: frame.input, frame)
                let assigned = try evaluateAssign(state.assign, frame, value: effective, states: nil)
                let output = try select(state.outputPath, from: effective, frame)
                try succeed(fid, state, output: output, assigned: assigned)
            case .fail(let f):
                let sc = scope(frame, input: frame.input)
                let error = try failField(f.error, field: "ErrorPath", scope: sc)
                let cause = try failField(f.cause, field: "CausePath", scope: sc)
                frameFailed(fid, StatesError(error ?? "", cause))
            case .task(let task):
                try executeTask(fid, frame, state, task)
            case .parallel(let branches):
                try executeParallel(fid, frame, state, branchCount: branches.count)
            case .map(let map):
                try executeMap(fid, frame, state, map)
            }
        } catch {
            fail(fid, error)
        }
    }

    /// A Succeed state exits and ends its frame (it has no Next to move to).
    mutating func succeed(_ fid: Int, _ state: State, output: JSON, assigned: JSONObject?) throws(StatesError) {
        var details = EventDetails.stateExited(name: state.name, output: output)
        if let assigned {
            try store(assigned, in: fid)
            EventDetails.assigned(assigned, into: &details)
        }
        emit(fid, "SucceedStateExited", "stateExitedEventDetails", details)
        frameSucceeded(fid, output: output)
    }

    /// Assign (which sees the result), ResultPath and OutputPath (which do not see what Assign
    /// set), then the state exits. JSONata states: Assign and Output.
    mutating func finishState(_ fid: Int, _ frame: Frame, _ state: State, result: JSON) throws(StatesError) {
        if state.isJSONata {
            try finishJSONata(fid, frame, state, result: result)
            return
        }
        let assigned = try evaluateAssign(state.assign, frame, value: result, states: nil)
        let placed = try DataFlow.place(result, into: frame.input, at: state.resultPath)
        let output = try select(state.outputPath, from: placed, frame)
        exitState(fid, output: output, assigned: assigned)
    }

    func failField(_ field: FailState.Field?, field name: String, scope: Scope) throws(StatesError) -> String? {
        guard let field else { return nil }
        var random = RandomSource(seed: 0)
        let value: JSON
        switch field {
        case .value(let v): return v
        case .path(let p): value = try scope.value(of: p, field: name)
        case .intrinsic(let call): value = try Intrinsics.evaluate(call, scope: scope, random: &random)
        case .expression: return nil
        }
        guard case .string(let text) = value else {
            throw StatesError.runtime("The \(name) field must reference a string value: \(value.serialized)")
        }
        return text
    }

    func effectiveWaitInput(_ frame: Frame, _ state: State) throws(StatesError) -> JSON {
        try select(state.inputPath, from: frame.input, frame)
    }

    func dueTime(_ wait: WaitState, input: JSON, _ frame: Frame) throws(StatesError) -> Timestamp {
        switch wait.duration {
        case .seconds(let n):
            return now.adding(seconds: Int64(n))
        case .secondsPath(let p):
            let v = try scope(frame, input: input).value(of: p, field: "SecondsPath")
            guard let n = v.integerValue, n >= 0 else {
                throw StatesError.runtime("The SecondsPath parameter does not reference a valid integer value: \(p.text) == \(v.serialized)")
            }
            return now.adding(seconds: n)
        case .timestamp(let t):
            return Timestamp(iso8601: t) ?? now
        case .secondsExpression, .timestampExpression:
            return now
        case .timestampPath(let p):
            let v = try scope(frame, input: input).value(of: p, field: "TimestampPath")
            guard case .string(let text) = v, let t = Timestamp(iso8601: text) else {
                let shown: String
                if case .string(let text) = v { shown = text } else { shown = v.serialized }
                throw StatesError.runtime(
                    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: \(p.text) == \(shown)")
            }
            return t
        }
    }

    func resolve(_ value: IntOrPath?, field: String, input: JSON, _ frame: Frame) throws(StatesError) -> Int? {
        guard let value else { return nil }
        switch value {
        case .value(let n): return n
        case .expression: return nil
        case .path(let p):
            let v = try scope(frame, input: input).value(of: p, field: field)
            guard let n = v.integerValue, n > 0 else {
                throw StatesError.runtime("The \(field) field refers to value \(v.serialized) which is not a valid integer: \(p.text)")
            }
            return Int(n)
        }
    }

    // MARK: errors

    /// A state failed: Retry, then Catch, then the failure propagates (ASL spec, "Error Handling").
    mutating func fail(_ fid: Int, _ error: StatesError) {
        guard let frame = s.frames[fid], let state = state(of: frame) else { return }
        var error = error
        // Runtime errors end the execution; Retry and Catch do not see them.
        if error.error == StatesError.runtime {
            error.cause = "An error occurred while executing the state '\(state.name)' (entered at the event id #\(frame.enteredEventId)). "
                + (error.cause ?? "")
            failExecution(error, prev: frame.lastEventId)
            return
        }
        // A JSONata evaluation failure is recorded where it happened (EvaluationFailed), then
        // handled like any other error: Retry and Catch see it.
        if error.error == StatesError.queryEvaluationError, error.location != "" {
            error.cause = "An error occurred while executing the state '\(state.name)' (entered at the event id #\(frame.enteredEventId)). "
                + (error.cause ?? "")
            var details = JSONObject()
            details.appendUnchecked("cause", .string(error.cause ?? ""))
            details.appendUnchecked("error", .string(error.error))
            if let location = error.location { details.appendUnchecked("location", .string(location)) }
            details.appendUnchecked("state", .string(state.name))
            // AWS chains it to the event before the state's Entered event, except in a Wait
            // state (whose Timestamp is evaluated after it entered).
            var prev = frame.enteredPreviousId
            if case .wait = state.kind { prev = frame.enteredEventId }
            emit(fid, "EvaluationFailed", "evaluationFailedEventDetails", details, prev: prev)
            // Recorded once: a retry or a parent sees the error without a location marker.
            error.location = ""
            let retries = state.retry.firstIndex { error.matches($0.errorEquals) }.map { frame.retryCounts[$0] < state.retry[$0].maxAttempts } ?? false
            switch state.kind {
            case .map, .parallel:
                if !retries { emit(fid, state.typeName + "StateFailed") }
            default: break
            }
        }
        if let i = state.retry.firstIndex(where: { error.matches($0.errorEquals) }) {
            let r = state.retry[i]
            let attempt = frame.retryCounts[i]
            if attempt < r.maxAttempts {
                var delay = Double(r.intervalSeconds) * pow(r.backoffRate, attempt)
                if let cap = r.maxDelaySeconds { delay = min(delay, Double(cap)) }
                if r.jitterFull { delay = s.random.nextDouble() * delay }
                withFrame(fid) { $0.retryCounts[i] += 1 }
                withFrame(fid) { $0.phase = .blocked }
                let timer = newTimer(.retry(frame: fid))
                decision.effects.append(.startTimer(timer, dueAt: now.adding(milliseconds: Int64((delay * 1000).rounded()))))
                return
            }
        }
        if let catcher = state.catchers.first(where: { error.matches($0.errorEquals) }) {
            do throws(StatesError) {
                if state.isJSONata {
                    var states = StatesBinding(input: frame.input, context: contextFacts(frame), errorOutput: error.payload)
                    let assigned = try evaluateAssign(catcher.assign, frame, value: error.payload, states: states, field: "Catch/Assign")
                    let output = try catcher.output.map { t throws(StatesError) in try evaluate(t, field: "Catch/Output", frame, &states) }
                        ?? error.payload
                    exitState(fid, output: output, next: catcher.next, assigned: assigned)
                } else {
                    let assigned = try evaluateAssign(catcher.assign, frame, value: error.payload, states: nil)
                    let output = try DataFlow.place(error.payload, into: frame.input, at: catcher.resultPath)
                    exitState(fid, output: output, next: catcher.next, assigned: assigned)
                }
            } catch {
                failExecution(error, prev: frame.lastEventId)
            }
            return
        }
        frameFailed(fid, error)
    }

    /// The frame ends in failure without handling: report to the parent, or fail the execution.
    mutating func frameFailed(_ fid: Int, _ error: StatesError) {
        guard let frame = s.frames.removeValue(forKey: fid) else { return }
        cancelTaskOf(frame)
        if let parent = frame.parent {
            childFailed(parent, child: frame, error: error)
        } else {
            failExecution(error, prev: frame.lastEventId)
        }
    }

    mutating func cancelTaskOf(_ frame: Frame) {
        if let t = frame.task, s.tasks.removeValue(forKey: t.id) != nil { decision.effects.append(.cancelTask(t.id)) }
        for timer in frame.taskTimers where s.timers.removeValue(forKey: timer) != nil {
            decision.effects.append(.cancelTimer(timer))
        }
        for (timer, purpose) in s.timers {
            switch purpose {
            case .wait(let f), .retry(let f), .taskTimeout(let f, _), .heartbeat(let f, _):
                if f == frame.id {
                    s.timers.removeValue(forKey: timer)
                    decision.effects.append(.cancelTimer(timer))
                }
            case .executionTimeout: break
            }
        }
    }
}

func pow(_ base: Double, _ exponent: Int) -> Double {
    var r = 1.0
    for _ in 0..<max(0, exponent) { r *= base }
    return r
}
