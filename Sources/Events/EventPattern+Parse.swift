import ServiceKit
import StatesLanguage

/// Why a pattern is refused, in AWS's words (the text after "Reason: ").
struct PatternError: Error, Sendable {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

extension EventPattern {
    /// AWS's quota: "Maximum event pattern size: 2048 characters".
    package static let maximumLength = 2048

    /// Parses and validates pattern text; the error is AWS's InvalidEventPatternException.
    package init(text: String) throws(ServiceError) {
        guard text.utf16.count <= Self.maximumLength else {
            throw Self.invalid("The pattern is longer than \(Self.maximumLength) characters.")
        }
        let json: JSON
        do { json = try JSONParser.parse(text) } catch {
            throw Self.invalid(Self.jsonReason(text, error))
        }
        do throws(PatternError) {
            guard case .object(let o) = json else { throw PatternError("Filter is not an object") }
            self.init(root: try Self.object(o))
        } catch {
            throw Self.invalid(error.reason)
        }
    }


    static func invalid(_ reason: String) -> ServiceError {
        ServiceError("InvalidEventPatternException", "Event pattern is not valid. Reason: \(reason)")
    }

    static func jsonReason(_ text: String, _ error: JSONParseError) -> String {
        let token = text.drop(while: { $0.isWhitespace }).prefix(while: { $0.isLetter || $0.isNumber })
        if !token.isEmpty, let first = token.first, first.isLetter, !["true", "false", "null"].contains(String(token)) {
            return "Unrecognized token '\(token)': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
        }
        return error.describe(in: text)
    }

    static func object(_ o: JSONObject) throws(PatternError) -> Object {
        var out = Object()
        for (key, value) in o {
            if key == "$or" {
                guard case .array(let items) = value else { throw PatternError("Or relationship must be an array of objects") }
                guard items.count >= 2 else { throw PatternError("Or relationship must have at least 2 items") }
                var group: [Object] = []
                for item in items {
                    guard case .object(let inner) = item else { throw PatternError("Or relationship must be an array of objects") }
                    group.append(try object(inner))
                }
                out.alternatives.append(group)
                continue
            }
            switch value {
            case .object(let inner):
                out.fields.append((key, .nested(try object(inner))))
            case .array(let items):
                guard !items.isEmpty else { throw PatternError("Empty arrays are not allowed") }
                var conditions: [Condition] = []
                for item in items { conditions.append(try condition(item)) }
                out.fields.append((key, .leaf(conditions)))
            default:
                throw PatternError("\"\(key)\" must be an object or an array")
            }
        }
        return out
    }

    static func condition(_ item: JSON) throws(PatternError) -> Condition {
        switch item {
        case .string, .int, .double, .bigNumber, .bool, .null:
            return .exact(item)
        case .array:
            throw PatternError("Match value must be String, number, true, false, or null")
        case .object(let o):
            guard o.count == 1, let (key, value) = o.first(where: { _ in true }) else {
                throw PatternError("Only one key allowed in match expression")
            }
            switch key {
            case "prefix", "suffix":
                let ignoreCase: Bool
                let text: String
                switch value {
                case .string(let s):
                    (text, ignoreCase) = (s, false)
                case .object(let inner) where inner.count == 1 && inner["equals-ignore-case"] != nil:
                    guard case .string(let s)? = inner["equals-ignore-case"] else { throw PatternError("equals-ignore-case match pattern must be a string") }
                    (text, ignoreCase) = (s, true)
                default:
                    throw PatternError("\(key) match pattern must be a string")
                }
                return key == "prefix" ? .prefix(text, ignoreCase: ignoreCase) : .suffix(text, ignoreCase: ignoreCase)
            case "equals-ignore-case":
                guard case .string(let s) = value else { throw PatternError("equals-ignore-case match pattern must be a string") }
                return .equalsIgnoreCase(s)
            case "wildcard":
                guard case .string(let s) = value else { throw PatternError("wildcard match pattern must be a string") }
                return .wildcard(try wildcard(s))
            case "cidr":
                // AWS's own message for a cidr that is not a string.
                guard case .string(let s) = value else { throw PatternError("prefix match pattern must be a string") }
                return .cidr(try CIDR(s))
            case "exists":
                guard case .bool(let b) = value else { throw PatternError("exists match pattern must be either true or false.") }
                return .exists(b)
            case "numeric":
                return .numeric(try numeric(value))
            case "anything-but":
                return .anythingBut(try anythingBut(value))
            default:
                throw PatternError("Unrecognized match type \(key)")
            }
        }
    }

