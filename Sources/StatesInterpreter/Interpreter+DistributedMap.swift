import StatesLanguage

/// A Distributed Map's Map Run: its items read through the ItemReader's resource (an effect,
/// like a Task's, whose answer comes back as a trigger), batched by its ItemBatcher, and its
/// results written through the ResultWriter's resource before the state ends. Between those
/// points `s.mapRuns[frame]` holds the run's ARN and what it waits for.
extension Step {
    /// Records MapRunStarted under a new Map Run ARN; `keep`: remembered for the run's end.
    mutating func startMapRun(_ fid: Int, keep: Bool) {
        let run = "arn:aws:states:\(interpreter.region):\(accountId):mapRun:\(s.context.stateMachineName)/\(s.random.uuid()):\(s.random.uuid())"
        emit(fid, "MapRunStarted", "mapRunStartedEventDetails", ["mapRunArn": .string(run)])
        if keep { setMapRun(fid, ["arn": .string(run)]) }
    }

    mutating func setMapRun(_ fid: Int, _ value: JSONObject?) {
        var runs = s.mapRuns ?? [:]
        runs[fid] = value.map { .object($0) }
        s.mapRuns = runs.isEmpty ? nil : runs
    }

    func mapRun(_ fid: Int) -> JSONObject? { s.mapRuns?[fid]?.objectValue }

    /// The reader's request, then MapStateStarted (AWS records length 0: the items are not
    /// known yet), MapRunStarted, and the read itself.
    mutating func beginItemRead(_ fid: Int, _ frame: Frame, _ state: State, _ reader: ItemReader, effective: JSON,
                                states: inout StatesBinding) throws(StatesError) {
        var parameters = JSON.object([:])
        if state.isJSONata, let arguments = reader.arguments {
            parameters = try evaluate(arguments, field: "ItemReader.Arguments", frame, &states)
        } else if let p = reader.parameters {
            parameters = try DataFlow.apply(p, scope: scope(frame, input: effective), random: &s.random)
        }
        // An inventory manifest is read with the files it names: the reader is told so (the
        // read records no Task events, so this is not in the history).
        if reader.config.inputType == "MANIFEST", case .object(var o) = parameters {
            o["InputType"] = "MANIFEST"
            parameters = .object(o)
        }
        emit(fid, "MapStateStarted", "mapStateStartedEventDetails", ["length": 0])
        startMapRun(fid, keep: true)
        var run = mapRun(fid) ?? [:]
        run["phase"] = "read"
        setMapRun(fid, run)
        invokeForMapRun(fid, state, resource: reader.resource, parameters: parameters, effective: effective, purpose: "read")
    }

    /// An invocation of the map run's own (no Task events: AWS records none for them).
    mutating func invokeForMapRun(_ fid: Int, _ state: State, resource: String, parameters: JSON, effective: JSON, purpose: String) {
        let taskId = TaskID(s.nextTaskId)
        s.nextTaskId += 1
        withFrame(fid) { $0.task = PendingTask(id: taskId, kind: ResourceKind(arn: resource), resource: resource, effectiveInput: effective) }
        s.tasks[taskId] = fid
        let run = mapRun(fid)?["arn"]?.stringValue ?? ""
        decision.effects.append(.invokeTask(TaskInvocation(
            id: taskId, stateName: state.name, resource: resource, parameters: parameters, timeoutSeconds: nil, heartbeatSeconds: nil,
            taskToken: nil, idempotencyKey: "\(run)/\(purpose)/\(taskId.rawValue)", traceHeader: traceHeader ?? s.context.traceHeader)))
    }

