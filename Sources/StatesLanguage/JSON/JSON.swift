/// A JSON value as Step Functions sees it.
///
/// Objects keep insertion order (AWS prints keys in the order they were written),
/// integers stay distinct from doubles (`1` and `1.0` print as given), and a number
/// that fits neither an `Int64` nor a `Double` exactly keeps its original text in
/// `.bigNumber` instead of being silently rounded.
public enum JSON: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    /// Numeric text that does not fit `Int64` (an integer) or would lose digits.
    case bigNumber(String)
    case string(String)
    case array([JSON])
    case object(JSONObject)
}

extension JSON {
    public var isNull: Bool { if case .null = self { return true }; return false }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: JSONObject? { if case .object(let o) = self { return o }; return nil }

    public var isNumber: Bool {
        switch self {
        case .int, .double, .bigNumber: return true
        default: return false
        }
    }

    /// The number as a Double (big numbers lose precision here, on purpose, only for comparisons).
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bigNumber(let s): return Double(s)
        default: return nil
        }
    }

    /// The number as an exact integer, when it is one (`3.0` counts, as in Java's intValueExact).
    public var integerValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d):
            guard d.rounded() == d, abs(d) < 9.2e18 else { return nil }
            return Int64(d)
        default: return nil
        }
    }

    public subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// The type name AWS uses in its messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double, .bigNumber: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

extension JSON: Equatable {
    /// Structural equality: object key order does not matter, and numbers compare by value
    /// (`1` equals `1.0`), as Jackson's JsonNode equality does for the cases AWS exposes.
    public static func == (lhs: JSON, rhs: JSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a == b
        case (.bigNumber(let a), .bigNumber(let b)): return a == b
        default:
            if lhs.isNumber && rhs.isNumber, let a = lhs.doubleValue, let b = rhs.doubleValue { return a == b }
            return false
        }
    }
}

extension JSON: Hashable {
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .int, .double, .bigNumber: hasher.combine(doubleValue ?? 0)
        case .string(let s): hasher.combine(s)
        case .array(let a): hasher.combine(a)
        case .object(let o):
            // Order-insensitive, to agree with ==.
            var acc = 0
            for (k, v) in o { acc ^= (k.hashValue &* 31) &+ v.hashValue }
            hasher.combine(acc)
        }
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        var o = JSONObject()
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
}
