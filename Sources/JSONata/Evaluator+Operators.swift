import Foundation

/// Operators, object construction and grouping, sorting.
extension Evaluator {
    func evaluateBinary(_ e: Node, _ input: JValue?, _ env: Environment) throws(JSONataError) -> JValue? {
        let op = e.text
        let lhs = try evaluate(e.kids[0], input, env)
        if op == "and" {
            guard Functions.boolean(lhs) == true else { return .bool(false) }
            return .bool(Functions.boolean(try evaluate(e.kids[1], input, env)) == true)
        }
        if op == "or" {
            if Functions.boolean(lhs) == true { return .bool(true) }
            return .bool(Functions.boolean(try evaluate(e.kids[1], input, env)) == true)
        }
        let rhs = try evaluate(e.kids[1], input, env)
        switch op {
        case "+", "-", "*", "/", "%":
            // an infinite operand (an overflow earlier) is out of range, as the reference's isNumeric says
            for v in [lhs, rhs] {
                if case .number(let n)? = v, !n.isFinite { throw JSONataError("D1001", "Number out of range: \(n)", position: e.position) }
            }
            if let lhs, !lhs.isNumber {
                throw JSONataError("T2001", "The left side of the \(op) operator must evaluate to a number", position: e.position, token: op)
            }
            if let rhs, !rhs.isNumber {
                throw JSONataError("T2002", "The right side of the \(op) operator must evaluate to a number", position: e.position, token: op)
            }
            guard case .number(let a)? = lhs, case .number(let b)? = rhs else { return nil }
            let r: Double
            switch op {
            case "+": r = a + b
            case "-": r = a - b
            case "*": r = a * b
            case "/": r = a / b
            default: r = a.truncatingRemainder(dividingBy: b)
            }
            return .number(r)
        case "=", "!=":
            guard let lhs, let rhs else { return .bool(false) }
            let eq = deepEqual(lhs, rhs)
            return .bool(op == "=" ? eq : !eq)
        case "<", "<=", ">", ">=":
            let lok = lhs == nil || lhs!.isNumber || lhs!.isString
            let rok = rhs == nil || rhs!.isNumber || rhs!.isString
            guard lok && rok else {
                throw JSONataError("T2010", "The expressions either side of operator \"\(op)\" must evaluate to numeric or string values",
                                   position: e.position, token: op)
            }
            guard let lhs, let rhs else { return nil }
            switch (lhs, rhs) {
            case (.number(let a), .number(let b)):
                switch op {
                case "<": return .bool(a < b)
                case "<=": return .bool(a <= b)
                case ">": return .bool(a > b)
                default: return .bool(a >= b)
                }
            case (.string(let a), .string(let b)):
                let c = Functions.compareStrings(a, b)
                switch op {
                case "<": return .bool(c < 0)
                case "<=": return .bool(c <= 0)
                case ">": return .bool(c > 0)
                default: return .bool(c >= 0)
                }
            default:
                throw JSONataError("T2009", "The values \(Functions.string(lhs)) and \(Functions.string(rhs)) either side of operator \"\(op)\" must be of the same data type",
                                   position: e.position, token: op)
            }
        case "&":
            let limit = ctx.maxValueSize
            let a = try lhs.map { v throws(JSONataError) in try Functions.string(v, limit: limit) } ?? ""
            let b = try rhs.map { v throws(JSONataError) in try Functions.string(v, limit: limit) } ?? ""
            if a.utf8.count + b.utf8.count > limit { throw Functions.tooLarge(limit) }
            return .string(a + b)
        case "in":
            guard let lhs, let rhs else { return .bool(false) }
            let items: [JValue]
            if case .array(let a) = rhs { items = a.items } else { items = [rhs] }
            return .bool(items.contains { Self.strictEqual($0, lhs) })
        case "..":
            if let lhs, Self.integer(lhs) == nil {
                throw JSONataError("T2003", "The left side of the range operator (..) must evaluate to an integer", position: e.position, token: "..")
            }
            if let rhs, Self.integer(rhs) == nil {
                throw JSONataError("T2004", "The right side of the range operator (..) must evaluate to an integer", position: e.position, token: "..")
            }
            guard let lhs, let rhs, let a = Self.integer(lhs), let b = Self.integer(rhs) else { return nil }
            guard a <= b else { return nil }
            guard b - a < 10_000_000 else {
                throw JSONataError("D2014", "The size of the sequence allocated by the range operator (..) must not exceed 1e7.  Attempted to allocate \(b - a + 1).",
                                   position: e.position)
            }
            return .arr((a...b).map { .number(Double($0)) })
        default:
            throw JSONataError("S0204", "Unknown operator: \(op)", position: e.position, token: op)
        }
    }