    /// Whether a finished task was the read or the write of a map run (and handled as such).
    mutating func mapRunTaskEnded(_ fid: Int, _ outcome: Result<JSON, StatesError>) -> Bool {
        guard let run = mapRun(fid), let phase = run["phase"]?.stringValue, s.frames[fid]?.task != nil else { return false }
        guard let task = clearTask(fid), let frame = s.frames[fid], let state = state(of: frame), case .map(let map) = state.kind else {
            return true
        }
        var rest = run
        rest["phase"] = nil
        setMapRun(fid, rest)
        switch (phase, outcome) {
        case ("read", .success(let output)):
            guard let reader = map.itemReader else { return true }
            do throws(StatesError) {
                var states = StatesBinding(input: frame.input, context: contextFacts(frame))
                let effective = task.effectiveInput
                var maxItems: Int?
                if case .path(let p)? = reader.config.maxItems {
                    let v = try scope(frame, input: effective).value(of: p, field: "MaxItemsPath")
                    guard let n = v.integerValue ?? v.stringValue.flatMap({ Int64($0) }), n >= 0 else {
                        throw StatesError.runtime("The MaxItemsPath field refers to value \(v.serialized) which is not a valid integer: \(p.text)")
                    }
                    maxItems = Int(n)
                } else {
                    maxItems = try integer(reader.config.maxItems, field: "MaxItems", frame, &states)
                }
                let items = try ItemSource.items(output, reader: reader, maxItems: maxItems)
                let concurrency = try mapMaxConcurrency(frame, map, effective, &states)
                try startFanOut(fid, frame, state, map, items: items, effective: effective, maxConcurrency: concurrency, states: &states,
                                runStarted: true)
            } catch {
                mapRunFailed(fid, error)
            }
        case ("read", .failure(let error)):
            mapRunFailed(fid, StatesError(StatesError.itemReaderFailed, [error.error, error.cause].compactMap { $0 }.joined(separator: ": ")))
        case ("run", .success(let output)):
            guard var fan = frame.fanOut, let results = output["Results"]?.arrayValue, results.count == fan.results.count else {
                brokenInvariant("the map run of \(state.name) answered without a result for each item")
                return true
            }
            fan.results = results.map { Optional($0) }
            fan.completed = results.count
            fan.lastIterationEndId = lastEventId(of: fid)
            withFrame(fid) { $0.fanOut = fan }
            fanOutSucceeded(fid)
        case ("run", .failure(let error)):
            mapRunFailed(fid, error)
        case ("write", .success):
            finishMapRun(fid, output: run["output"] ?? .null, prev: Int(run["prev"]?.integerValue ?? 0))
        case ("write", .failure(let error)):
            mapRunFailed(fid, StatesError(StatesError.resultWriterFailed, [error.error, error.cause].compactMap { $0 }.joined(separator: ": ")))
        default:
            brokenInvariant("a map run of \(state.name) waited for '\(phase)'")
        }
        return true
    }

    /// The iterations as child executions: every item's input (after ItemSelector) handed to
    /// the map run's own task with the processor's definition and the run's limits; its answer
    /// (each child's output in item order, or the run's failure) ends the fan-out.
    mutating func runAsChildExecutions(_ fid: Int, _ frame: Frame, _ state: State, _ map: MapState, _ fan: FanOut) {
        guard let run = mapRun(fid)?["arn"]?.stringValue, let definition = map.processor.source else {
            return brokenInvariant("the distributed map \(state.name) has no map run or processor definition")
        }
        var inputs: [JSON] = []
        inputs.reserveCapacity(fan.itemInputs.count)
        for (index, item) in fan.itemInputs.enumerated() {
            do throws(StatesError) {
                if state.isJSONata, let selector = map.jsonataItemSelector {
                    var states = StatesBinding(input: frame.input, context: contextFacts(frame, mapItem: (index, item)))
                    inputs.append(try evaluate(selector, field: "ItemSelector", frame, &states))
                } else if let selector = map.itemSelector {
                    inputs.append(try DataFlow.apply(selector, scope: scope(frame, input: fan.effectiveInput, mapItem: (index, item)),
                                                     random: &s.random))
                } else {
                    inputs.append(item)
                }
            } catch {
                fail(fid, error)
                return
            }
        }
        var parameters: JSONObject = [
            "MapRunArn": .string(run), "ExecutionArn": .string(s.context.executionArn), "Definition": .string(definition.serialized),
            "ExecutionType": .string(map.processor.executionType ?? "STANDARD"), "MaxConcurrency": .int(Int64(fan.maxConcurrency)),
            "Items": .array(inputs), "Batched": .bool(map.itemBatcher != nil), "WritesResults": .bool(map.resultWriter != nil),
        ]
        if let n = fan.toleratedCount { parameters["ToleratedFailureCount"] = .int(Int64(n)) }
        if let p = fan.toleratedPercentage { parameters["ToleratedFailurePercentage"] = .double(p) }
        var phase = mapRun(fid) ?? [:]
        phase["phase"] = "run"
        setMapRun(fid, phase)
        invokeForMapRun(fid, state, resource: Interpreter.mapRunResource, parameters: .object(parameters), effective: fan.effectiveInput,
                        purpose: "run")
    }

    mutating func mapRunFailed(_ fid: Int, _ error: StatesError) {
        setMapRun(fid, nil)
        withFrame(fid) { $0.fanOut = nil }
        withFrame(fid) { $0.phase = .blocked }
        emit(fid, "MapRunFailed", "mapRunFailedEventDetails", EventDetails.failure(error))
        failFanOut(fid, error)
    }

