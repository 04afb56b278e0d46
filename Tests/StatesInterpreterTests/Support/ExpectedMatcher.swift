import Foundation
import StatesLanguage

/// Compares a result with AWS's recorded one the way `run.py` does: placeholders such as
/// `<uuid:1>` in the expectation match any text, ISO dates become `date`, and values of
/// keys containing "timestamp" are not compared.
struct ExpectedMatcher {
    /// Masks that a case asks for on output fields (`$..events..output.FunctionResult` → a constant).
    var keyMasks: [String: JSON] = [:]
    /// Literal values the runner masks everywhere (the role ARN becomes `snf_role_arn`).
    var literalMasks: [(String, String)] = [("arn:aws:iam::111111111111:role/sfn", "snf_role_arn")]

    init(normalise: [JSON]) {
        for rule in normalise where rule["type"]?.stringValue == "jsonpath" && rule["reference"]?.boolValue == false {
            guard let path = rule["path"]?.stringValue, let replacement = rule["replacement"] else { continue }
            let key = path.split(whereSeparator: { $0 == "." || $0 == "$" }).last.map(String.init) ?? ""
            keyMasks[key] = replacement
        }
    }

    /// As run.py does first: string values that hold a JSON object are replaced by the object.
    static func parseObjectStrings(_ value: JSON) -> JSON {
        switch value {
        case .object(let o):
            var out = JSONObject()
            for (k, v) in o {
                if case .string(let text) = v, text.hasPrefix("{"), let parsed = try? JSONParser.parse(text) {
                    out[k] = parsed
                } else {
                    out[k] = parseObjectStrings(v)
                }
            }
            return .object(out)
        case .array(let a): return .array(a.map(parseObjectStrings))
        default: return value
        }
    }

    func mask(_ value: JSON) -> JSON {
        switch value {
        case .object(let o):
            var out = JSONObject()
            for (k, v) in o {
                if let m = keyMasks[k] { out[k] = m } else if k.lowercased().contains("timestamp"), !(v.stringValue.map { $0.contains(Self.isoDate) } ?? false) { out[k] = "timestamp" } else { out[k] = mask(v) }
            }
            return .object(out)
        case .array(let a): return .array(a.map(mask))
        case .string(var s):
            for (literal, mask) in literalMasks where s.contains(literal) { s = s.replacingOccurrences(of: literal, with: mask) }
            return .string(Self.maskDates(s))
        default: return value
        }
    }

    static var isoDate: Regex<AnyRegexOutput> { try! Regex(#"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]\d{2}:?(\d{2})?)"#) }
    static var placeholder: Regex<AnyRegexOutput> { try! Regex(#"<[A-Za-z][A-Za-z0-9_.:\-]*>"#) }

    static func maskDates(_ s: String) -> String {
        guard s.contains("T") else { return s }
        return s.replacing(isoDate, with: "date")
    }

    /// nil when equal, else a description of the first difference.
    func difference(expected: JSON, actual: JSON, path: String = "$") -> String? {
        switch (expected, actual) {
        case (.object(let e), .object(let a)):
            let missing = e.keys.filter { a[$0] == nil }, extra = a.keys.filter { e[$0] == nil }
            if !missing.isEmpty || !extra.isEmpty { return "\(path): missing \(missing), unexpected \(extra)" }
            for (k, v) in e { if let d = difference(expected: v, actual: a[k]!, path: path + "." + k) { return d } }
            return nil
        case (.array(let e), .array(let a)):
            guard e.count == a.count else { return "\(path): expected \(e.count) items, got \(a.count)" }
            for i in e.indices { if let d = difference(expected: e[i], actual: a[i], path: "\(path)[\(i)]") { return d } }
            return nil
        case (.object, .string(let a)), (.array, .string(let a)):
            // Fields that carry JSON text: the expectation may hold the parsed value.
            guard let parsed = try? JSONParser.parse(a) else { return "\(path): expected \(expected), got \(actual)" }
            return difference(expected: expected, actual: parsed, path: path)
        case (.string(let e), .string(let a)):
            return stringsMatch(e, a) ? nil : "\(path): expected \(expected), got \(actual)"
        case (.int(let e), .int(let a)):
            return e == a ? nil : "\(path): expected \(e), got \(a)"
        case (.double(let e), .double(let a)):
            return e == a ? nil : "\(path): expected \(e), got \(a)"
        case (.null, .null): return nil
        case (.bool(let e), .bool(let a)): return e == a ? nil : "\(path): expected \(e), got \(a)"
        default:
            if case .bigNumber = expected, expected == actual { return nil }
            return "\(path): expected \(expected), got \(actual)"
        }
    }

    func stringsMatch(_ expected: String, _ actual: String) -> Bool {
        if expected == actual { return true }
        if expected.contains("<") {
            // Build a regex from the literal parts around each placeholder.
            var pattern = "(?s)"
            var rest = Substring(expected)
            while let m = rest.firstMatch(of: Self.placeholder) {
                pattern += NSRegularExpression.escapedPattern(for: String(rest[rest.startIndex..<m.range.lowerBound])) + ".+?"
                rest = rest[m.range.upperBound...]
            }
            pattern += NSRegularExpression.escapedPattern(for: String(rest))
            if let rx = try? Regex(pattern), (try? rx.wholeMatch(in: actual)) != nil { return true }
        }
        // JSON text compares as parsed JSON ("[1,2]" equals "[1, 2]").
        if let e = try? JSONParser.parse(expected), let a = try? JSONParser.parse(actual), e.stringValue == nil,
           e.arrayValue != nil || e.objectValue != nil {
            return difference(expected: e, actual: a) == nil
        }
        return false
    }
}
