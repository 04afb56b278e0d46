import StatesLanguage

/// A compiled EventBridge event pattern (or SNS filter policy): fields to match, nested
/// objects, `$or` alternatives, and at each leaf a list of conditions any one of which may
/// match any of the field's values. Parsed and validated once (`EventPattern(text:)`), matched
/// many times.
///
/// AWS: "Event patterns are JSON objects with the same structure as the events they match…
/// each field to match is a list of values; the pattern matches if any value in the list
/// matches", arrays in the event match if any element does, and the whole pattern is a
/// conjunction of its fields.
package struct EventPattern: Sendable {
    struct Object: Sendable {
        var fields: [(key: String, sub: Sub)] = []
        /// Each `$or` is a list of alternatives, one of which must match.
        var alternatives: [[Object]] = []
    }

    indirect enum Sub: Sendable {
        case nested(Object)
        case leaf([Condition])
    }

    enum Condition: Sendable {
        case exact(JSON)
        case prefix(String, ignoreCase: Bool)
        case suffix(String, ignoreCase: Bool)
        case equalsIgnoreCase(String)
        case wildcard(Wildcard)
        case anythingBut(AnythingBut)
        case numeric(NumericRange)
        case exists(Bool)
        case cidr(CIDR)
    }

    enum AnythingBut: Sendable {
        case values([JSON])
        case prefixes([String])
        case suffixes([String])
        case ignoringCase([String])
        case wildcards([Wildcard])
    }

    /// The pattern flattened to dotted paths, as AWS matches: `{"a": {"b": [1]}}` and
    /// `{"a.b": [1]}` are the same pattern, and each matches both `{"a": {"b": 1}}` and
    /// `{"a.b": 1}`.
    struct Flat: Sendable {
        var fields: [(path: String, conditions: [Condition])] = []
        var alternatives: [[Flat]] = []
    }

    let root: Flat

    init(root object: Object) { root = Self.flatten(object, prefix: "") }

    init(flat: Flat) { root = flat }

    /// Whether an event from `source` could match: false only when the pattern constrains
    /// `source` at its top level and no condition there accepts it. (Status-change events are
    /// built only when some rule could want them.)
    package func mayMatch(source: String) -> Bool {
        let constraints = root.fields.filter { $0.path == "source" }
        guard !constraints.isEmpty else { return true }
        return EventPattern(flat: Flat(fields: constraints, alternatives: [])).matches(["source": .string(source)])
    }

    static func flatten(_ o: Object, prefix: String) -> Flat {
        var out = Flat()
        for (key, sub) in o.fields {
            let path = prefix.isEmpty ? key : prefix + "." + key
            switch sub {
            case .leaf(let conditions):
                out.fields.append((path, conditions))
            case .nested(let inner):
                let f = flatten(inner, prefix: path)
                out.fields += f.fields
                out.alternatives += f.alternatives
            }
        }
        for group in o.alternatives { out.alternatives.append(group.map { flatten($0, prefix: prefix) }) }
        return out
    }

    /// Whether the event (a JSON object) matches.
    package func matches(_ event: JSON) -> Bool {
        var leaves: [String: [JSON]] = [:]
        Self.collect(event, prefix: "", into: &leaves)
        return Self.matches(root, leaves)
    }

    /// The event's leaves by dotted path; arrays contribute each element, at any depth.
    static func collect(_ v: JSON, prefix: String, into out: inout [String: [JSON]]) {
        switch v {
        case .object(let o):
            for (key, child) in o { collect(child, prefix: prefix.isEmpty ? key : prefix + "." + key, into: &out) }
        case .array(let items):
            for item in items { collect(item, prefix: prefix, into: &out) }
        default:
            out[prefix, default: []].append(v)
        }
    }

    static func matches(_ pattern: Flat, _ leaves: [String: [JSON]]) -> Bool {
        for (path, conditions) in pattern.fields where !matchesLeaf(conditions, leaves[path] ?? []) { return false }
        for group in pattern.alternatives where !group.contains(where: { matches($0, leaves) }) { return false }
        return true
    }

    static func matchesLeaf(_ conditions: [Condition], _ leaves: [JSON]) -> Bool {
        for c in conditions {
            if case .exists(let wanted) = c {
                if wanted == !leaves.isEmpty { return true }
                continue
            }
            if leaves.contains(where: { matches(c, $0) }) { return true }
        }
        return false
    }

    static func matches(_ c: Condition, _ v: JSON) -> Bool {
        switch c {
        case .exact(let wanted):
            switch (wanted, v) {
            case (.string(let a), .string(let b)): return a == b
            case (.null, .null): return true
            case (.bool(let a), .bool(let b)): return a == b
            default:
                if let a = wanted.numberValue, let b = v.numberValue { return a == b }
                return false
            }
        case .prefix(let p, let ignoreCase):
            guard case .string(let s) = v else { return false }
            return ignoreCase ? s.lowercased().hasPrefix(p.lowercased()) : s.hasPrefix(p)
        case .suffix(let p, let ignoreCase):
            guard case .string(let s) = v else { return false }
            return ignoreCase ? s.lowercased().hasSuffix(p.lowercased()) : s.hasSuffix(p)
        case .equalsIgnoreCase(let p):
            guard case .string(let s) = v else { return false }
            return s.lowercased() == p.lowercased()
        case .wildcard(let w):
            guard case .string(let s) = v else { return false }
            return w.matches(s)
        case .numeric(let range):
            guard let n = v.numberValue else { return false }
            return range.contains(n)
        case .cidr(let block):
            guard case .string(let s) = v else { return false }
            return block.contains(s)
        case .exists:
            return false
        case .anythingBut(let a):
            switch a {
            case .values(let excluded):
                return !excluded.contains { matches(.exact($0), v) }
            case .prefixes(let ps):
                // A value that is not a string cannot start, end or look like one: it matches.
                guard case .string(let s) = v else { return true }
                return !ps.contains { s.hasPrefix($0) }
            case .suffixes(let ps):
                // A value that is not a string cannot start, end or look like one: it matches.
                guard case .string(let s) = v else { return true }
                return !ps.contains { s.hasSuffix($0) }
            case .ignoringCase(let ps):
                // A value that is not a string cannot start, end or look like one: it matches.
                guard case .string(let s) = v else { return true }
                let lower = s.lowercased()
                return !ps.contains { $0.lowercased() == lower }
            case .wildcards(let ws):
                // A value that is not a string cannot start, end or look like one: it matches.
                guard case .string(let s) = v else { return true }
                return !ws.contains { $0.matches(s) }
            }
        }
    }
}

