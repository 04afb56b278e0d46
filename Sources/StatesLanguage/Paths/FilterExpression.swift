/// A JSONPath filter, `[?(@.price < 10 && @.tag)]`, in Jayway's grammar.
public indirect enum FilterExpression: Sendable, Hashable {
    case exists(FilterOperand)
    case compare(FilterOperand, ComparisonOperator, FilterOperand)
    case and(FilterExpression, FilterExpression)
    case or(FilterExpression, FilterExpression)
    case not(FilterExpression)

    public enum ComparisonOperator: String, Sendable, Hashable {
        case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">=", regex = "=~", `in` = " in ", nin = " nin "
    }

    public var text: String {
        switch self {
        case .exists(let o): return o.text
        case .compare(let a, let op, let b): return "\(a.text) \(op.rawValue.trimmingSpaces) \(b.text)"
        case .and(let a, let b): return "\(a.text) && \(b.text)"
        case .or(let a, let b): return "\(a.text) || \(b.text)"
        case .not(let e): return "!\(e.text)"
        }
    }

    func matches(_ item: JSON, root: JSON) -> Bool {
        switch self {
        case .exists(let o): return o.resolve(item: item, root: root) != nil
        case .and(let a, let b): return a.matches(item, root: root) && b.matches(item, root: root)
        case .or(let a, let b): return a.matches(item, root: root) || b.matches(item, root: root)
        case .not(let e): return !e.matches(item, root: root)
        case .compare(let l, let op, let r):
            guard let a = l.resolve(item: item, root: root), let b = r.resolve(item: item, root: root) else {
                return op == .ne
            }
            switch op {
            case .eq: return a == b
            case .ne: return a != b
            case .lt, .le, .gt, .ge:
                let ordering: Int
                if let x = a.doubleValue, let y = b.doubleValue, a.isNumber, b.isNumber {
                    ordering = x < y ? -1 : (x > y ? 1 : 0)
                } else if case .string(let x) = a, case .string(let y) = b {
                    ordering = x < y ? -1 : (x > y ? 1 : 0)
                } else {
                    return false
                }
                switch op {
                case .lt: return ordering < 0
                case .le: return ordering <= 0
                case .gt: return ordering > 0
                default: return ordering >= 0
                }
            case .regex:
                guard case .string(let s) = a, case .string(let pattern) = b else { return false }
                guard let rx = try? Regex(pattern) else { return false }
                return (try? rx.wholeMatch(in: s)) != nil
            case .in:
                guard case .array(let set) = b else { return false }
                return set.contains(a)
            case .nin:
                guard case .array(let set) = b else { return false }
                return !set.contains(a)
            }
        }
    }
}

/// One side of a filter comparison: `@.path`, `$.path`, or a literal.
public enum FilterOperand: Sendable, Hashable {
    case current([JSONPath.Segment], text: String)
    case root(JSONPath)
    case literal(JSON)

    public var text: String {
        switch self {
        case .current(_, let t): return t
        case .root(let p): return p.text
        case .literal(let v): return v.serialized.replacingDoubleQuotes
        }
    }

    func resolve(item: JSON, root: JSON) -> JSON? {
        switch self {
        case .literal(let v): return v
        case .root(let p): return try? p.evaluate(input: root)
        case .current(let segs, _):
            var current = [item]
            for s in segs {
                var next: [JSON] = []
                for n in current { JSONPath.apply(s, to: n, root: root, into: &next, definite: true) }
                if next.isEmpty { return nil }
                current = next
            }
            return current.first
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }

    var replacingDoubleQuotes: String {
        String(self.map { $0 == "\"" ? "'" : $0 })
    }
}
