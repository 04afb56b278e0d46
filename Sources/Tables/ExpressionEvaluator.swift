import ServiceKit

/// Evaluates parsed expressions against items: conditions and filters to a verdict, update
/// actions to a new item, projections to a part of one. AWS's semantics: a comparison with a
/// missing attribute or of two different types is false (`<>` true), sets compare as sets.
enum ExpressionEvaluator {
    // MARK: paths

    static func resolve(_ path: DocumentPath, in item: Item) -> AttributeValue? {
        var current: AttributeValue = .m(item)
        for e in path.elements {
            switch (e, current) {
            case (.name(let n), .m(let m)):
                guard let next = m[n] else { return nil }
                current = next
            case (.index(let i), .l(let l)):
                guard i < l.count else { return nil }
                current = l[i]
            default:
                return nil
            }
        }
        return current
    }

    static func value(_ operand: Operand, in item: Item) -> AttributeValue? {
        switch operand {
        case .path(let p): return resolve(p, in: item)
        case .value(let v): return v
        case .size(let p):
            guard let v = resolve(p, in: item) else { return nil }
            switch v {
            case .s(let s): return .n(count(s.utf8.count))
            case .b(let b): return .n(count(b.count))
            case .m(let m): return .n(count(m.count))
            case .l(let l): return .n(count(l.count))
            case .ss(let x): return .n(count(x.count))
            case .ns(let x): return .n(count(x.count))
            case .bs(let x): return .n(count(x.count))
            default: return nil
            }
        case .ifNotExists(let p, let fallback): return resolve(p, in: item) ?? value(fallback, in: item)
        case .listAppend, .plus, .minus: return nil
        }
    }

    static func count(_ n: Int) -> DynamoNumber {
        (try? DynamoNumber(parsing: String(n))) ?? .zero
    }

    // MARK: conditions

    static func holds(_ c: Condition, on item: Item) throws(ServiceError) -> Bool {
        switch c {
        case .and(let a, let b):
            guard try holds(a, on: item) else { return false }
            return try holds(b, on: item)
        case .or(let a, let b):
            if try holds(a, on: item) { return true }
            return try holds(b, on: item)
        case .not(let a): return try !holds(a, on: item)
        case .exists(let p): return resolve(p, in: item) != nil
        case .notExists(let p): return resolve(p, in: item) == nil
        case .type(let p, let t):
            guard case .s(let name)? = value(t, in: item) else { return false }
            guard AttributeValue.typeNames.contains(name) else {
                throw ServiceError.validation("Invalid ConditionExpression: Invalid type provided as argument to function; function: attribute_type, type: \(name)")
            }
            return resolve(p, in: item)?.typeName == name
        case .beginsWith(let a, let b):
            switch (value(a, in: item), value(b, in: item)) {
            case (.s(let x)?, .s(let y)?): return x.utf8.starts(with: y.utf8)
            case (.b(let x)?, .b(let y)?): return x.starts(with: y)
            default: return false
            }
        case .contains(let a, let b):
            guard let container = value(a, in: item), let element = value(b, in: item) else { return false }
            switch (container, element) {
            case (.s(let x), .s(let y)): return y.isEmpty || x.utf8.firstRange(of: y.utf8) != nil
            case (.b(let x), .b(let y)): return y.isEmpty || x.firstRange(of: y) != nil
            case (.ss(let x), .s(let y)): return x.contains(y)
            case (.ns(let x), .n(let y)): return x.contains(y)
            case (.bs(let x), .b(let y)): return x.contains(y)
            case (.l(let x), _): return x.contains(element)
            default: return false
            }
        case .compare(let a, let op, let b):
            let x = value(a, in: item)
            let y = value(b, in: item)
            guard let x, let y else { return op == .ne }
            switch op {
            case .eq: return x == y
            case .ne: return x != y
            default:
                guard let order = compare(x, y) else { return false }
                switch op {
                case .lt: return order < 0
                case .le: return order <= 0
                case .gt: return order > 0
                default: return order >= 0
                }
            }
        case .between(let a, let low, let high):
            guard let x = value(a, in: item), let l = value(low, in: item), let h = value(high, in: item) else { return false }
            guard let lh = compare(l, h) else { return false }
            if lh > 0 {
                throw ServiceError.validation("Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {\(l.typeName):\(display(l))}, upper bound operand: AttributeValue: {\(h.typeName):\(display(h))}")
            }
            guard let a1 = compare(x, l), let a2 = compare(x, h) else { return false }
            return a1 >= 0 && a2 <= 0
        case .among(let a, let list):
            guard let x = value(a, in: item) else { return false }
            return list.contains { value($0, in: item) == x }
        }
    }

    static func display(_ v: AttributeValue) -> String {
        switch v {
        case .s(let s): s
        case .n(let n): n.description
        default: "\(v.json.serialized)"
        }
    }

    /// The order of two scalars of one type (S, N, B); nil when they cannot be ordered.
    static func compare(_ x: AttributeValue, _ y: AttributeValue) -> Int? {
        switch (x, y) {
        case (.n(let a), .n(let b)): return DynamoNumber.compare(a, b)
        case (.s(let a), .s(let b)): return bytesOrder(Array(a.utf8), Array(b.utf8))
        case (.b(let a), .b(let b)): return bytesOrder(a, b)
        default: return nil
        }
    }

    static func bytesOrder(_ a: [UInt8], _ b: [UInt8]) -> Int {
        for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    // MARK: projections

    /// The parts of an item the paths name, nested as in the item (list elements in order).
    static func project(_ item: Item, _ paths: [DocumentPath]) -> Item {
        var out: AttributeValue = .m([:])
        for p in paths {
            guard let v = resolve(p, in: item) else { continue }
            out = merged(out, p.elements[...], v, source: .m(item))
        }
        if case .m(let m) = out { return m }
        return [:]
    }

    private static func merged(_ into: AttributeValue, _ rest: ArraySlice<DocumentPath.Element>, _ value: AttributeValue,
                               source: AttributeValue) -> AttributeValue {
        guard let head = rest.first else { return value }
        switch (head, source) {
        case (.name(let n), .m(let sm)):
            var m: [String: AttributeValue] = [:]
            if case .m(let existing) = into { m = existing }
            let child = m[n] ?? (rest.count > 1 ? (rest.dropFirst().first.map { e -> AttributeValue in
                if case .index = e { return .l([]) } else { return .m([:]) } } ?? .m([:])) : value)
            m[n] = merged(child, rest.dropFirst(), value, source: sm[n] ?? .null)
            return .m(m)
        case (.index(let i), .l(let sl)):
            // Projected list elements keep their order, not their positions.
            var l: [(Int, AttributeValue)] = []
            if case .l(let existing) = into { l = existing.enumerated().map { ($0.offset, $0.element) } }
            let child: AttributeValue = rest.count > 1 ? (rest.dropFirst().first.map { e -> AttributeValue in
                if case .index = e { return .l([]) } else { return .m([:]) } } ?? .m([:])) : value
            let next = merged(child, rest.dropFirst(), value, source: i < sl.count ? sl[i] : .null)
            l.append((i, next))
            return .l(l.map(\.1))
        default:
            return into
        }
    }
}
