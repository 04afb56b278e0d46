/// A function signature such as `<s-n?:s>`: each parameter's accepted types and whether it
/// is optional (`?`), repeatable (`+`) or taken from the context when missing (`-`).
struct Signature: Sendable {
    struct Param: Sendable {
        var types: Set<Character>
        var arrayOf: Set<Character>?
        var optional = false
        var variadic = false
        var context = false
    }

    var params: [Param] = []
    var text: String

    init(_ text: String) throws(JSONataError) {
        self.text = text
        var chars = Array(text.dropFirst().dropLast())
        if let colon = chars.firstIndex(of: ":") { chars = Array(chars[..<colon]) }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "b", "n", "s", "l", "a", "o", "f", "j", "x", "u":
                var p = Param(types: c == "u" ? ["b", "n", "s", "l"] : c == "j" ? ["b", "n", "s", "l", "a", "o"] : [c])
                i += 1
                if c == "a" || c == "f", i < chars.count, chars[i] == "<" {
                    var depth = 1
                    var inner: [Character] = []
                    i += 1
                    while i < chars.count && depth > 0 {
                        if chars[i] == "<" { depth += 1 } else if chars[i] == ">" { depth -= 1 }
                        if depth > 0 { inner.append(chars[i]) }
                        i += 1
                    }
                    if c == "a" { p.arrayOf = Set(inner.filter { "bnslaofjx".contains($0) }) }
                }
                params.append(p)
                continue
            case "(":
                var types: Set<Character> = []
                i += 1
                while i < chars.count && chars[i] != ")" {
                    types.insert(chars[i])
                    i += 1
                }
                if types.contains("j") { types.formUnion(["b", "n", "s", "l", "a", "o"]) }
                if types.contains("u") { types.formUnion(["b", "n", "s", "l"]) }
                params.append(Param(types: types))
            case "?": if !params.isEmpty { params[params.count - 1].optional = true }
            case "+": if !params.isEmpty { params[params.count - 1].variadic = true }
            case "-": if !params.isEmpty { params[params.count - 1].context = true }
            default:
                throw JSONataError("S0401", "Type parameter \(c) is not valid in the function signature", position: i)
            }
            i += 1
        }
    }

    static func code(_ v: JValue?) -> Character {
        guard let v else { return "m" }
        switch v {
        case .null: return "l"
        case .bool: return "b"
        case .number: return "n"
        case .string: return "s"
        case .array: return "a"
        case .object: return "o"
        case .function: return "f"
        }
    }

    static func accepts(_ types: Set<Character>, _ v: JValue?) -> Bool {
        let c = code(v)
        return types.contains("x") || types.contains(c) || (c == "a" && types.contains("a"))
    }

    /// Checks and normalises the arguments: a missing context argument takes the input,
    /// a single value where an array is expected becomes an array.
    func validate(_ args: [JValue?], context: JValue?, function: String) throws(JSONataError) -> [JValue?] {
        var out: [JValue?] = []
        var a = 0
        for (pi, p) in params.enumerated() {
            if p.variadic {
                var n = 0
                while a < args.count, args[a] == nil || Self.accepts(p.types, args[a]) {
                    out.append(try element(p, args[a], index: a, function: function))
                    a += 1
                    n += 1
                }
                if n == 0 && !p.optional {
                    throw JSONataError("T0410", "Argument \(a + 1) of function \(function) does not match function signature", position: 0, token: function)
                }
                continue
            }
            if a < args.count {
                let v = args[a]
                if v == nil || Self.accepts(p.types, v) || (p.arrayOf != nil && p.types.contains("a")) {
                    if v != nil, !Self.accepts(p.types, v), p.arrayOf != nil, !(p.arrayOf!.isEmpty || Self.accepts(p.arrayOf!, v)) {
                        throw JSONataError("T0412", "Argument \(a + 1) of function \(function) must be an array of \(Self.typeNames(p.arrayOf!))", token: function)
                    }
                    out.append(try element(p, v, index: a, function: function))
                    a += 1
                    continue
                }
                if p.optional {
                    // the remaining parameters might still match this argument
                    let restCanTake = params[(pi + 1)...].contains { Self.accepts($0.types, v) }
                    if restCanTake { out.append(nil); continue }
                }
                if p.context && args.count < params.count {
                    out.append(try contextArgument(p, context, function: function))
                    continue
                }
                throw JSONataError("T0410", "Argument \(a + 1) of function \(function) does not match function signature", token: function)
            } else if p.context {
                out.append(try contextArgument(p, context, function: function))
            } else {
                out.append(nil)
            }
        }
        if a < args.count {
            throw JSONataError("T0410", "Argument \(a + 1) of function \(function) does not match function signature", token: function)
        }
        return out
    }

    func contextArgument(_ p: Param, _ context: JValue?, function: String) throws(JSONataError) -> JValue? {
        if context != nil && !Self.accepts(p.types, context) {
            throw JSONataError("T0411", "Context value is not a compatible type with argument 1 of function \(function)", token: function)
        }
        return context
    }

    func element(_ p: Param, _ v: JValue?, index: Int, function: String) throws(JSONataError) -> JValue? {
        guard let v, let sub = p.arrayOf, !sub.isEmpty else {
            if let v, p.types == ["a"], !v.isArray { return .arr([v]) }
            return v
        }
        let items: [JValue]
        if case .array(let arr) = v { items = arr.items } else { items = [v] }
        for item in items where !Self.accepts(sub, item) {
            throw JSONataError("T0412", "Argument \(index + 1) of function \(function) must be an array of \(Self.typeNames(sub))", token: function)
        }
        if case .array = v { return v }
        return .arr([v])
    }

    static func typeNames(_ s: Set<Character>) -> String {
        let names: [Character: String] = ["b": "booleans", "n": "numbers", "s": "strings", "l": "nulls", "a": "arrays", "o": "objects", "f": "functions"]
        return s.compactMap { names[$0] }.sorted().joined(separator: " or ")
    }
}
