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

    static func accepts(_ types: Set<Character>, _ v: JValue?) -> Bool { accepts(types, code: code(v)) }

    /// The reference implementation's type classes: every parameter takes undefined (`m`);
    /// `a` and `x` take anything (a single value for `a` becomes an array).
    static func accepts(_ types: Set<Character>, code c: Character) -> Bool {
        c == "m" || types.contains("x") || types.contains("a") || types.contains(c)
    }

    /// Assigns arguments to parameters as the reference implementation's signature regex
    /// does (greedy, backtracking): returns how many arguments each parameter takes.
    func match(_ pi: Int, _ ai: Int, _ codes: [Character]) -> [Int]? {
        if pi == params.count { return ai == codes.count ? [] : nil }
        let p = params[pi]
        let least = p.optional || p.context ? 0 : 1
        var n = p.variadic ? codes.count - ai : min(1, codes.count - ai)
        while n >= least {
            if (0..<n).allSatisfy({ Self.accepts(p.types, code: codes[ai + $0]) }), let rest = match(pi + 1, ai + n, codes) {
                return [n] + rest
            }
            n -= 1
        }
        return nil
    }

    /// Checks and normalises the arguments: a missing context argument takes the input,
    /// a single value where an array is expected becomes an array.
    func validate(_ args: [JValue?], context: JValue?, function: String) throws(JSONataError) -> [JValue?] {
        let codes = args.map(Self.code)
        guard let counts = match(0, 0, codes) else {
            let bad = codes.firstIndex { c in !params.contains { Self.accepts($0.types, code: c) } } ?? 0
            throw JSONataError("T0410", "Argument \(bad + 1) of function \(function) does not match function signature", token: function)
        }
        var out: [JValue?] = []
        var a = 0
        for (pi, p) in params.enumerated() {
            if counts[pi] == 0 {
                if p.context {
                    var ctx = context
                    if case .array(let w)? = ctx, w.outerWrapper, let first = w.items.first { ctx = first }
                    let c = Self.code(ctx)
                    guard c == "m" || p.types.contains("x") || p.types.contains(c) || (p.types.contains("a") && c == "a") else {
                        throw JSONataError("T0411", "Context value is not a compatible type with argument \(pi + 1) of function \(function)", token: function)
                    }
                    out.append(try element(p, ctx, index: pi, function: function))
                } else {
                    // an optional parameter that matched nothing still takes its position
                    out.append(a < args.count ? args[a] : nil)
                    a += 1
                }
                continue
            }
            for _ in 0..<counts[pi] {
                out.append(try element(p, a < args.count ? args[a] : nil, index: a, function: function))
                a += 1
            }
        }
        return out
    }

    func element(_ p: Param, _ v: JValue?, index: Int, function: String) throws(JSONataError) -> JValue? {
        guard let v, let sub = p.arrayOf, !sub.isEmpty else {
            if let v, p.types.contains("a"), !v.isArray, !p.types.contains(Self.code(v)) { return .arr([v]) }
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
