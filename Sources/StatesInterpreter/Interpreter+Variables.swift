import StatesLanguage

/// Variables (`Assign`): each thread of control has a scope. The top level's lives in the
/// execution state (so a redrive keeps it); a Map iteration's or Parallel branch's lives in
/// its frame. A frame reads its own scope, then its parents'; it writes only its own.
extension Step {
    /// The scopes a frame sees, innermost first. Empty (no allocation) when nothing is set.
    func visibleVariables(_ frame: Frame) -> [JSONObject] {
        var scopes: [JSONObject] = []
        if case .object(let o)? = frame.variables, !o.isEmpty { scopes.append(o) }
        // Walk the parents by id, reading fields in place (a Frame copy would retain all it holds).
        var parent = frame.parent
        while let p = parent {
            // AWS: a Distributed Map's child executions do not see the parent's variables.
            if s.frames.slots[p]?.fanOut?.distributed == true { return scopes }
            if case .object(let o)? = s.frames.slots[p]?.variables, !o.isEmpty { scopes.append(o) }
            parent = s.frames.slots[p]?.parent
        }
        if case .object(let o)? = s.variables, !o.isEmpty { scopes.append(o) }
        return scopes
    }

    /// Evaluates an `Assign` field: JSONPath templates against `value` (the state's result, or
    /// its error output in a Catch), JSONata templates with `$states`. Nil for no Assign (or
    /// an empty one, which AWS does not record). Evaluated before the state's output, against
    /// the variables as they were when the state began.
    mutating func evaluateAssign(_ assignment: Assignment?, _ frame: Frame, value: JSON, states: StatesBinding?,
                                 field: String = "Assign") throws(StatesError) -> JSONObject? {
        guard let assignment, !assignment.isEmpty else { return nil }
        let result: JSON
        switch assignment {
        case .jsonPath(let template):
            result = try DataFlow.apply(template, scope: scope(frame, input: value), random: &s.random)
        case .jsonata(let template):
            var bindings = states ?? StatesBinding(input: frame.input, context: contextFacts(frame))
            result = try evaluate(template, field: field, frame, &bindings)
        }
        guard case .object(let values) = result else { return nil }
        // AWS's limit: the values one Assign sets may total at most 256 KiB.
        var total = 0
        for (k, v) in values { total += k.utf8.count + v.serializedByteCount }
        if total > DataFlow.maximumPayloadBytes {
            throw StatesError(StatesError.dataLimitExceeded,
                "The variables assigned by the state '\(state(of: frame)?.name ?? "")' exceed the maximum size of \(DataFlow.maximumPayloadBytes) bytes.")
        }
        return values
    }

    /// Stores assigned values in the frame's own scope. AWS's limit: the variables of an
    /// execution may total at most 10 MiB; past it the state fails (and nothing is stored).
    mutating func store(_ assigned: JSONObject, in fid: Int) throws(StatesError) {
        guard let frame = s.frames[fid] else { return }
        let isTop = frame.parent == nil
        var o = (isTop ? s.variables : frame.variables)?.objectValue ?? JSONObject()
        var delta = 0
        for (k, v) in assigned {
            if let old = o[k] { delta -= k.utf8.count + old.serializedByteCount }
            delta += k.utf8.count + v.serializedByteCount
            o[k] = v
        }
        let total = s.variableBytes + delta
        if total > Self.maximumVariableBytes {
            throw StatesError(StatesError.dataLimitExceeded,
                "The variables of the execution would total \(total) bytes, more than the maximum of \(Self.maximumVariableBytes) bytes.")
        }
        s.variableBytes = total
        if isTop { s.variables = .object(o) } else { withFrame(fid) { $0.variables = .object(o) } }
    }

    /// AWS: "the total size of the variables of an execution is limited to 10 MiB".
    static let maximumVariableBytes = 10 * 1024 * 1024
}

extension EventDetails {
    /// `assignedVariables` as AWS records it: each value as JSON text.
    static func assigned(_ values: JSONObject, into details: inout JSONObject) {
        var rendered = JSONObject(minimumCapacity: values.count)
        for (k, v) in values { rendered.appendUnchecked(k, .string(v.serialized)) }
        details.appendUnchecked("assignedVariables", .object(rendered))
        details.appendUnchecked("assignedVariablesDetails", notTruncated)
    }
}
