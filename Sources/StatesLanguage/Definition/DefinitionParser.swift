/// Turns definition text into a `StateMachine`, collecting every problem as a `Diagnostic`
/// (AWS reports all of them, so a user can fix a definition in one pass).
struct DefinitionParser {
    var diagnostics: [Diagnostic] = []
    /// The Map Labels seen so far (AWS: unique within a state machine).
    var labels: Set<String> = []
    /// The JSONata expressions met so far, for the interpreter to compile.
    var collector = ExpressionCollector()
    /// The query language of the state being parsed.
    var jsonata = false

    static func parse(_ text: String) -> (StateMachine?, [Diagnostic]) {
        let json: JSON
        do {
            json = try JSONParser.parse(text, rejectingDuplicateKeys: true)
        } catch {
            let code = error.message.hasPrefix("Duplicate field") ? Diagnostic.schemaValidationFailed : Diagnostic.invalidJSON
            return (nil, [Diagnostic(code: code, message: "Invalid JSON: \(error.describe(in: text))", location: "")])
        }
        var parser = DefinitionParser()
        var machine = parser.parseMachine(json, location: "", isRoot: true, inherited: .jsonPath)
        if let m = machine { parser.checkUniqueNames(m) }
        parser.diagnostics += parser.collector.diagnostics
        machine?.expressions = parser.collector.expressions
        return (machine, parser.diagnostics)
    }

    mutating func error(_ location: String, _ message: String, code: String = Diagnostic.schemaValidationFailed) {
        diagnostics.append(Diagnostic(code: code, message: message, location: location))
    }

    static let machineFields: Set<String> = ["Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage"]
    static let branchFields: Set<String> = ["Comment", "StartAt", "States", "ProcessorConfig", "QueryLanguage"]

    mutating func parseMachine(_ json: JSON, location: String, isRoot: Bool, processor: Bool = false,
                               inherited: QueryLanguage) -> StateMachine? {
        guard case .object(let o) = json else {
            error(location, "The definition must be a JSON object.")
            return nil
        }
        let allowed = isRoot ? Self.machineFields : (processor ? Self.branchFields : Self.branchFields.subtracting(["ProcessorConfig"]))
        for k in o.keys where !allowed.contains(k) {
            error(location + "/" + JSONPointer.escape(k), "Field '\(k)' is not supported here.")
        }
        let queryLanguage = checkQueryLanguage(o, location: location, inherited: inherited) ?? inherited
        let comment = optionalString(o, "Comment", location)
        if isRoot, let v = o["Version"], v.stringValue == nil { error(location + "/Version", "The field 'Version' must be a string.") }
        var timeout: Int?
        if isRoot, let t = o["TimeoutSeconds"] {
            if let n = t.integerValue, n >= 0, n <= 99_999_999 { timeout = Int(n) } else {
                error(location + "/TimeoutSeconds", "The field 'TimeoutSeconds' must be a positive integer.")
            }
        }
        guard let startAt = o["StartAt"]?.stringValue else {
            error(location, "These fields are required: [StartAt]")
            return nil
        }
        guard case .object(let statesObject)? = o["States"] else {
            error(location, o["States"] == nil ? "These fields are required: [States]" : "The field 'States' must be an object.")
            return nil
        }
        if statesObject.isEmpty { error(location + "/States", "The field 'States' must contain at least one state.") }
        var states: [State] = []
        for (name, value) in statesObject {
            let loc = location + "/States/" + JSONPointer.escape(name)
            if name.isEmpty || name.count > 80 {
                error(loc, "State names must be 1 to 80 characters long.")
            }
            if let s = parseState(name: name, json: value, location: loc, inherited: queryLanguage) { states.append(s) }
        }
        var machine = StateMachine(comment: comment, startAt: startAt, states: states, timeoutSeconds: timeout,
                                   version: o["Version"]?.stringValue)
        machine.queryLanguage = queryLanguage
        if processor, case .object(let pc)? = o["ProcessorConfig"] {
            if let mode = pc["Mode"]?.stringValue {
                if let m = StateMachine.ProcessorMode(rawValue: mode) { machine.processorMode = m } else {
                    error(location + "/ProcessorConfig/Mode", "The value of 'Mode' must be INLINE or DISTRIBUTED.")
                }
            }
            machine.executionType = pc["ExecutionType"]?.stringValue
        }
        checkTransitions(machine, names: Set(statesObject.keys), location: location)
        return machine
    }

