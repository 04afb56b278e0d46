import Foundation
import JSONata
import StatesLanguage

/// `$states` for a state's expressions: its input and context object and, once known, its
/// result or error output. Converted to the evaluator's form once, however many expressions
/// read it; the context object is built only for expressions that can read it.
struct StatesBinding {
    var input: JSON
    var context: ContextObject
    var result: JSON? = nil { didSet { clear() } }
    var errorOutput: JSON? = nil { didSet { clear() } }
    private var full: JSONata.Value? = nil
    private var withoutContext: JSONata.Value? = nil

    init(input: JSON, context: ContextObject, result: JSON? = nil, errorOutput: JSON? = nil) {
        self.input = input
        self.context = context
        self.result = result
        self.errorOutput = errorOutput
    }

    private mutating func clear() {
        full = nil
        withoutContext = nil
    }

    mutating func value(includingContext: Bool) -> JSONata.Value {
        if includingContext, let full { return full }
        if !includingContext, let withoutContext { return withoutContext }
        var o = JSONObject(minimumCapacity: 4)
        o.appendUnchecked("input", input)
        if includingContext { o.appendUnchecked("context", context.json) }
        if let result { o.appendUnchecked("result", result) }
        if let errorOutput { o.appendUnchecked("errorOutput", errorOutput) }
        let v = JSONata.Value(.object(o))
        if includingContext { full = v } else { withoutContext = v }
        return v
    }
}

extension Step {
    /// A variable as a frame sees it (innermost scope first), without building the scope list.
    func variable(_ name: String, _ frame: Frame) -> JSON? {
        if let v = frame.variables?.objectValue?[name] { return v }
        var parent = frame.parent
        while let p = parent {
            if s.frames.slots[p]?.fanOut?.distributed == true { return nil }
            if let v = s.frames.slots[p]?.variables?.objectValue?[name] { return v }
            parent = s.frames.slots[p]?.parent
        }
        return s.variables?.objectValue?[name]
    }

    /// Evaluates a JSONata template; `field` is the location AWS names in its messages
    /// (`Output`, `Arguments/FunctionName`).
    mutating func evaluate(_ template: JSONataTemplate, field: String, _ frame: Frame,
                           _ states: inout StatesBinding) throws(StatesError) -> JSON {
        switch template {
        case .literal(let v):
            return v
        case .expression(let text):
            return try evaluateExpression(text, field: field, frame, &states)
        case .array(let items):
            var out: [JSON] = []
            out.reserveCapacity(items.count)
            for (i, item) in items.enumerated() { out.append(try evaluate(item, field: field + "/\(i)", frame, &states)) }
            return .array(out)
        case .object(let fields):
            var o = JSONObject(minimumCapacity: fields.count)
            for (k, t) in fields { o[k] = try evaluate(t, field: field + "/" + k, frame, &states) }
            return .object(o)
        }
    }

    mutating func evaluateExpression(_ text: String, field: String, _ frame: Frame,
                                     _ states: inout StatesBinding) throws(StatesError) -> JSON {
        guard let compiled = interpreter.expressions[text] else {
            throw Self.queryError("The JSONata expression '\(text)' specified for the field '\(field)' could not be compiled.", field)
        }
        var bindings: [String: JSONata.Value] = [:]
        for name in compiled.expression.variables {
            if name == "states" {
                bindings[name] = states.value(includingContext: compiled.readsContext)
            } else if let v = variable(name, frame) {
                bindings[name] = JSONata.Value(v)
            }
        }
        // Randomness and time enter as inputs drawn from the execution's state, so a replay
        // evaluates `$random()`, `$uuid()` and `$now()` exactly as the first run did.
        let seed = s.random.next()
        let result: JSON?
        do {
            result = try compiled.expression.evaluate(nil as JSONata.Value?, bindings: bindings, seed: seed,
                                           now: Date(timeIntervalSince1970: Double(now.milliseconds) / 1000))
        } catch {
            throw Self.queryError(
                "The JSONata expression '\(text)' specified for the field '\(field)' threw an error during evaluation. \(error.code): \(error.message)", field)
        }
        guard let result else {
            throw Self.queryError("The JSONata expression '\(text)' specified for the field '\(field)' returned nothing (undefined).", field)
        }
        return result
    }

    static func queryError(_ message: String, _ location: String?) -> StatesError {
        StatesError(StatesError.queryEvaluationError, message, location: location)
    }

    /// AWS's message for an expression whose value has the wrong type.
    static func wrongType(_ template: JSONataTemplate, field: String, expected: String, value: JSON) -> StatesError {
        var text = ""
        if case .expression(let e) = template { text = e } else { text = value.serialized }
        return queryError("The JSONata expression '\(text)' specified for the field '\(field)' returned an unexpected result type. "
            + "Expected '\(expected)', but was '\(value.typeName)' for value: \(value.serialized)", field)
    }

    /// An integer field that may be an expression (TimeoutSeconds, MaxConcurrency, …).
    mutating func integer(_ value: IntOrPath?, field: String, _ frame: Frame, _ states: inout StatesBinding,
                          minimum: Int64 = 0) throws(StatesError) -> Int? {
        guard let value else { return nil }
        switch value {
        case .value(let n): return n
        case .path: return nil
        case .expression(let text):
            let v = try evaluateExpression(text, field: field, frame, &states)
            guard let n = v.integerValue, v.isNumber, n >= minimum else {
                throw Self.wrongType(.expression(text), field: field, expected: "integer", value: v)
            }
            return Int(n)
        }
    }

