import Foundation

/// The built-in functions, with the reference implementation's signatures.
enum Library {
    typealias Body = @Sendable (_ args: [JValue?], _ call: BuiltinCall) throws -> JValue?

    static func def(_ name: String, _ signature: String, _ body: @escaping Body) -> (String, Builtin) {
        // A higher-order function passes a built-in only its required arguments (JavaScript's
        // Function.length stops at the first optional parameter).
        let sig = try? Signature(signature)
        let arity = sig.map { s in s.params.prefix { !$0.optional }.count } ?? 1
        return (name, Builtin(name: name, arity: max(1, arity), signature: sig, body: body))
    }

    static func num(_ v: JValue?) -> Double? { v?.numberValue }
    static func str(_ v: JValue?) -> String? { v?.stringValue }

    static func numbers(_ v: JValue?) -> [Double] { Functions.items(v).compactMap(\.numberValue) }

    /// Every built-in by name: what a variable resolves to when no frame binds it.
    static let table: [String: Builtin] = Dictionary(all, uniquingKeysWith: { a, _ in a })

    static let all: [(String, Builtin)] = aggregates + strings + numeric + higherOrder + objects + Library.extras

    static let aggregates: [(String, Builtin)] = [
        def("sum", "<a<n>:n>") { a, _ in a[0] == nil ? nil : .number(numbers(a[0]).reduce(0, +)) },
        def("count", "<a:n>") { a, _ in .number(Double(Functions.items(a[0]).count)) },
        def("max", "<a<n>:n>") { a, _ in numbers(a[0]).max().map { .number($0) } },
        def("min", "<a<n>:n>") { a, _ in numbers(a[0]).min().map { .number($0) } },
        def("average", "<a<n>:n>") { a, _ in
            let n = numbers(a[0])
            return n.isEmpty ? nil : .number(n.reduce(0, +) / Double(n.count))
        },
    ]

