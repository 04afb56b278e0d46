import StatesLanguage

/// Evaluates Choice rules against a state's effective input.
package enum ChoiceEvaluator {
    /// The first rule that matches, or nil (then Default applies).
    static func matchingRule(_ choice: ChoiceState, scope: Scope) throws(StatesError) -> ChoiceRule? {
        for rule in choice.choices where try evaluate(rule.condition, scope: scope) {
            return rule
        }
        return nil
    }

    package static func evaluate(_ condition: ChoiceRule.Condition, scope: Scope) throws(StatesError) -> Bool {
        switch condition {
        case .and(let cs):
            for c in cs where !(try evaluate(c, scope: scope)) { return false }
            return true
        case .or(let cs):
            for c in cs where try evaluate(c, scope: scope) { return true }
            return false
        case .not(let c):
            return !(try evaluate(c, scope: scope))
        case .jsonata:
            // JSONata conditions are evaluated by the interpreter (they need `$states`).
            return false
        case .comparison(let variable, let test):
            let value = try? scope.evaluate(variable)
            if case .typeTest(.isPresent, let expected) = test { return (value != nil) == expected }
            guard let value else {
                throw StatesError.runtime("Invalid path '\(variable.text)': The choice state's condition path references an invalid value.")
            }
            return try check(value, test, scope: scope)
        }
    }

    static func check(_ value: JSON, _ test: ChoiceRule.Test, scope: Scope) throws(StatesError) -> Bool {
        switch test {
        case .typeTest(let t, let expected):
            let actual: Bool
            switch t {
            case .isPresent: actual = true
            case .isNull: actual = value.isNull
            case .isNumeric: actual = value.isNumber
            case .isString: actual = value.stringValue != nil
            case .isBoolean: actual = value.boolValue != nil
            case .isTimestamp: actual = value.stringValue.flatMap { Timestamp(iso8601: $0) } != nil
            }
            return actual == expected
        case .stringMatches(let pattern):
            guard case .string(let s) = value else { return false }
            return WildcardPattern(pattern).matches(s)
        case .compare(let kind, let relation, let operand):
            let other: JSON
            switch operand {
            case .value(let v): other = v
            case .path(let p):
                do {
                    other = try scope.evaluate(p)
                } catch {
                    throw StatesError.runtime("Invalid path '\(p.text)': The choice state's condition path references an invalid value.")
                }
            }
            guard let ordering = compare(kind, value, other) else { return false }
            switch relation {
            case .equals: return ordering == 0
            case .lessThan: return ordering < 0
            case .greaterThan: return ordering > 0
            case .lessThanEquals: return ordering <= 0
            case .greaterThanEquals: return ordering >= 0
            }
        }
    }

    /// -1, 0, 1, or nil when either side is not of the compared kind (the rule is then false).
    static func compare(_ kind: ChoiceRule.ValueKind, _ a: JSON, _ b: JSON) -> Int? {
        switch kind {
        case .string:
            guard case .string(let x) = a, case .string(let y) = b else { return nil }
            // Java's String.compareTo orders by UTF-16 code units.
            return lexicographic(Array(x.utf16), Array(y.utf16))
        case .numeric:
            guard a.isNumber, b.isNumber else { return nil }
            if case .int(let x) = a, case .int(let y) = b { return x < y ? -1 : (x > y ? 1 : 0) }
            guard let x = a.doubleValue, let y = b.doubleValue else { return nil }
            return x < y ? -1 : (x > y ? 1 : 0)
        case .boolean:
            guard case .bool(let x) = a, case .bool(let y) = b else { return nil }
            return x == y ? 0 : (x ? 1 : -1)
        case .timestamp:
            guard case .string(let xs) = a, case .string(let ys) = b,
                  let x = Timestamp(iso8601: xs), let y = Timestamp(iso8601: ys) else { return nil }
            return x < y ? -1 : (x > y ? 1 : 0)
        }
    }

    static func lexicographic(_ x: [UInt16], _ y: [UInt16]) -> Int {
        for i in 0..<min(x.count, y.count) where x[i] != y[i] { return x[i] < y[i] ? -1 : 1 }
        return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
    }
}

/// StringMatches patterns: `*` matches any run of characters; `\*` and `\\` are literal.
struct WildcardPattern {
    enum Piece: Equatable { case literal(Character), star }
    let pieces: [Piece]

    init(_ pattern: String) {
        var out: [Piece] = []
        var it = pattern.makeIterator()
        while let c = it.next() {
            if c == "\\" {
                if let n = it.next() { out.append(.literal(n)) } else { out.append(.literal("\\")) }
            } else if c == "*" {
                out.append(.star)
            } else {
                out.append(.literal(c))
            }
        }
        pieces = out
    }

    func matches(_ s: String) -> Bool {
        let chars = Array(s)
        var p = 0, i = 0
        var starP = -1, starI = 0
        while i < chars.count {
            if p < pieces.count, case .literal(let c) = pieces[p], c == chars[i] {
                p += 1
                i += 1
            } else if p < pieces.count, pieces[p] == .star {
                starP = p
                starI = i
                p += 1
            } else if starP >= 0 {
                p = starP + 1
                starI += 1
                i = starI
            } else {
                return false
            }
        }
        while p < pieces.count, pieces[p] == .star { p += 1 }
        return p == pieces.count
    }
}