    static func numeric(_ value: JSON) throws(PatternError) -> NumericRange {
        guard case .array(let items) = value, !items.isEmpty else { throw PatternError("Value of numeric must be an array.") }
        var range = NumericRange()
        var i = 0
        var sawEquals = false
        while i < items.count {
            guard case .string(let op) = items[i] else { throw PatternError("Invalid member in numeric match: \(items[i].serialized)") }
            guard i + 1 < items.count, let n = items[i + 1].numberValue else { throw PatternError("Value of \(op) must be numeric") }
            switch op {
            case "=":
                guard i == 0, items.count == 2 else { throw PatternError("Bad numeric range operator: =") }
                range.lower = (n, true)
                range.upper = (n, true)
                sawEquals = true
            case ">", ">=":
                guard range.lower == nil, range.upper == nil, !sawEquals else { throw PatternError("Bad numeric range operator: \(op)") }
                range.lower = (n, op == ">=")
            case "<", "<=":
                guard range.upper == nil, !sawEquals else { throw PatternError("Bad numeric range operator: \(op)") }
                if let lower = range.lower, lower.value > n || (lower.value == n && !(lower.inclusive && op == "<=")) {
                    throw PatternError("Bad numeric range: lower bound is not below the upper bound")
                }
                range.upper = (n, op == "<=")
            default:
                throw PatternError("Unrecognized numeric range operator: \(op)")
            }
            i += 2
        }
        return range
    }

    static func anythingBut(_ value: JSON) throws(PatternError) -> AnythingBut {
        let shapeError = PatternError("Value of anything-but must be an array or single string/number value.")
        switch value {
        case .string, .int, .double, .bigNumber:
            return .values([value])
        case .array(let items):
            guard !items.isEmpty else { throw PatternError("Empty arrays are not allowed") }
            for item in items {
                switch item {
                case .string, .int, .double: continue
                default: throw PatternError("Inside anything but list, start|null|boolean is not supported.")
                }
            }
            return .values(items)
        case .object(let o):
            guard o.count == 1, let (key, inner) = o.first(where: { _ in true }) else { throw shapeError }
            func strings(_ message: String) throws(PatternError) -> [String] {
                switch inner {
                case .string(let s): return [s]
                case .array(let items) where !items.isEmpty:
                    var out: [String] = []
                    for item in items {
                        guard case .string(let s) = item else { throw PatternError(message) }
                        out.append(s)
                    }
                    return out
                case .object, .null: throw shapeError
                default: throw PatternError(message)
                }
            }
            switch key {
            case "prefix", "suffix":
                let list = try strings("prefix/suffix match pattern must be a string")
                guard !list.contains(where: \.isEmpty) else { throw PatternError("Null prefix/suffix not allowed") }
                return key == "prefix" ? .prefixes(list) : .suffixes(list)
            case "equals-ignore-case":
                return .ignoringCase(try strings("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."))
            case "wildcard":
                var out: [Wildcard] = []
                for s in try strings("wildcard match pattern must be a string") { out.append(try wildcard(s)) }
                return .wildcards(out)
            default:
                throw PatternError("Unsupported anything-but pattern: \(key)")
            }
        default:
            throw shapeError
        }
    }

    /// AWS refuses `**` and patterns with many wildcards (its matcher's complexity limit).
    static let maximumWildcards = 5

    static func wildcard(_ text: String) throws(PatternError) -> Wildcard {
        var pieces: [Wildcard.Piece] = []
        var literal: [UInt8] = []
        var escaped = false
        var stars = 0
        var previousStar = false
        for (offset, b) in text.utf8.enumerated() {
            if escaped {
                guard b == UInt8(ascii: "*") || b == UInt8(ascii: "\\") else { throw PatternError("Invalid escape character at pos \(offset)") }
                literal.append(b)
                escaped = false
                previousStar = false
            } else if b == UInt8(ascii: "\\") {
                escaped = true
            } else if b == UInt8(ascii: "*") {
                guard !previousStar else { throw PatternError("Consecutive wildcard characters at pos \(offset)") }
                if !literal.isEmpty { pieces.append(.literal(literal)) }
                literal = []
                pieces.append(.star)
                stars += 1
                previousStar = true
            } else {
                literal.append(b)
                previousStar = false
            }
        }
        if escaped { throw PatternError("Invalid escape character at pos \(text.utf8.count)") }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        guard stars <= Self.maximumWildcards else {
            throw PatternError("Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character")
        }
        return Wildcard(pieces: pieces)
    }
}