extension JSON {
    /// A JSON number as a Double (integers included); nil for anything else.
    var numberValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bigNumber(let text): return Double(text)
        default: return nil
        }
    }
}

/// `{"numeric": [">", 0, "<=", 5]}`: a lower and/or upper bound, or one exact value.
struct NumericRange: Sendable {
    var lower: (value: Double, inclusive: Bool)?
    var upper: (value: Double, inclusive: Bool)?

    func contains(_ n: Double) -> Bool {
        if let lower, lower.inclusive ? n < lower.value : n <= lower.value { return false }
        if let upper, upper.inclusive ? n > upper.value : n >= upper.value { return false }
        return true
    }
}

/// `*` matches any run of characters; `\*` and `\\` stand for themselves.
struct Wildcard: Sendable {
    enum Piece: Sendable { case literal([UInt8]), star }
    let pieces: [Piece]

    func matches(_ s: String) -> Bool {
        let text = Array(s.utf8)
        return Self.match(pieces[...], text[...])
    }

    static func match(_ pieces: ArraySlice<Piece>, _ text: ArraySlice<UInt8>) -> Bool {
        guard let first = pieces.first else { return text.isEmpty }
        switch first {
        case .literal(let l):
            guard text.starts(with: l) else { return false }
            return match(pieces.dropFirst(), text.dropFirst(l.count))
        case .star:
            let rest = pieces.dropFirst()
            if rest.isEmpty { return true }
            var i = text.startIndex
            while i <= text.endIndex {
                if match(rest, text[i...]) { return true }
                i += 1
            }
            return false
        }
    }
}