    /// AWS: "If the top-level QueryLanguage is JSONata, you cannot set individual states to
    /// JSONPath": a state, branch or processor may move to JSONata, never back.
    mutating func checkQueryLanguage(_ o: JSONObject, location: String, inherited: QueryLanguage) -> QueryLanguage? {
        guard let ql = o["QueryLanguage"] else { return nil }
        guard let value = ql.stringValue.flatMap(QueryLanguage.init(rawValue:)) else {
            error(location + "/QueryLanguage", "The value of 'QueryLanguage' must be JSONPath or JSONata.")
            return nil
        }
        if inherited == .jsonata, value == .jsonPath {
            error(location + "/QueryLanguage",
                  "The QueryLanguage 'JSONPath' is not allowed here: the state machine's QueryLanguage is JSONata, and a state cannot switch from JSONata back to JSONPath.")
        }
        return value
    }

    /// ASL spec: "State names MUST be unique within the scope of the whole state machine",
    /// branches and Map processors included.
    mutating func checkUniqueNames(_ root: StateMachine) {
        var seen: Set<String> = []
        func walk(_ m: StateMachine, _ location: String) {
            for s in m.states {
                let loc = location + "/States/" + JSONPointer.escape(s.name)
                if !seen.insert(s.name).inserted {
                    error(loc, "State names must be unique across the state machine: '\(s.name)' is used more than once.")
                }
                switch s.kind {
                case .parallel(let branches):
                    for (i, b) in branches.enumerated() { walk(b, loc + "/Branches/\(i)") }
                case .map(let map):
                    walk(map.processor, loc + "/ItemProcessor")
                default: break
                }
            }
        }
        walk(root, "")
    }

    /// Every Next must name a state of the same machine, StartAt must exist, and every state must be reachable.
    mutating func checkTransitions(_ m: StateMachine, names: Set<String>, location: String) {
        guard names.contains(m.startAt) else {
            error(location + "/StartAt", "Missing 'Next' target: \(m.startAt)", code: Diagnostic.missingTransitionTarget)
            return
        }
        var targetsOf: [String: [(String, String)]] = [:]  // state -> [(target, location)]
        for s in m.states {
            let loc = location + "/States/" + JSONPointer.escape(s.name)
            var targets: [(String, String)] = []
            if case .next(let n) = s.transition { targets.append((n, loc + "/Next")) }
            for (i, c) in s.catchers.enumerated() { targets.append((c.next, loc + "/Catch/\(i)/Next")) }
            if case .choice(let ch) = s.kind {
                for (i, r) in ch.choices.enumerated() { if let n = r.next { targets.append((n, loc + "/Choices/\(i)/Next")) } }
                if let d = ch.defaultNext { targets.append((d, loc + "/Default")) }
            }
            for (t, tloc) in targets where !names.contains(t) {
                error(tloc, "Missing 'Next' target: \(t)", code: Diagnostic.missingTransitionTarget)
            }
            targetsOf[s.name] = targets
        }
        // ASL spec: a machine needs a way to end (an End, a Succeed or a Fail).
        let terminal = m.states.contains { s in
            switch s.kind {
            case .succeed, .fail: return true
            default: return s.transition == .end
            }
        }
        if !terminal {
            error(location + "/States", "The state machine has no terminal state (End, Succeed or Fail).", code: "MISSING_TERMINAL_STATE")
        }
        var seen: Set<String> = [m.startAt]
        var queue = [m.startAt]
        while let n = queue.popLast() {
            for (t, _) in targetsOf[n] ?? [] where names.contains(t) && !seen.contains(t) {
                seen.insert(t)
                queue.append(t)
            }
        }
        for s in m.states where !seen.contains(s.name) {
            error(location + "/States/" + JSONPointer.escape(s.name), "State '\(s.name)' is not reachable.",
                  code: Diagnostic.unreachableState)
        }
    }

    // MARK: field helpers

