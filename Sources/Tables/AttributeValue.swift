import Foundation
import ServiceKit
import StatesLanguage

/// One DynamoDB attribute value, parsed once from AWS's wire form (`{"S": "x"}`, `{"N": "1"}`,
/// `{"B": base64}`, `BOOL`, `NULL`, `M`, `L`, `SS`, `NS`, `BS`).
indirect enum AttributeValue: Sendable, Equatable {
    case s(String)
    case n(DynamoNumber)
    case b([UInt8])
    case bool(Bool)
    case null
    case m([String: AttributeValue])
    case l([AttributeValue])
    case ss([String])
    case ns([DynamoNumber])
    case bs([[UInt8]])

    /// The type's name as AWS spells it (`attribute_type`, error messages, key schemas).
    var typeName: String {
        switch self {
        case .s: "S"
        case .n: "N"
        case .b: "B"
        case .bool: "BOOL"
        case .null: "NULL"
        case .m: "M"
        case .l: "L"
        case .ss: "SS"
        case .ns: "NS"
        case .bs: "BS"
        }
    }

    static let typeNames: Set<String> = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"]

    /// Sets compare as sets: AWS keeps no order in them.
    static func == (a: AttributeValue, b: AttributeValue) -> Bool {
        switch (a, b) {
        case (.s(let x), .s(let y)): x == y
        case (.n(let x), .n(let y)): x == y
        case (.b(let x), .b(let y)): x == y
        case (.bool(let x), .bool(let y)): x == y
        case (.null, .null): true
        case (.m(let x), .m(let y)): x == y
        case (.l(let x), .l(let y)): x == y
        case (.ss(let x), .ss(let y)): Set(x) == Set(y)
        case (.ns(let x), .ns(let y)): Set(x) == Set(y)
        case (.bs(let x), .bs(let y)): Set(x) == Set(y)
        default: false
        }
    }

    // MARK: wire form

    /// Parses one value, with AWS's validation messages.
    init(json: JSON) throws(ServiceError) {
        guard case .object(let o) = json else {
            throw ServiceError.validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        }
        guard o.count == 1, let (type, value) = o.first(where: { _ in true }) else {
            throw ServiceError.validation(o.isEmpty
                ? "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
                : "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
        }
        switch type {
        case "S":
            guard let s = value.stringValue else { throw Self.malformed(type) }
            self = .s(s)
        case "N":
            guard let s = value.stringValue else { throw Self.malformed(type) }
            self = .n(try Self.number(s))
        case "B":
            self = .b(try Self.binary(value))
        case "BOOL":
            guard case .bool(let v) = value else { throw Self.malformed(type) }
            self = .bool(v)
        case "NULL":
            guard case .bool(let v) = value else { throw Self.malformed(type) }
            guard v else { throw ServiceError.validation("One or more parameter values were invalid: Null attribute value types must have the value of true") }
            self = .null
        case "M":
            guard case .object(let members) = value else { throw Self.malformed(type) }
            var m: [String: AttributeValue] = [:]
            for (k, v) in members { m[k] = try AttributeValue(json: v) }
            self = .m(m)
        case "L":
            guard case .array(let items) = value else { throw Self.malformed(type) }
            var l: [AttributeValue] = []
            l.reserveCapacity(items.count)
            for v in items { l.append(try AttributeValue(json: v)) }
            self = .l(l)
        case "SS":
            guard case .array(let items) = value else { throw Self.malformed(type) }
            var out: [String] = []
            for v in items {
                guard let s = v.stringValue else { throw Self.malformed(type) }
                out.append(s)
            }
            try Self.checkSet(out.map { "\($0)" }, unique: Set(out).count == out.count, kind: "string")
            self = .ss(out)
        case "NS":
            guard case .array(let items) = value else { throw Self.malformed(type) }
            var out: [DynamoNumber] = []
            for v in items {
                guard let s = v.stringValue else { throw Self.malformed(type) }
                out.append(try Self.number(s))
            }
            try Self.checkSet(items.map { $0.stringValue ?? "" }, unique: Set(out).count == out.count, kind: "number")
            self = .ns(out)
        case "BS":
            guard case .array(let items) = value else { throw Self.malformed(type) }
            var out: [[UInt8]] = []
            for v in items { out.append(try Self.binary(v)) }
            try Self.checkSet(items.map { $0.stringValue ?? "" }, unique: Set(out).count == out.count, kind: "binary")
            self = .bs(out)
        default:
            throw ServiceError("SerializationException", "Start of structure or map found where not expected")
        }
    }

    static func malformed(_ type: String) -> ServiceError {
        ServiceError("SerializationException", "NUMBER_VALUE cannot be converted to String")
    }

    static func number(_ text: String) throws(ServiceError) -> DynamoNumber {
        do { return try DynamoNumber(parsing: text) } catch {
            throw ServiceError.validation(error.message)
        }
    }

    static func binary(_ value: JSON) throws(ServiceError) -> [UInt8] {
        guard let text = value.stringValue, let data = Data(base64Encoded: text) else {
            throw ServiceError("SerializationException", "Base64 encoded length is expected a multiple of 4 bytes but found: \(value.stringValue?.count ?? 0)")
        }
        return Array(data)
    }

    static func checkSet(_ shown: [String], unique: Bool, kind: String) throws(ServiceError) {
        if shown.isEmpty {
            throw ServiceError.validation("One or more parameter values were invalid: An \(kind) set  may not be empty")
        }
        if !unique {
            throw ServiceError.validation("One or more parameter values were invalid: Input collection [\(shown.joined(separator: ", "))] contains duplicates.")
        }
    }

    /// AWS's wire form.
    var json: JSON {
        switch self {
        case .s(let s): return ["S": .string(s)]
        case .n(let n): return ["N": .string(n.description)]
        case .b(let b): return ["B": .string(Data(b).base64EncodedString())]
        case .bool(let v): return ["BOOL": .bool(v)]
        case .null: return ["NULL": true]
        case .m(let m): return ["M": .object(Self.object(m))]
        case .l(let l): return ["L": .array(l.map(\.json))]
        case .ss(let v): return ["SS": .array(v.map { .string($0) })]
        case .ns(let v): return ["NS": .array(v.map { .string($0.description) })]
        case .bs(let v): return ["BS": .array(v.map { .string(Data($0).base64EncodedString()) })]
        }
    }

    /// A map (or an item) in the wire form, its names in a stable order.
    static func object(_ m: [String: AttributeValue]) -> JSONObject {
        var o = JSONObject()
        for k in m.keys.sorted() { if let v = m[k] { o.appendUnchecked(k, v.json) } }
        return o
    }

    // MARK: AWS's item size rule

    /// The bytes AWS counts for this value (an attribute's name is counted by its map).
    var size: Int {
        switch self {
        case .s(let s): return s.utf8.count
        case .n(let n): return n.storageSize
        case .b(let b): return b.count
        case .bool, .null: return 1
        // "A List or Map requires 3 bytes of overhead … and 1 byte per element."
        case .m(let m): return 3 + m.reduce(0) { $0 + $1.key.utf8.count + $1.value.size + 1 }
        case .l(let l): return 3 + l.reduce(0) { $0 + $1.size + 1 }
        case .ss(let v): return v.reduce(0) { $0 + $1.utf8.count }
        case .ns(let v): return v.reduce(0) { $0 + $1.storageSize }
        case .bs(let v): return v.reduce(0) { $0 + $1.count }
        }
    }

    /// The bytes a key attribute is stored under: memcmp order is DynamoDB's order (strings
    /// and binaries by their bytes, numbers by value).
    var keyBytes: [UInt8]? {
        switch self {
        case .s(let s): return Array(s.utf8)
        case .n(let n): return n.orderedBytes
        case .b(let b): return b
        default: return nil
        }
    }
}

/// An item: its attributes by name.
typealias Item = [String: AttributeValue]

extension Dictionary where Key == String, Value == AttributeValue {
    /// Parses an item (or a key, or ExpressionAttributeValues) from its wire form.
    init(json: JSON?, field: String = "Item") throws(ServiceError) {
        guard case .object(let o)? = json else { throw ServiceError.validation("1 validation error detected: Value null at '\(field.lowercasedFirst)' failed to satisfy constraint: Member must not be null") }
        var out: [String: AttributeValue] = [:]
        out.reserveCapacity(o.count)
        for (k, v) in o { out[k] = try AttributeValue(json: v) }
        self = out
    }

    var json: JSON { .object(AttributeValue.object(self)) }

    /// AWS's item size: each attribute's name and value.
    var itemSize: Int { reduce(0) { $0 + $1.key.utf8.count + $1.value.size } }
}

extension String {
    var lowercasedFirst: String { prefix(1).lowercased() + dropFirst() }
}