    // MARK: states

    /// Pass, Choice, Wait, Succeed and Fail in a JSONata state (Task, Map and Parallel share
    /// their paths with JSONPath and branch where the languages differ).
    mutating func executeJSONata(_ fid: Int, _ frame: Frame, _ state: State) throws(StatesError) {
        var states = StatesBinding(input: frame.input, context: contextFacts(frame))
        switch state.kind {
        case .pass, .succeed:
            let assigned = try evaluateAssign(state.assign, frame, value: frame.input, states: states)
            let output = try state.output.map { t throws(StatesError) in try evaluate(t, field: "Output", frame, &states) } ?? frame.input
            if case .succeed = state.kind {
                try checkSize(output, state)
                try succeed(fid, state, output: output, assigned: assigned)
            } else {
                exitState(fid, output: output, assigned: assigned)
            }
        case .choice(let choice):
            var matched: ChoiceRule? = nil
            for rule in choice.choices {
                guard case .jsonata(let condition) = rule.condition else { continue }
                let v = try evaluate(condition, field: "Condition", frame, &states)
                guard case .bool(let b) = v else { throw Self.wrongType(condition, field: "Condition", expected: "boolean", value: v) }
                if b {
                    matched = rule
                    break
                }
            }
            guard let next = matched?.next ?? choice.defaultNext else {
                throw StatesError(StatesError.noChoiceMatched, "No Matches!")
            }
            let assigned = try evaluateAssign(matched?.assign ?? state.assign, frame, value: frame.input, states: states)
            let outputTemplate = matched?.output ?? state.output
            let output = try outputTemplate.map { t throws(StatesError) in try evaluate(t, field: "Output", frame, &states) } ?? frame.input
            exitState(fid, output: output, next: next, assigned: assigned)
        case .wait(let wait):
            let due: Timestamp
            switch wait.duration {
            case .secondsExpression(let text):
                let v = try evaluateExpression(text, field: "Seconds", frame, &states)
                guard let n = v.integerValue, v.isNumber, n >= 0 else {
                    throw Self.wrongType(.expression(text), field: "Seconds", expected: "integer", value: v)
                }
                due = now.adding(seconds: n)
            case .timestampExpression(let text):
                let v = try evaluateExpression(text, field: "Timestamp", frame, &states)
                guard case .string(let t) = v, let ts = Timestamp(iso8601: t) else {
                    let shown: String
                    if case .string(let t) = v { shown = t } else { shown = v.serialized }
                    throw Self.queryError(
                        "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: \(shown)", "Timestamp")
                }
                due = ts
            default:
                due = try dueTime(wait, input: frame.input, frame)
            }
            startWait(fid, due: due)
        case .fail(let f):
            let error = try failText(f.error, field: "Error", frame, &states)
            let cause = try failText(f.cause, field: "Cause", frame, &states)
            frameFailed(fid, StatesError(error ?? "", cause))
        case .task, .map, .parallel:
            break
        }
    }

    mutating func failText(_ field: FailState.Field?, field name: String, _ frame: Frame,
                           _ states: inout StatesBinding) throws(StatesError) -> String? {
        switch field {
        case nil: return nil
        case .value(let v)?: return v
        case .expression(let text)?:
            let v = try evaluateExpression(text, field: name, frame, &states)
            guard case .string(let s) = v else { throw Self.wrongType(.expression(text), field: name, expected: "string", value: v) }
            return s
        default: return nil
        }
    }

    /// A JSONata Wait state's timer fired: Assign, then Output.
    mutating func finishJSONataWait(_ fid: Int, _ frame: Frame, _ state: State) throws(StatesError) {
        var states = StatesBinding(input: frame.input, context: contextFacts(frame))
        let assigned = try evaluateAssign(state.assign, frame, value: frame.input, states: states)
        let output = try state.output.map { t throws(StatesError) in try evaluate(t, field: "Output", frame, &states) } ?? frame.input
        exitState(fid, output: output, assigned: assigned)
    }

    /// Task, Map and Parallel in a JSONata state, once the result is in: Assign (which sees
    /// `$states.result`), then Output (the result when absent).
    mutating func finishJSONata(_ fid: Int, _ frame: Frame, _ state: State, result: JSON) throws(StatesError) {
        var states = StatesBinding(input: frame.input, context: contextFacts(frame), result: result)
        let assigned = try evaluateAssign(state.assign, frame, value: result, states: states)
        let output = try state.output.map { t throws(StatesError) in try evaluate(t, field: "Output", frame, &states) } ?? result
        exitState(fid, output: output, assigned: assigned)
    }

    mutating func checkSize(_ output: JSON, _ state: State) throws(StatesError) {
        if !output.serializes(within: interpreter.maximumPayloadBytes, memo: sizes) {
            throw StatesError(StatesError.dataLimitExceeded,
                              "The state/task '\(state.name)' returned a result with a size exceeding the maximum number of bytes service limit.")
        }
    }
}