    static let strings: [(String, Builtin)] = [
        def("string", "<x-b?:s>") { a, call in
            guard let v = a[0] else { return nil }
            if case .number(let n) = v, !n.isFinite {
                throw JSONataError("D3001", "Attempting to invoke string function on Infinity or NaN", token: "string")
            }
            if case .function = v { return .string("") }
            if Functions.containsNonFinite(v) { throw JSONataError("D1001", "Number out of range", token: "string") }
            return .string(try Functions.string(v, pretty: a.count > 1 && a[1]?.boolValue == true, limit: call.evaluator.ctx.maxValueSize))
        },
        def("substring", "<s-nn?:s>") { a, _ in
            guard let s = str(a[0]), let startD = num(a[1]) else { return nil }
            let chars = Array(s.unicodeScalars)
            var start = startD.rounded(.towardZero).clampedInt
            if start < 0 { start = max(0, chars.count + start) }
            start = min(start, chars.count)
            var end = chars.count
            if let l = num(a.count > 2 ? a[2] : nil) { end = l <= 0 ? start : min(chars.count, start + min(chars.count, l.rounded(.towardZero).clampedInt)) }
            return .string(String(String.UnicodeScalarView(chars[start..<max(start, end)])))
        },
        def("substringBefore", "<s-s:s>") { a, _ in
            guard let s = str(a[0]), let c = str(a[1]) else { return a[0] }
            if c.isEmpty { return .string("") }
            guard let r = s.range(of: c) else { return .string(s) }
            return .string(String(s[..<r.lowerBound]))
        },
        def("substringAfter", "<s-s:s>") { a, _ in
            guard let s = str(a[0]), let c = str(a[1]) else { return a[0] }
            guard let r = s.range(of: c) else { return .string(s) }
            return .string(String(s[r.upperBound...]))
        },
        def("lowercase", "<s-:s>") { a, _ in str(a[0]).map { .string($0.lowercased()) } },
        def("uppercase", "<s-:s>") { a, _ in str(a[0]).map { .string($0.uppercased()) } },
        def("length", "<s-:n>") { a, _ in str(a[0]).map { .number(Double($0.unicodeScalars.count)) } },
        def("trim", "<s-:s>") { a, _ in
            guard let s = str(a[0]) else { return nil }
            let collapsed = s.replacingOccurrences(of: "[ \t\n\r]+", with: " ", options: .regularExpression)
            return .string(collapsed.trimmingCharacters(in: CharacterSet(charactersIn: " ")))
        },
        def("pad", "<s-ns?:s>") { a, _ in
            guard let s = str(a[0]), let w = num(a[1]) else { return nil }
            var pad = str(a.count > 2 ? a[2] : nil) ?? " "
            if pad.isEmpty { pad = " " }
            let len = s.unicodeScalars.count
            let width = min(1_000_000, abs(w).rounded(.towardZero).clampedInt)
            guard width > len else { return .string(s) }
            let padChars = Array(pad.unicodeScalars)
            let fill = String(String.UnicodeScalarView((0..<(width - len)).map { padChars[$0 % padChars.count] }))
            return .string(w > 0 ? s + fill : fill + s)
        },
        def("contains", "<s-(sf):b>") { a, _ in
            guard let s = str(a[0]) else { return nil }
            if case .function(let f)? = a[1], case .regex(let r) = f.kind { return .bool(!(try r.matches(s)).isEmpty) }
            guard let t = str(a[1]) else { return nil }
            return .bool(t.isEmpty || s.contains(t))
        },
        def("split", "<s-(sf)n?:a<s>>") { a, _ in
            guard let s = str(a[0]) else { return nil }
            var limit: Int?
            if a.count > 2, let l = num(a[2]) {
                guard l >= 0 else { throw JSONataError("D3020", "Third argument of split function must evaluate to a positive number", token: "split") }
                limit = l.clampedInt
            }
            var parts: [String]
            if case .function(let f)? = a[1], case .regex(let r) = f.kind {
                parts = []
                var last = s.startIndex
                for m in try r.matches(s) {
                    parts.append(String(s[last..<m.range.lowerBound]))
                    last = m.range.upperBound
                }
                parts.append(String(s[last...]))
            } else if let sep = str(a[1]) {
                parts = sep.isEmpty ? s.unicodeScalars.map { String($0) } : s.components(separatedBy: sep)
            } else {
                throw JSONataError("T0410", "Argument 2 of function split does not match function signature", token: "split")
            }
            if let limit { parts = Array(parts.prefix(limit)) }
            return .arr(parts.map { .string($0) })
        },
        def("join", "<a<s>s?:s>") { a, call in
            guard a[0] != nil else { return nil }
            let sep = str(a.count > 1 ? a[1] : nil) ?? ""
            let parts = Functions.items(a[0]).compactMap(\.stringValue)
            let limit = call.evaluator.ctx.maxValueSize
            if parts.reduce(sep.utf8.count * parts.count, { $0 + $1.utf8.count }) > limit { throw Functions.tooLarge(limit) }
            return .string(parts.joined(separator: sep))
        },
        def("match", "<s-f<s:o>n?:a<o>>") { a, _ in
            guard let s = str(a[0]) else { return nil }
            guard case .function(let f)? = a[1], case .regex(let r) = f.kind else {
                throw JSONataError("T0410", "Argument 2 of function match does not match function signature", token: "match")
            }
            if a.count > 2, let l = num(a[2]), l < 0 {
                throw JSONataError("D3040", "Third argument of match function must evaluate to a positive number", token: "match")
            }
            var ms = try r.matches(s)
            if a.count > 2, let l = num(a[2]) { ms = Array(ms.prefix(l.clampedInt)) }
            return .seq(ms.map { m in
                let o = JObject()
                o["match"] = .string(m.text)
                o["index"] = .number(Double(m.start))
                o["groups"] = .arr(m.groups.map { .string($0) })
                return .object(o)
            })
        },
        def("replace", "<s-(sf)(sf)n?:s>") { a, call in
            guard let s = str(a[0]) else { return nil }
            if case .string(let p)? = a[1], p.isEmpty {
                throw JSONataError("D3010", "Second argument of replace function cannot be an empty string", token: "replace")
            }
            var limit = Int.max
            if a.count > 3, let l = num(a[3]) {
                guard l >= 0 else { throw JSONataError("D3011", "Fourth argument of replace function must evaluate to a positive number", token: "replace") }
                limit = l.clampedInt
            }
            if case .string(let p)? = a[1] {
                guard case .string(let rep)? = a[2] else {
                    throw JSONataError("T0410", "Argument 3 of function replace does not match function signature", token: "replace")
                }
                var out = ""
                var rest = Substring(s)
                var n = 0
                while n < limit, let r = rest.range(of: p) {
                    out += rest[..<r.lowerBound] + rep
                    rest = rest[r.upperBound...]
                    n += 1
                }
                return .string(out + rest)
            }
            guard case .function(let f)? = a[1], case .regex(let r) = f.kind else { return nil }
            var out = ""
            var last = s.startIndex
            for (n, m) in try r.matches(s).enumerated() where n < limit {
                out += s[last..<m.range.lowerBound]
                switch a[2] {
                case .string(let rep)?: out += expand(rep, m)
                case .function(let g)?:
                    let mo = JObject()
                    mo["match"] = .string(m.text)
                    mo["index"] = .number(Double(m.start))
                    mo["groups"] = .arr(m.groups.map { .string($0) })
                    guard case .string(let v)? = try call.evaluator.apply(g, [.object(mo)], call.input) else {
                        throw JSONataError("D3012", "Attempted to replace a matched string with a non-string value", token: "replace")
                    }
                    out += v
                default: break
                }
                last = m.range.upperBound
            }
            return .string(out + s[last...])
        },
        def("base64encode", "<s-:s>") { a, _ in str(a[0]).map { .string(Data($0.utf8).base64EncodedString()) } },
        def("base64decode", "<s-:s>") { a, _ in
            guard let s = str(a[0]), let d = Data(base64Encoded: s) else { return nil }
            return .string(String(decoding: d, as: UTF8.self))
        },
        def("encodeUrlComponent", "<s-:s>") { a, _ in try url(a[0], allowed: .urlComponent, name: "encodeUrlComponent") },
        def("encodeUrl", "<s-:s>") { a, _ in try url(a[0], allowed: .url, name: "encodeUrl") },
        def("decodeUrlComponent", "<s-:s>") { a, _ in try decode(a[0], "decodeUrlComponent") },
        def("decodeUrl", "<s-:s>") { a, _ in try decode(a[0], "decodeUrl") },
    ]

