import StatesLanguage

extension StateTest {
    /// DEBUG's and TRACE's `inspectionData`: the value after each step of the state's data
    /// flow, as AWS names them (data as JSON text; counts as numbers).
    func inspectData(into inspection: inout JSONObject, invocation: TaskInvocation?, outcome: TaskOutcome?,
                     events: [HistoryEvent], items: MapItems) {
        func text(_ v: JSON) -> JSON { .string(v.serialized) }
        var result: JSON?
        if invocation != nil || standsIn, case .succeeded(let v)? = outcome { result = v }
        if compiled.isJSONata {
            if let p = invocation?.parameters, isTask { inspection["afterArguments"] = text(p) }
            if let result { inspection["result"] = text(result) }
        } else {
            let afterInput = try? DataFlow.select(compiled.inputPath, from: input, context: { .null })
            if let afterInput { inspection["afterInputPath"] = text(afterInput) }
            var random = RandomSource(seed: 0)
            if isTask, let p = invocation?.parameters {
                inspection["afterParameters"] = text(p)
            } else if type != "Map", let t = compiled.parameters, let afterInput,
                      let v = try? DataFlow.apply(t, scope: Scope(input: afterInput), random: &random) {
                inspection["afterParameters"] = text(v)
            }
            if let result {
                inspection["result"] = text(result)
                var selected: JSON? = result
                if let t = compiled.resultSelector {
                    selected = try? DataFlow.apply(t, scope: Scope(input: result), random: &random)
                    if let selected { inspection["afterResultSelector"] = text(selected) }
                }
                if let selected, let placed = try? DataFlow.place(selected, into: input, at: compiled.resultPath) {
                    inspection["afterResultPath"] = text(placed)
                }
            } else if type == "Pass", case .pass(let given) = compiled.kind {
                let value = given ?? (inspection["afterParameters"]?.stringValue).flatMap { try? JSONParser.parse($0) } ?? afterInput
                if let value, let placed = try? DataFlow.place(value, into: input, at: compiled.resultPath) {
                    inspection["afterResultPath"] = text(placed)
                }
            }
        }
        if type == "Map", case .map(let map) = compiled.kind {
            if let p = items.path, !compiled.isJSONata { inspection["afterItemsPath"] = text(p) }
            if let p = items.pointer { inspection["afterItemsPointer"] = text(p) }
            if let b = items.batched { inspection["afterItemBatcher"] = text(b) }
            if let s = items.selected { inspection["afterItemSelector"] = text(s) }
            switch map.maxConcurrency {
            case .value(let n): inspection["maxConcurrency"] = .int(Int64(n))
            case .path(let p):
                if let n = (try? DataFlow.select(p, from: input, context: { .null }))?.integerValue.map { Int($0) } { inspection["maxConcurrency"] = .int(Int64(n)) }
            case .expression: break
            }
            if let n = tolerated(map.toleratedFailureCount) { inspection["toleratedFailureCount"] = .int(Int64(n)) }
            if let p = toleratedPercentage(map.toleratedFailurePercentage) { inspection["toleratedFailurePercentage"] = .double(p) }
        }
        // The variables after the state: those given, then what its Assign set.
        var after = variables ?? JSONObject()
        let exit = events.first { $0.type.hasSuffix("StateExited") && $0.details["name"] == .string(name) }
        if case .object(let assigned)? = exit?.details["assignedVariables"] {
            for (k, v) in assigned { after[k] = v.stringValue.flatMap { try? JSONParser.parse($0) } ?? v }
        }
        if !after.isEmpty { inspection["variables"] = .string(JSON.object(after).serialized) }
    }
}
