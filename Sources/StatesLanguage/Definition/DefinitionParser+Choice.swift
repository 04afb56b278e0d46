extension DefinitionParser {
    mutating func parseChoice(_ o: JSONObject, location: String) -> ChoiceState {
        var rules: [ChoiceRule] = []
        guard case .array(let a)? = o["Choices"], !a.isEmpty else {
            error(location, "These fields are required: [Choices] (a non-empty array)")
            return ChoiceState(choices: [], defaultNext: o["Default"]?.stringValue)
        }
        for (i, v) in a.enumerated() {
            let loc = location + "/Choices/\(i)"
            let parsed = jsonata ? parseJSONataRule(v, location: loc) : parseCondition(v, location: loc, topLevel: true)
            guard let condition = parsed else { continue }
            let next = v["Next"]?.stringValue
            if next == nil { error(loc, "These fields are required: [Next]") }
            var rule = ChoiceRule(condition: condition, next: next)
            rule.assign = assignment(v["Assign"], loc + "/Assign")
            if jsonata { rule.output = v["Output"].map { template($0, loc + "/Output") } }
            rules.append(rule)
        }
        return ChoiceState(choices: rules, defaultNext: optionalString(o, "Default", location))
    }

    static let comparisonOperators: Set<String> = {
        var d: Set<String> = ["StringMatches"]
        for kind in ChoiceRule.ValueKind.allCases {
            for rel in ChoiceRule.Relation.allCases {
                d.insert(kind.rawValue + rel.rawValue)
                d.insert(kind.rawValue + rel.rawValue + "Path")
            }
        }
        for t in ChoiceRule.TypeTest.allCases { d.insert(t.rawValue) }
        return d
    }()

    /// A JSONata choice rule: `Condition` (an expression, or a literal boolean), `Next`,
    /// and optionally `Assign` and `Output`.
    mutating func parseJSONataRule(_ json: JSON, location: String) -> ChoiceRule.Condition? {
        guard case .object(let o) = json else {
            error(location, "A choice rule must be an object.")
            return nil
        }
        for k in o.keys where !["Condition", "Next", "Comment", "Assign", "Output"].contains(k) {
            error(location + "/" + JSONPointer.escape(k), "Field '\(k)' is not supported in a choice rule of a JSONata state.")
        }
        guard let c = o["Condition"] else {
            error(location, "These fields are required: [Condition]")
            return nil
        }
        if c.boolValue != nil { return .jsonata(.literal(c)) }
        guard let e = expression(c, location + "/Condition") else {
            error(location + "/Condition", "The field 'Condition' must be a JSONata expression or a boolean.")
            return nil
        }
        return .jsonata(.expression(e))
    }

    mutating func parseCondition(_ json: JSON, location: String, topLevel: Bool) -> ChoiceRule.Condition? {
        guard case .object(let o) = json else {
            error(location, "A choice rule must be an object.")
            return nil
        }
        if !topLevel, o["Next"] != nil {
            error(location + "/Next", "Nested choice rules cannot have 'Next'.")
        }
        for k in o.keys where !(["Variable", "Next", "Comment", "And", "Or", "Not", "Assign"].contains(k) || Self.comparisonOperators.contains(k)) {
            error(location + "/" + k, "Field '\(k)' is not supported in a choice rule.")
        }
        if let and = o["And"] ?? o["Or"] {
            let key = o["And"] != nil ? "And" : "Or"
            guard case .array(let items) = and, !items.isEmpty else {
                error(location + "/" + key, "The field '\(key)' must be a non-empty array of choice rules.")
                return nil
            }
            var subs: [ChoiceRule.Condition] = []
            for (i, item) in items.enumerated() {
                if let c = parseCondition(item, location: location + "/\(key)/\(i)", topLevel: false) { subs.append(c) }
            }
            return key == "And" ? .and(subs) : .or(subs)
        }
        if let not = o["Not"] {
            guard let c = parseCondition(not, location: location + "/Not", topLevel: false) else { return nil }
            return .not(c)
        }
        let ops = o.keys.filter { Self.comparisonOperators.contains($0) }
        guard ops.count == 1, let op = ops.first else {
            error(location, ops.isEmpty ? "A choice rule needs a comparison operator, And, Or or Not." : "A choice rule must have exactly one comparison operator.")
            return nil
        }
        guard let variableText = o["Variable"]?.stringValue else {
            error(location, "These fields are required: [Variable]")
            return nil
        }
        guard let variable = try? JSONPath(variableText) else {
            error(location + "/Variable", "The value for the field 'Variable' must be a valid JSONPath")
            return nil
        }
        let value = o[op]!
        let loc = location + "/" + op
        if let t = ChoiceRule.TypeTest(rawValue: op) {
            guard let b = value.boolValue else {
                error(loc, "The value of '\(op)' must be a boolean.")
                return nil
            }
            return .comparison(variable: variable, test: .typeTest(t, b))
        }
        if op == "StringMatches" {
            guard let s = value.stringValue else {
                error(loc, "The value of 'StringMatches' must be a string.")
                return nil
            }
            return .comparison(variable: variable, test: .stringMatches(s))
        }
        var name = Substring(op)
        let isPath = name.hasSuffix("Path")
        if isPath { name = name.dropLast(4) }
        guard let kind = ChoiceRule.ValueKind.allCases.first(where: { name.hasPrefix($0.rawValue) }),
              let rel = ChoiceRule.Relation(rawValue: String(name.dropFirst(kind.rawValue.count)))
        else { return nil }
        if isPath {
            guard let s = value.stringValue, let p = try? JSONPath(s) else {
                error(loc, "The value of '\(op)' must be a valid JSONPath.")
                return nil
            }
            return .comparison(variable: variable, test: .compare(kind, rel, .path(p)))
        }
        let ok: Bool
        switch kind {
        case .string: ok = value.stringValue != nil
        case .numeric: ok = value.isNumber
        case .boolean: ok = value.boolValue != nil
        case .timestamp: ok = value.stringValue.flatMap { Timestamp(iso8601: $0) } != nil
        }
        if !ok {
            let what = kind == .timestamp ? "an ISO-8601 timestamp string" : (kind == .numeric ? "a number" : "a \(kind.rawValue.lowercased())")
            error(loc, "The value of '\(op)' must be \(what).")
            return nil
        }
        return .comparison(variable: variable, test: .compare(kind, rel, .value(value)))
    }
}
