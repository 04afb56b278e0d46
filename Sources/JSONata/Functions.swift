import Foundation

/// Conversions the operators and built-ins share: JavaScript's number and string rules.
enum Functions {
    /// JavaScript's Number::toString (shortest round-trip digits, exponent past 1e21 or below 1e-6).
    static func jsNumber(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x < 0 ? "-Infinity" : "Infinity" }
        if x == 0 { return "0" }
        if x < 0 { return "-" + jsNumber(-x) }
        let d = "\(x)"
        var mantissa = Substring(d)
        var exp = 0
        if let e = d.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = d[..<e]
            exp = Int(d[d.index(after: e)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = String(parts[0])
        var digits = intPart + (parts.count > 1 ? String(parts[1]) : "")
        var n = intPart.count + exp
        while digits.count > 1 && digits.hasPrefix("0") {
            digits.removeFirst()
            n -= 1
        }
        while digits.count > 1 && digits.hasSuffix("0") { digits.removeLast() }
        let k = digits.count
        if k <= n && n <= 21 { return digits + String(repeating: "0", count: n - k) }
        if 0 < n && n <= 21 {
            let i = digits.index(digits.startIndex, offsetBy: n)
            return String(digits[..<i]) + "." + String(digits[i...])
        }
        if -6 < n && n <= 0 { return "0." + String(repeating: "0", count: -n) + digits }
        let e = n - 1
        let sign = e < 0 ? "-" : "+"
        if k == 1 { return digits + "e" + sign + String(abs(e)) }
        return String(digits.prefix(1)) + "." + String(digits.dropFirst()) + "e" + sign + String(abs(e))
    }

    /// `Number(x.toPrecision(15))`: how $string and `&` print numbers.
    static func precise(_ x: Double) -> Double {
        guard x.isFinite, x != 0 else { return x }
        return Double(String(format: "%.15g", x)) ?? x
    }

    /// $string: strings as they are, everything else as compact JSON (functions as "").
    static func string(_ v: JValue, pretty: Bool = false) -> String {
        if case .string(let s) = v { return s }
        var out = ""
        write(v, &out, pretty: pretty, indent: 0)
        return out
    }

    /// `string(v)`, refusing to build more than `limit` bytes: values share structure, so a
    /// small expression can describe an exponentially large text.
    static func string(_ v: JValue, pretty: Bool = false, limit: Int) throws(JSONataError) -> String {
        if case .string(let s) = v { return s }
        var out = ""
        write(v, &out, pretty: pretty, indent: 0, limit: limit)
        if out.utf8.count > limit { throw tooLarge(limit) }
        return out
    }

    static func tooLarge(_ limit: Int) -> JSONataError {
        JSONataError("U1002", "The expression built a value larger than the evaluation limit (\(limit) characters or items)")
    }

    static func write(_ v: JValue, _ out: inout String, pretty: Bool, indent: Int, limit: Int = .max) {
        // Past the limit, stop writing: the caller sees the length and refuses the result.
        if limit != .max, out.utf8.count > limit { return }
        switch v {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += jsNumber(n.rounded() == n ? n : precise(n))
        case .string(let s): quote(s, &out)
        case .function: out += "\"\""
        case .array(let a):
            if a.items.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (i, item) in a.items.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                write(item, &out, pretty: pretty, indent: indent + 1, limit: limit)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "]"
        case .object(let o):
            if o.count == 0 {
                out += "{}"
                return
            }
            out += "{"
            for (i, (k, item)) in o.entries.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                quote(k, &out)
                out += pretty ? ": " : ":"
                write(item, &out, pretty: pretty, indent: indent + 1, limit: limit)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "}"
        }
    }

    static func quote(_ s: String, _ out: inout String) {
        out += "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if c.value < 0x20 {
                    out += String(format: "\\u%04x", c.value)
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out += "\""
    }

    static func containsNonFinite(_ v: JValue) -> Bool {
        switch v {
        case .number(let n): return !n.isFinite
        case .array(let a): return a.items.contains { containsNonFinite($0) }
        case .object(let o): return o.values.contains { containsNonFinite($0) }
        default: return false
        }
    }

    /// JSONata's truthiness; nil for undefined.
    static func boolean(_ v: JValue?) -> Bool? {
        guard let v else { return nil }
        switch v {
        case .null: return false
        case .bool(let b): return b
        case .number(let n): return n != 0
        case .string(let s): return !s.isEmpty
        case .function: return false
        case .object(let o): return o.count > 0
        case .array(let a):
            if a.items.count == 1 { return boolean(a.items[0]) ?? false }
            return a.items.contains { boolean($0) == true }
        }
    }

    /// JavaScript compares strings by UTF-16 code units.
    static func compareStrings(_ a: String, _ b: String) -> Int {
        if a == b { return 0 }
        return a.utf16.lexicographicallyPrecedes(b.utf16) ? -1 : 1
    }

    /// The reference implementation's `append`: undefined disappears, values join into a sequence.
    static func append(_ a: JValue?, _ b: JValue?) -> JValue? {
        guard let a else { return b }
        guard let b else { return a }
        var left: JArray
        if case .array(let x) = a { left = x } else { left = JArray([a], sequence: true) }
        if case .array(let y) = b { left.items += y.items } else { left.items.append(b) }
        return .array(left)
    }

    static func items(_ v: JValue?) -> [JValue] {
        switch v {
        case nil: return []
        case .array(let a)?: return a.items
        case let x?: return [x]
        }
    }
}

extension Double {
    /// An Int for indexes, counts and widths: clamped, never a trap (NaN is 0).
    var clampedInt: Int {
        guard !isNaN else { return 0 }
        if self >= 9.0e18 { return Int(9.0e18) }
        if self <= -9.0e18 { return -Int(9.0e18) }
        return Int(self)
    }
}
