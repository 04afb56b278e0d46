/// Parses JSONPath text into segments. Grammar after Jayway JsonPath.
struct JSONPathParser {
    let text: String
    let chars: [Character]
    var i = 0

    init(text: String) {
        self.text = text
        self.chars = Array(text)
    }

    func fail(_ message: String) -> JSONPathError { JSONPathError(path: text, message: message) }

    var atEnd: Bool { i >= chars.count }
    var peek: Character? { i < chars.count ? chars[i] : nil }

    mutating func parsePath() throws(JSONPathError) -> (JSONPath.Root, [JSONPath.Segment]) {
        guard peek == "$" else { throw fail("a path must start with '$'") }
        i += 1
        var root = JSONPath.Root.input
        if peek == "$" {
            root = .context
            i += 1
        } else if let c = peek, c.isASCII, c.isLetter || c == "_" {
            // `$name`: a variable (ASL variables are identifiers).
            let start = i
            while let c = peek, c.isASCII, c.isLetter || c.isNumber || c == "_" { i += 1 }
            root = .variable(String(chars[start..<i]))
        }
        let segs = try parseSegments(stopAt: nil)
        guard atEnd else { throw fail("unexpected character '\(chars[i])'") }
        return (root, segs)
    }

    /// Parses segments until the end, or until a character of `stopAt` at nesting level zero.
    mutating func parseSegments(stopAt: Set<Character>?) throws(JSONPathError) -> [JSONPath.Segment] {
        var segs: [JSONPath.Segment] = []
        while let c = peek {
            if let stopAt, stopAt.contains(c) { break }
            if c == "." {
                i += 1
                if peek == "." {
                    i += 1
                    if peek == "*" {
                        i += 1
                        segs.append(.deepScan(nil))
                    } else if peek == "[" {
                        let inner = try parseBracket()
                        switch inner {
                        case .key(let k): segs.append(.deepScan(k))
                        case .wildcard: segs.append(.deepScan(nil))
                        default: segs.append(.deepScan(nil)); segs.append(inner)
                        }
                    } else {
                        let name = readName()
                        guard !name.isEmpty else { throw fail("expected a name after '..'") }
                        segs.append(.deepScan(name))
                    }
                    continue
                }
                if peek == "*" {
                    i += 1
                    segs.append(.wildcard)
                    continue
                }
                if peek == "[" { continue }
                let name = readName()
                guard !name.isEmpty else { throw fail("expected a name after '.'") }
                if name == "length", peek == "(" {
                    i += 1
                    guard peek == ")" else { throw fail("expected ')'") }
                    i += 1
                    segs.append(.length)
                    continue
                }
                segs.append(.key(name))
            } else if c == "[" {
                segs.append(try parseBracket())
            } else {
                throw fail("unexpected character '\(c)'")
            }
        }
        return segs
    }

    mutating func readName() -> String {
        var name = ""
        while let c = peek, c != ".", c != "[", c != " ", c != ")", c != "(", c != "&", c != "|", c != "=", c != "!",
            c != "<", c != ">", c != ","
        {
            name.append(c)
            i += 1
        }
        return name
    }

    mutating func skipSpaces() { while peek == " " { i += 1 } }

    mutating func parseBracket() throws(JSONPathError) -> JSONPath.Segment {
        i += 1  // [
        skipSpaces()
        guard let c = peek else { throw fail("unterminated '['") }
        let seg: JSONPath.Segment
        if c == "*" {
            i += 1
            seg = .wildcard
        } else if c == "'" || c == "\"" {
            var keys: [String] = []
            while true {
                skipSpaces()
                keys.append(try readQuoted())
                skipSpaces()
                if peek == "," {
                    i += 1
                    continue
                }
                break
            }
            seg = keys.count == 1 ? .key(keys[0]) : .keys(keys)
        } else if c == "(" {
            // Jayway's script index, `[(@.length-N)]`: the N-th item from the end.
            var script = ""
            while let d = peek, d != "]" {
                if d != " " { script.append(d) }
                i += 1
            }
            guard script.hasPrefix("(@.length"), script.hasSuffix(")") else { throw fail("unsupported script expression") }
            let offset = script.dropFirst("(@.length".count).dropLast()
            if offset.isEmpty {
                seg = .index(Int.max)
            } else if offset.first == "-", let n = Int(offset.dropFirst()) {
                seg = .index(-n)
            } else {
                throw fail("unsupported script expression")
            }
        } else if c == "?" {
            i += 1
            skipSpaces()
            guard peek == "(" else { throw fail("expected '(' after '?'") }
            i += 1
            let expr = try parseOr()
            skipSpaces()
            guard peek == ")" else { throw fail("expected ')' closing the filter") }
            i += 1
            seg = .filter(expr)
        } else {
            // Index, union of indices, or slice.
            var parts: [String] = [""]
            var colons = 0
            var commas = 0
            while let d = peek, d != "]" {
                if d == ":" {
                    colons += 1
                    parts.append("")
                } else if d == "," {
                    commas += 1
                    parts.append("")
                } else if d != " " {
                    parts[parts.count - 1].append(d)
                }
                i += 1
            }
            if colons > 0 {
                guard commas == 0, colons <= 2 else { throw fail("invalid slice") }
                var nums: [Int?] = []
                for p in parts {
                    if p.isEmpty {
                        nums.append(nil)
                    } else if let n = Int(p) {
                        nums.append(n)
                    } else {
                        throw fail("invalid slice bound '\(p)'")
                    }
                }
                seg = .slice(start: nums[0], end: nums[1], step: nums.count > 2 ? nums[2] : nil)
            } else {
                var ix: [Int] = []
                for p in parts {
                    guard let n = Int(p) else { throw fail("invalid array index '\(p)'") }
                    ix.append(n)
                }
                seg = ix.count == 1 ? .index(ix[0]) : .indices(ix)
            }
        }
        skipSpaces()
        guard peek == "]" else { throw fail("expected ']'") }
        i += 1
        return seg
    }

