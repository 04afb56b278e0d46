/// A JSONata value. `undefined` is Swift's nil (`JValue?`); arrays carry the flags the
/// reference implementation attaches to JavaScript arrays (a result sequence, a `[]` that
/// keeps singletons, a tuple stream).
public indirect enum JValue {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array(JArray)
    case object(JObject)
    case function(JFunction)
}

public struct JArray {
    public var items: [JValue]
    /// A sequence produced by path evaluation: a singleton collapses to its item.
    public var isSequence = false
    /// `[]` in a path: keep a singleton as an array.
    public var keepSingleton = false
    /// An array constructor's result, not flattened by the next path step.
    public var isConstructed = false
    /// The outer wrapper made when a path starts at an array.
    public var outerWrapper = false
    /// Tuples with bound variables (focus `@`, index `#`, parent `%`).
    public var tupleStream = false

    public init(_ items: [JValue] = [], sequence: Bool = false) {
        self.items = items
        self.isSequence = sequence
    }

    public var count: Int { items.count }
}

/// An object with its keys in insertion order. A reference, as in JavaScript: a transform
/// (`| pattern | update |`) finds the objects its pattern matched by identity in its copy.
public final class JObject {
    public private(set) var keys: [String] = []
    private var vals: [JValue] = []
    /// Built past a handful of keys; small objects (most of them) search their keys.
    private var index: [String: Int]?

    public init() {}

    /// A deep copy (objects copied, so a transform cannot touch its input).
    func deepCopy() -> JObject {
        let o = JObject()
        for (k, v) in zip(keys, vals) { o[k] = v.deepCopy() }
        return o
    }

    private func position(_ key: String) -> Int? {
        if let index { return index[key] }
        return keys.firstIndex(of: key)
    }

    public subscript(key: String) -> JValue? {
        get { position(key).map { vals[$0] } }
        set {
            if let i = position(key) {
                if let newValue {
                    vals[i] = newValue
                } else {
                    keys.remove(at: i)
                    vals.remove(at: i)
                    if index != nil { rebuild() }
                }
            } else if let newValue {
                keys.append(key)
                vals.append(newValue)
                if index != nil {
                    index![key] = keys.count - 1
                } else if keys.count > 8 {
                    rebuild()
                }
            }
        }
    }

    private func rebuild() {
        var d = [String: Int](minimumCapacity: keys.count)
        for (i, k) in keys.enumerated() { d[k] = i }
        index = d
    }

    public var count: Int { keys.count }
    public var entries: [(String, JValue)] { Array(zip(keys, vals)) }
    /// The values in key order, without building pairs.
    var values: [JValue] { vals }
}

/// A function value: a lambda (closure over its environment), a built-in, or a regex matcher.
/// Values live for one evaluation, on one thread: they are not Sendable (compiled
/// expressions are).
public final class JFunction {
    enum Kind {
        /// `input`: the context value where the lambda was defined (its body's `$`).
        case lambda(params: [String], body: Node, env: Environment, input: JValue?, signature: Signature?, thunk: Bool)
        case builtin(Builtin)
        /// A function made during evaluation (a transform, a composition), closing over values.
        case native(name: String, arity: Int, body: ([JValue?], BuiltinCall) throws -> JValue?)
        case partial(JFunction, args: [JValue?])  // nil entries are the `?` placeholders
        case regex(JRegex)
    }

    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    /// The declared number of parameters (for $map/$filter/$reduce's optional arguments).
    var arity: Int {
        switch kind {
        case .lambda(let params, _, _, _, _, _): return params.count
        case .builtin(let b): return b.arity
        case .native(_, let arity, _): return arity
        case .partial(_, let args): return args.filter { $0 == nil }.count
        case .regex: return 1
        }
    }
}

extension JValue {
    func deepCopy() -> JValue {
        switch self {
        case .object(let o): return .object(o.deepCopy())
        case .array(var a):
            a.items = a.items.map { $0.deepCopy() }
            return .array(a)
        default: return self
        }
    }

    static func seq(_ items: [JValue]) -> JValue { .array(JArray(items, sequence: true)) }
    static func arr(_ items: [JValue]) -> JValue { .array(JArray(items)) }

    var arrayItems: [JValue]? { if case .array(let a) = self { return a.items }; return nil }
    var isArray: Bool { if case .array = self { return true }; return false }
    var isNumber: Bool { if case .number = self { return true }; return false }
    var isString: Bool { if case .string = self { return true }; return false }
    var isFunction: Bool { if case .function = self { return true }; return false }
    var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    var numberValue: Double? { if case .number(let n) = self { return n }; return nil }

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        case .function: return "function"
        }
    }
}

/// Deep equality as JSONata's `=` and the test suite use it.
func deepEqual(_ a: JValue?, _ b: JValue?) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case (nil, _), (_, nil): return false
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.number(let x), .number(let y)): return x == y
    case (.string(let x), .string(let y)): return x == y
    case (.array(let x), .array(let y)):
        guard x.count == y.count else { return false }
        for i in 0..<x.count where !deepEqual(x.items[i], y.items[i]) { return false }
        return true
    case (.object(let x), .object(let y)):
        guard x.count == y.count else { return false }
        for k in x.keys where !deepEqual(x[k], y[k]) { return false }
        return true
    case (.function(let x), .function(let y)): return x === y
    default: return false
    }
}