    /// MapRunSucceeded, then the state's own end with `output` as its result.
    mutating func finishMapRun(_ fid: Int, output: JSON, prev last: Int) {
        setMapRun(fid, nil)
        guard let frame = s.frames[fid], let state = state(of: frame) else { return }
        let prev = emit(fid, "MapRunSucceeded", prev: last)
        emit(fid, state.typeName + "StateSucceeded", prev: prev, advance: false)
        withFrame(fid) { $0.lastEventId = prev }
        finishFanOut(fid, frame, state, output: output)
    }

    /// ItemBatcher: its limits and BatchInput evaluated on the state's input.
    mutating func batch(_ items: [JSON], _ batcher: ItemBatcher, _ frame: Frame, _ state: State, effective: JSON,
                        states: inout StatesBinding) throws(StatesError) -> [JSON] {
        func limit(_ value: IntOrPath?, _ field: String, states: inout StatesBinding) throws(StatesError) -> Int? {
            if case .path(let p)? = value {
                let v = try scope(frame, input: effective).value(of: p, field: field + "Path")
                // AWS takes a number, or a string holding one (a variable assigned from text).
                guard let n = v.integerValue ?? v.stringValue.flatMap({ Int64($0) }), n >= 0 else {
                    throw StatesError.runtime("The \(field)Path field refers to value \(v.serialized) which is not a valid integer: \(p.text)")
                }
                return n == 0 ? nil : Int(n)
            }
            return try integer(value, field: field, frame, &states).flatMap { $0 == 0 ? nil : $0 }
        }
        let maxItems = try limit(batcher.maxItemsPerBatch, "MaxItemsPerBatch", states: &states)
        let maxBytes = try limit(batcher.maxInputBytesPerBatch, "MaxInputBytesPerBatch", states: &states)
        var input: JSON?
        if let t = batcher.jsonataBatchInput {
            input = try evaluate(t, field: "BatchInput", frame, &states)
        } else if let p = batcher.batchInput {
            input = try DataFlow.apply(p, scope: scope(frame, input: effective), random: &s.random)
        }
        return try ItemSource.batches(items, maxItems: maxItems, maxBytes: maxBytes ?? 256 * 1024, batchInput: input)
    }

    /// A finished Distributed Map with a ResultWriter: its results written (an effect), or,
    /// with only a WriterConfig, transformed into the state's result. False when it has none.
    mutating func writeMapRunResults(_ fid: Int, _ frame: Frame, _ state: State, _ map: MapState, _ fan: FanOut) -> Bool {
        guard let writer = map.resultWriter, let run = mapRun(fid), let arn = run["arn"]?.stringValue else { return false }
        let outputs = fan.results.map { $0 ?? .null }
        do throws(StatesError) {
            guard !writer.resource.isEmpty else {
                finishMapRun(fid, output: ResultFiles.transformed(outputs, writer.transformation), prev: fan.lastIterationEndId)
                return true
            }
            var states = StatesBinding(input: frame.input, context: contextFacts(frame))
            var parameters = JSON.object([:])
            if state.isJSONata, let a = writer.arguments {
                parameters = try evaluate(a, field: "ResultWriter.Arguments", frame, &states)
            } else if let p = writer.parameters {
                parameters = try DataFlow.apply(p, scope: scope(frame, input: fan.effectiveInput), random: &s.random)
            }
            guard let bucket = parameters["Bucket"]?.stringValue else {
                throw StatesError(StatesError.resultWriterFailed, "The ResultWriter's parameters must name a Bucket.")
            }
            let files = ResultFiles(runArn: arn, bucket: bucket, prefix: parameters["Prefix"]?.stringValue ?? "",
                                    stateMachineArn: s.context.stateMachineArn, now: now)
            let objects = files.objects(inputs: fan.itemInputs, outputs: outputs, writer: writer)
            var next = run
            next["phase"] = "write"
            next["prev"] = .int(Int64(fan.lastIterationEndId))
            next["output"] = ["MapRunArn": .string(arn), "ResultWriterDetails": ["Bucket": .string(bucket), "Key": .string(files.manifestKey)]]
            setMapRun(fid, next)
            invokeForMapRun(fid, state, resource: writer.resource, parameters: ["Bucket": .string(bucket), "Objects": .array(objects)],
                            effective: fan.effectiveInput, purpose: "write")
        } catch {
            mapRunFailed(fid, error)
        }
        return true
    }
}