    static func integer(_ v: JValue) -> Int? {
        guard case .number(let n) = v, n.rounded() == n, abs(n) < 9e15 else { return nil }
        return Int(n)
    }

    /// JavaScript's `===`: primitives by value, objects and arrays by identity.
    static func strictEqual(_ a: JValue, _ b: JValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)): return x === y
        case (.array, .array): return false
        default: return deepEqual(a, b)
        }
    }

    // MARK: grouping (object constructors and `expr{…}`)

    func evaluateGroup(_ pairs: [(Node, Node)], _ input: JValue?, _ env: Environment, position: Int) throws(JSONataError) -> JValue? {
        // One context value (the usual object constructor): no grouping to do.
        if !(input?.isArray ?? false) {
            let result = JObject()
            var from: [(String, Int)] = []  // a handful of keys: a list beats a dictionary
            for (p, pair) in pairs.enumerated() {
                guard let key = try evaluate(pair.0, input, env) else { continue }
                guard case .string(let k) = key else {
                    throw JSONataError("T1003", "Key in object structure must evaluate to a string; got: \(Functions.string(key))",
                                       position: position, token: Functions.string(key))
                }
                if let other = from.first(where: { $0.0 == k }), other.1 != p {
                    throw JSONataError("D1009", "Multiple key definitions evaluate to same key: \(k)", position: position, token: k)
                }
                from.append((k, p))
                if let v = try evaluate(pair.1, input, env) { result[k] = v }
            }
            return .object(result)
        }
        var items: [JValue?]
        if case .array(let a)? = input { items = a.items } else { items = [input] }
        if items.isEmpty { items = [nil] }
        return try group(pairs, items.map { ($0, env, nil) }, env, position: position)
    }

    func evaluateGroup(_ pairs: [(Node, Node)], tuples: [JObject], _ env: Environment, position: Int) throws(JSONataError) -> JValue? {
        if tuples.isEmpty { return try group(pairs, [(nil, env, nil)], env, position: position) }
        return try group(pairs, tuples.map { ($0["@"], Self.frame(env, $0), $0) }, env, position: position)
    }

    private func group(_ pairs: [(Node, Node)], _ items: [(JValue?, Environment, JObject?)], _ env: Environment,
                       position: Int) throws(JSONataError) -> JValue? {
        var order: [String] = []
        var groups: [String: (data: [Int], pair: Int)] = [:]
        for (i, item) in items.enumerated() {
            for (p, pair) in pairs.enumerated() {
                let key = try evaluate(pair.0, item.0, item.1)
                guard let key else { continue }
                guard case .string(let k) = key else {
                    throw JSONataError("T1003", "Key in object structure must evaluate to a string; got: \(Functions.string(key))",
                                       position: position, token: Functions.string(key))
                }
                if let existing = groups[k] {
                    if existing.pair != p {
                        throw JSONataError("D1009", "Multiple key definitions evaluate to same key: \(k)", position: position, token: k)
                    }
                    groups[k]!.data.append(i)
                } else {
                    groups[k] = ([i], p)
                    order.append(k)
                }
            }
        }
        let result = JObject()
        for k in order {
            let g = groups[k]!
            var context: JValue?
            var frame = env
            if items[g.data[0]].2 != nil {
                // tuples: their bindings merge, each name holding every value
                let merged = JObject()
                for i in g.data {
                    guard let t = items[i].2 else { continue }
                    for (name, v) in t.entries { merged[name] = Functions.append(merged[name], v) }
                }
                context = merged["@"]
                frame = Self.frame(env, merged)
            } else if g.data.count == 1 {
                context = items[g.data[0]].0
            } else {
                var seq = JArray([], sequence: true)
                for i in g.data {
                    guard let v = items[i].0 else { continue }
                    if case .array(let a) = v { seq.items += a.items } else { seq.items.append(v) }
                }
                context = .array(seq)
            }
            if let v = try evaluate(pairs[g.pair].1, context, frame) { result[k] = v }
        }
        return .object(result)
    }

    // MARK: sorting

    func evaluateSort(_ e: Node, _ input: JValue?, _ env: Environment) throws(JSONataError) -> JValue? {
        guard let input else { return nil }
        let items: [JValue]
        if case .array(let a) = input { items = a.items } else { items = [input] }
        let keys = try items.map { (item) throws(JSONataError) -> [JValue?] in
            var k: [JValue?] = []
            for t in e.terms { k.append(try evaluate(t.expression, item, env)) }
            return k
        }
        let order = try Self.mergeSort(Array(items.indices)) { (a, b) throws(JSONataError) -> Bool in
            try Self.after(keys[a], keys[b], e.terms, position: e.position)
        }
        return .array(JArray(order.map { items[$0] }, sequence: true))
    }

    func sortTuples(_ e: Node, _ tuples: [JObject], _ env: Environment) throws(JSONataError) -> [JObject] {
        var keys: [[JValue?]] = []
        for t in tuples {
            var k: [JValue?] = []
            for term in e.terms { k.append(try evaluate(term.expression, t["@"], Self.frame(env, t))) }
            keys.append(k)
        }
        let order = try Self.mergeSort(Array(tuples.indices)) { (a, b) throws(JSONataError) -> Bool in
            try Self.after(keys[a], keys[b], e.terms, position: e.position)
        }
        return order.map { tuples[$0] }
    }

    /// True when a sorts after b (undefined keys last).
    static func after(_ a: [JValue?], _ b: [JValue?], _ terms: [Node.SortTerm], position: Int) throws(JSONataError) -> Bool {
        for (i, term) in terms.enumerated() {
            var comp = 0
            switch (a[i], b[i]) {
            case (nil, nil): continue
            case (nil, _): comp = 1
            case (_, nil): comp = -1
            case (.number(let x)?, .number(let y)?): comp = x == y ? 0 : (x < y ? -1 : 1)
            case (.string(let x)?, .string(let y)?): comp = Functions.compareStrings(x, y)
            case (let x?, let y?):
                if !(x.isNumber || x.isString) || !(y.isNumber || y.isString) {
                    throw JSONataError("T2008", "The expressions within an order-by clause must evaluate to numeric or string values", position: position)
                }
                throw JSONataError("T2007", "Type mismatch when comparing values \(Functions.string(x)) and \(Functions.string(y)) in order-by clause",
                                   position: position)
            }
            if comp == 0 { continue }
            if term.descending && a[i] != nil && b[i] != nil { comp = -comp }
            return comp > 0
        }
        return false
    }

    /// A stable merge sort with a throwing "sorts after" predicate.
    static func mergeSort<T>(_ items: [T], _ after: (T, T) throws(JSONataError) -> Bool) throws(JSONataError) -> [T] {
        guard items.count > 1 else { return items }
        let mid = items.count / 2
        let l = try mergeSort(Array(items[..<mid]), after)
        let r = try mergeSort(Array(items[mid...]), after)
        var out: [T] = []
        out.reserveCapacity(items.count)
        var i = 0, j = 0
        while i < l.count && j < r.count {
            if try after(l[i], r[j]) {
                out.append(r[j])
                j += 1
            } else {
                out.append(l[i])
                i += 1
            }
        }
        out += l[i...]
        out += r[j...]
        return out
    }
}