    mutating func readQuoted() throws(JSONPathError) -> String {
        guard let q = peek, q == "'" || q == "\"" else { throw fail("expected a quoted name") }
        i += 1
        var s = ""
        while let c = peek, c != q {
            if c == "\\", i + 1 < chars.count, chars[i + 1] == q {
                // Only the quote itself is escaped; other backslashes are literal (as in Jayway).
                i += 1
                s.append(chars[i])
            } else {
                s.append(c)
            }
            i += 1
        }
        guard peek == q else { throw fail("unterminated quoted name") }
        i += 1
        return s
    }

    // MARK: filter expressions

    mutating func parseOr() throws(JSONPathError) -> FilterExpression {
        var lhs = try parseAnd()
        while true {
            skipSpaces()
            if match("||") {
                lhs = .or(lhs, try parseAnd())
            } else {
                return lhs
            }
        }
    }

    mutating func parseAnd() throws(JSONPathError) -> FilterExpression {
        var lhs = try parseUnary()
        while true {
            skipSpaces()
            if match("&&") {
                lhs = .and(lhs, try parseUnary())
            } else {
                return lhs
            }
        }
    }

    mutating func parseUnary() throws(JSONPathError) -> FilterExpression {
        skipSpaces()
        if peek == "!" {
            i += 1
            return .not(try parseUnary())
        }
        if peek == "(" {
            i += 1
            let e = try parseOr()
            skipSpaces()
            guard peek == ")" else { throw fail("expected ')'") }
            i += 1
            return e
        }
        let lhs = try parseOperand()
        skipSpaces()
        let ops: [(String, FilterExpression.ComparisonOperator)] = [
            ("==", .eq), ("!=", .ne), ("<=", .le), (">=", .ge), ("=~", .regex), ("<", .lt), (">", .gt),
            ("nin ", .nin), ("in ", .in),
        ]
        for (t, op) in ops where match(t) {
            skipSpaces()
            let rhs = try parseOperand()
            return .compare(lhs, op, rhs)
        }
        return .exists(lhs)
    }

    mutating func match(_ token: String) -> Bool {
        let t = Array(token)
        guard i + t.count <= chars.count, Array(chars[i..<i + t.count]) == t else { return false }
        i += t.count
        return true
    }

    mutating func parseOperand() throws(JSONPathError) -> FilterOperand {
        skipSpaces()
        guard let c = peek else { throw fail("expected an operand") }
        let start = i
        if c == "@" {
            i += 1
            let segs = try parseSegments(stopAt: [" ", ")", "&", "|", "=", "!", "<", ">"])
            return .current(segs, text: String(chars[start..<i]))
        }
        if c == "$" {
            i += 1
            // Advance past the path, then compile its text as a path of its own.
            _ = try parseSegments(stopAt: [" ", ")", "&", "|", "=", "!", "<", ">"])
            return .root(try JSONPath(String(chars[start..<i])))
        }
        if c == "'" || c == "\"" { return .literal(.string(try readQuoted())) }
        if c == "/" {
            // A regex literal /.../flags (flags ignored except that they are consumed).
            i += 1
            var s = ""
            while let d = peek, d != "/" {
                s.append(d)
                i += 1
            }
            guard peek == "/" else { throw fail("unterminated regex") }
            i += 1
            while let d = peek, d.isLetter { i += 1 }
            return .literal(.string(s))
        }
        // A JSON literal: number, true, false, null, array.
        var depth = 0
        while let d = peek {
            if d == "[" { depth += 1 }
            if d == "]" {
                if depth == 0 { break }
                depth -= 1
            }
            if depth == 0, d == ")" || d == " " || d == "&" || d == "|" { break }
            i += 1
        }
        let lit = String(chars[start..<i]).replacingSingleQuotes
        if let v = try? JSONParser.parse(lit) { return .literal(v) }
        // An unquoted word compares as a string.
        guard !lit.isEmpty, lit.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw fail("invalid literal '\(lit)'")
        }
        return .literal(.string(lit))
    }
}

extension String {
    var replacingSingleQuotes: String { String(self.map { $0 == "'" ? "\"" : $0 }) }
}