    /// `$0`, `$1`… in a replacement string: the match and its groups; `$$` is a dollar.
    static func expand(_ rep: String, _ m: JRegex.Match) -> String {
        var out = ""
        let cs = Array(rep.unicodeScalars)
        var i = 0
        while i < cs.count {
            if cs[i] == "$", i + 1 < cs.count {
                if cs[i + 1] == "$" {
                    out += "$"
                    i += 2
                    continue
                }
                if cs[i + 1].properties.numericType != nil, let d = Int(String(cs[i + 1])) {
                    // the longest group number that exists
                    var n = d
                    var j = i + 2
                    while j < cs.count, let next = Int(String(cs[j])), n * 10 + next <= m.groups.count {
                        n = n * 10 + next
                        j += 1
                    }
                    if n == 0 {
                        out += m.text
                    } else if n <= m.groups.count {
                        out += m.groups[n - 1]
                    }
                    i = j
                    continue
                }
            }
            out.unicodeScalars.append(cs[i])
            i += 1
        }
        return out
    }

    enum URLSet { case url, urlComponent }

    static func url(_ v: JValue?, allowed: URLSet, name: String) throws -> JValue? {
        guard let s = str(v) else { return nil }
        if s.unicodeScalars.contains(where: { (0xD800...0xDFFF).contains($0.value) }) {
            throw JSONataError("D3140", "Malformed URL passed to \(name)(): \"\(s)\"", token: name)
        }
        let unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()"
        let extra = allowed == .url ? ";,/?:@&=+$#" : ""
        let set = CharacterSet(charactersIn: unreserved + extra)
        return s.addingPercentEncoding(withAllowedCharacters: set).map { .string($0) }
    }

    static func decode(_ v: JValue?, _ name: String) throws -> JValue? {
        guard let s = str(v) else { return nil }
        guard let d = s.removingPercentEncoding else {
            throw JSONataError("D3140", "Malformed URL passed to \(name)(): \"\(s)\"", token: name)
        }
        return .string(d)
    }
}

extension JValue {
    var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
}