    /// In a JSONata state, the expression of a `{% … %}` string (collected for compilation).
    mutating func expression(_ value: JSON?, _ location: String) -> String? {
        guard jsonata, case .string(let s)? = value else { return nil }
        return JSONataTemplate.expression(in: s, location: location, into: &collector)
    }

    /// A JSONata template field (Output, Arguments, ItemSelector, …).
    mutating func template(_ value: JSON, _ location: String) -> JSONataTemplate {
        JSONataTemplate.compile(value, location: location, into: &collector)
    }

    /// `Assign`: an object whose fields are variables, in the state's query language.
    mutating func assignment(_ value: JSON?, _ location: String) -> Assignment? {
        guard let value else { return nil }
        guard case .object(let o) = value else {
            error(location, "The field 'Assign' must be an object.")
            return nil
        }
        for k in o.keys {
            let name = !jsonata && k.hasSuffix(".$") ? String(k.dropLast(2)) : k
            if name.isEmpty || name == "states" {
                error(location + "/" + JSONPointer.escape(k), "'\(name)' cannot be used as a variable name.")
            }
        }
        return jsonata ? .jsonata(template(value, location)) : .jsonPath(PayloadTemplate.compile(value, location: location, diagnostics: &diagnostics))
    }

    mutating func optionalString(_ o: JSONObject, _ key: String, _ location: String) -> String? {
        guard let v = o[key] else { return nil }
        guard case .string(let s) = v else {
            error(location + "/" + key, "The field '\(key)' must be a string.")
            return nil
        }
        return s
    }

    /// A path field that may be JSON null (`InputPath: null`). Returns (present, path).
    mutating func nullablePath(_ o: JSONObject, _ key: String, _ location: String) -> (present: Bool, path: JSONPath?) {
        guard let v = o[key] else { return (false, nil) }
        if v.isNull { return (true, nil) }
        guard case .string(let s) = v else {
            error(location + "/" + key, "The value for the field '\(key)' must be a valid JSONPath")
            return (false, nil)
        }
        do {
            return (true, try JSONPath(s))
        } catch {
            self.error(location + "/" + key, "The value for the field '\(key)' must be a valid JSONPath")
            return (false, nil)
        }
    }

    mutating func path(_ o: JSONObject, _ key: String, _ location: String, definite: Bool = false) -> JSONPath? {
        guard let v = o[key] else { return nil }
        guard case .string(let s) = v, let p = try? JSONPath(s) else {
            error(location + "/" + key, "The value for the field '\(key)' must be a valid JSONPath")
            return nil
        }
        if definite && !p.isDefinite {
            error(location + "/" + key, "The value for the field '\(key)' must be a valid ReferencePath")
        }
        return p
    }

    mutating func positiveInt(_ o: JSONObject, _ key: String, _ location: String, min: Int64 = 1, max: Int64 = 99_999_999) -> Int? {
        guard let v = o[key] else { return nil }
        guard case .int(let n) = v, n >= min, n <= max else {
            error(location + "/" + key, "The value for the field '\(key)' must be an integer between \(min) and \(max).")
            return nil
        }
        return Int(n)
    }

    mutating func intOrPath(_ o: JSONObject, _ key: String, _ location: String, min: Int64 = 1) -> IntOrPath? {
        if let e = expression(o[key], location + "/" + key) { return .expression(e) }
        let value = positiveInt(o, key, location, min: min)
        let p = path(o, key + "Path", location, definite: true)
        if o[key] != nil && o[key + "Path"] != nil {
            error(location, "The fields '\(key)' and '\(key)Path' are mutually exclusive.")
        }
        if let value { return .value(value) }
        if let p { return .path(p) }
        return nil
    }

    mutating func resultPath(_ o: JSONObject, _ location: String) -> State.ResultPath {
        guard let v = o["ResultPath"] else { return .replace }
        if v.isNull { return .discard }
        guard let p = path(o, "ResultPath", location, definite: true) else { return .replace }
        if p.root != .input {
            error(location + "/ResultPath", "The value for the field 'ResultPath' must be a valid ReferencePath")
        }
        return p.segments.isEmpty ? .replace : .path(p)
    }
}
