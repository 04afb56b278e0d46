import Foundation
import StatesLanguage

/// A compiled JSONata expression: parse once, evaluate many times.
///
/// ```swift
/// let e = try JSONata("Account.Order[0].OrderID")
/// let v = try e.evaluate(input)        // JSON? (nil: undefined)
/// ```
/// The language as AWS Step Functions runs it: JSONata 2.0 without `??`, `?:` and `$eval`,
/// with AWS's `$partition`, `$range`, `$hash`, `$random(seed)`, `$uuid` and `$parse`.
public struct JSONata: Sendable {
    let root: Node
    public let source: String

    /// Evaluation limits: a hostile expression ends with an error, not a hang or a crash.
    public struct Limits: Sendable {
        public var maxDepth = 1000
        /// The largest string (characters) or array (items) an evaluation may build, and the
        /// most nodes its result may have: past it, U1002 rather than exhausting memory.
        public var maxValueSize = 16 * 1024 * 1024
        public var timeLimitSeconds: Double? = 10
        public init() {}
    }

    /// The names of the variables the expression refers to (`$name`; `$` itself excluded),
    /// so a caller binds only those (ASL variables are converted only when an expression reads them).
    public let variables: Set<String>

    public init(_ expression: String) throws(JSONataError) {
        source = expression
        var parser = try Parser(expression)
        root = try Processor.compile(try parser.parse())
        var names: Set<String> = []
        JSONata.collectVariables(root, into: &names)
        variables = names
    }

    static func collectVariables(_ n: Node, into names: inout Set<String>) {
        if n.kind == .variable, !n.text.isEmpty { names.insert(n.text) }
        for k in n.kids { collectVariables(k, into: &names) }
        for k in n.steps { collectVariables(k, into: &names) }
        for st in n.stages { for f in st.filter { collectVariables(f, into: &names) } }
        for st in n.predicates { for f in st.filter { collectVariables(f, into: &names) } }
        for (a, b) in n.pairs {
            collectVariables(a, into: &names)
            collectVariables(b, into: &names)
        }
        for (a, b) in n.group ?? [] {
            collectVariables(a, into: &names)
            collectVariables(b, into: &names)
        }
        for t in n.terms { collectVariables(t.expression, into: &names) }
    }

    /// Evaluates against an input converted once (a state's input serves all its expressions).
    public func evaluate(_ input: Value?, bindings: [String: Value] = [:], limits: Limits = Limits(), seed: UInt64 = 0,
                         now: Date = Date()) throws(JSONataError) -> JSON? {
        var b: [String: JValue] = [:]
        for (k, v) in bindings { b[k] = v.value }
        return try Self.output(try evaluateValue(input?.value, bindings: b, limits: limits, seed: seed, now: now), limits)
    }

    /// Evaluates against JSON input (nil input: undefined) with variable bindings.
    public func evaluate(_ input: JSON?, bindings: [String: JSON] = [:], limits: Limits = Limits(), seed: UInt64 = 0,
                         now: Date = Date()) throws(JSONataError) -> JSON? {
        var b: [String: JValue] = [:]
        for (k, v) in bindings { b[k] = JValue(v) }
        return try Self.output(try evaluateValue(input.map(JValue.init), bindings: b, limits: limits, seed: seed, now: now), limits)
    }

    func evaluateValue(_ input: JValue?, bindings: [String: JValue] = [:], limits: Limits = Limits(), seed: UInt64 = 0,
                       now: Date = Date()) throws(JSONataError) -> JValue? {
        let env = Environment(parent: nil)
        var wrapped = input
        if case .array(let a)? = input {
            // a top-level array is wrapped so that paths see it as one value
            var w = JArray([.array(a)], sequence: true)
            w.outerWrapper = true
            wrapped = .array(w)
        }
        env.bind("$", input)
        for (k, v) in bindings { env.bind(k, v) }
        let ctx = Context(maxDepth: limits.maxDepth, timeLimit: limits.timeLimitSeconds, seed: seed, now: now,
                          maxValueSize: limits.maxValueSize)
        var result = try Evaluator(ctx: ctx).evaluate(root, wrapped, env)
        if case .array(let a)? = result, a.isSequence, a.items.count == 1, !a.keepSingleton { result = a.items[0] }
        return result
    }

    /// The result as JSON, within the node budget (values share structure, so a small result
    /// can stand for an exponentially large document).
    static func output(_ value: JValue?, _ limits: Limits) throws(JSONataError) -> JSON? {
        guard let value else { return nil }
        var budget = limits.maxValueSize
        let json = value.json(budget: &budget)
        if budget < 0 { throw Functions.tooLarge(limits.maxValueSize) }
        return json
    }

    static func parseJSON(_ text: String) throws -> JValue { JValue(try JSONParser.parse(text)) }
}

extension JSONata {
    /// A JSON value in the evaluator's form, converted once and evaluated against many times.
    public struct Value {
        let value: JValue
        public init(_ json: JSON) { value = JValue(json) }
    }
}

extension JValue {
    init(_ json: JSON) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .number(Double(i))
        case .double(let d): self = .number(d)
        case .bigNumber(let s): self = .number(Double(s) ?? 0)
        case .string(let s): self = .string(s)
        case .array(let a): self = .arr(a.map(JValue.init))
        case .object(let o):
            let obj = JObject()
            for (k, v) in o { obj[k] = JValue(v) }
            self = .object(obj)
        }
    }

    /// As JSON, counting nodes against `budget` (it goes negative, and conversion stops, when
    /// the value has more).
    func json(budget: inout Int) -> JSON? {
        budget -= 1
        if budget < 0 { return .null }
        switch self {
        case .array(let a):
            var out: [JSON] = []
            out.reserveCapacity(min(a.items.count, max(budget, 0)))
            for item in a.items {
                if let j = item.json(budget: &budget) { out.append(j) }
                if budget < 0 { return .null }
            }
            return .array(out)
        case .object(let o):
            var out = JSONObject(minimumCapacity: min(o.count, max(budget, 0)))
            for (k, v) in zip(o.keys, o.values) {
                if let j = v.json(budget: &budget) { out.appendUnchecked(k, j) }
                if budget < 0 { return .null }
            }
            return .object(out)
        default:
            return json
        }
    }

    /// As JSON: integral numbers as integers; functions have no JSON form (nil).
    var json: JSON? {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let n):
            if n.rounded() == n && abs(n) < 9.007_199_254_740_992e15 { return .int(Int64(n)) }
            return .double(n)
        case .string(let s): return .string(s)
        case .array(let a): return .array(a.items.compactMap(\.json))
        case .object(let o):
            var out = JSONObject(minimumCapacity: o.count)
            for (k, v) in zip(o.keys, o.values) { if let j = v.json { out.appendUnchecked(k, j) } }
            return .object(out)
        case .function: return nil
        }
    }
}
