/// JSONata's tokens, read from the expression's Unicode scalars.
struct Token {
    enum Kind: Sendable, Equatable { case op, name, variable, string, number, value, regex, end }
    var kind: Kind
    var text: String
    var number: Double = 0
    var literal: JValue? = nil
    var position: Int
}

struct Lexer {
    let src: [Unicode.Scalar]
    var pos = 0

    init(_ text: String) { src = Array(text.unicodeScalars) }

    static let operators: [String: Int] = [
        ".": 75, "[": 80, "]": 0, "{": 70, "}": 0, "(": 80, ")": 0, ",": 0, "@": 80, "#": 80, ";": 80, ":": 80,
        "?": 20, "+": 50, "-": 50, "*": 60, "/": 60, "%": 60, "|": 20, "=": 40, "<": 40, ">": 40, "^": 40,
        "**": 60, "..": 20, ":=": 10, "!=": 40, "<=": 40, ">=": 40, "~>": 40, "and": 30, "or": 25, "in": 40,
        "&": 50, "!": 0, "~": 0, "??": 20, "?:": 20,
    ]

    static let escapes: [Unicode.Scalar: String] = ["\"": "\"", "\\": "\\", "/": "/", "b": "\u{08}", "f": "\u{0C}", "n": "\n", "r": "\r", "t": "\t"]

    func peek(_ offset: Int = 0) -> Unicode.Scalar? { pos + offset < src.count ? src[pos + offset] : nil }

    /// The next token; `prefix` says a regex may start here (after an operator).
    mutating func next(prefix: Bool) throws(JSONataError) -> Token {
        // whitespace and comments
        while let c = peek() {
            if c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0B}" {
                pos += 1
            } else if c == "/" && peek(1) == "*" {
                let start = pos
                pos += 2
                while !(peek() == "*" && peek(1) == "/") {
                    guard peek() != nil else { throw JSONataError("S0106", "Comment has no closing tag", position: start) }
                    pos += 1
                }
                pos += 2
            } else {
                break
            }
        }
        guard let c = peek() else { return Token(kind: .end, text: "(end)", position: pos) }
        let start = pos
        if prefix && c == "/" {
            pos += 1
            return try regex(start)
        }
        // two-character operators
        if let d = peek(1) {
            let two = String(c) + String(d)
            if ["..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??"].contains(two) {
                pos += 2
                return Token(kind: .op, text: two, position: start)
            }
        }
        if let _ = Self.operators[String(c)], c != "a", c != "o", c != "i" {
            pos += 1
            return Token(kind: .op, text: String(c), position: start)
        }
        if c == "\"" || c == "'" {
            pos += 1
            var out = String.UnicodeScalarView()
            while let ch = peek() {
                pos += 1
                if ch == "\\" {
                    guard let e = peek() else { break }
                    pos += 1
                    if let mapped = Self.escapes[e] {
                        out.append(contentsOf: mapped.unicodeScalars)
                    } else if e == "u" {
                        let hex = String(String.UnicodeScalarView(src[pos..<min(pos + 4, src.count)]))
                        guard hex.count == 4, let v = UInt32(hex, radix: 16) else {
                            throw JSONataError("S0104", "The escape sequence \\u must be followed by 4 hex digits", position: pos)
                        }
                        pos += 4
                        if (0xD800...0xDBFF).contains(v), peek() == "\\", peek(1) == "u" {
                            let low = String(String.UnicodeScalarView(src[(pos + 2)..<min(pos + 6, src.count)]))
                            if let lv = UInt32(low, radix: 16), (0xDC00...0xDFFF).contains(lv) {
                                pos += 6
                                out.append(Unicode.Scalar(0x10000 + ((v - 0xD800) << 10) + (lv - 0xDC00))!)
                                continue
                            }
                        }
                        out.append(Unicode.Scalar(v) ?? "\u{FFFD}")
                    } else {
                        throw JSONataError("S0103", "Unsupported escape sequence: \\\(e)", position: pos, token: String(e))
                    }
                } else if ch == c {
                    return Token(kind: .string, text: String(out), position: start)
                } else {
                    out.append(ch)
                }
            }
            throw JSONataError("S0101", "String literal must be terminated by a matching quote", position: start)
        }
        if c.value >= 48 && c.value <= 57 {
            return try number(start)
        }
        if c == "`" {
            pos += 1
            var name = String.UnicodeScalarView()
            while let ch = peek(), ch != "`" {
                name.append(ch)
                pos += 1
            }
            guard peek() == "`" else { throw JSONataError("S0105", "Quoted property name must be terminated with a backquote (`)", position: start) }
            pos += 1
            return Token(kind: .name, text: String(name), position: start)
        }
        // names, variables, keywords
        var name = String.UnicodeScalarView()
        let isVariable = c == "$"
        if isVariable { pos += 1 }
        while let ch = peek() {
            if ch == " " || ch == "\t" || ch == "\n" || ch == "\r" || ch == "\u{0B}" { break }
            if Self.operators[String(ch)] != nil && ch != "a" && ch != "o" && ch != "i" { break }
            if ch == "\"" || ch == "'" || ch == "`" { break }
            name.append(ch)
            pos += 1
        }
        let text = String(name)
        if isVariable { return Token(kind: .variable, text: text, position: start) }
        switch text {
        case "and", "or", "in": return Token(kind: .op, text: text, position: start)
        case "true": return Token(kind: .value, text: text, literal: .bool(true), position: start)
        case "false": return Token(kind: .value, text: text, literal: .bool(false), position: start)
        case "null": return Token(kind: .value, text: text, literal: .null, position: start)
        default:
            if text.isEmpty { throw JSONataError("S0204", "Unknown operator: \(c)", position: start, token: String(c)) }
            return Token(kind: .name, text: text, position: start)
        }
    }

    mutating func number(_ start: Int) throws(JSONataError) -> Token {
        var text = ""
        func digits() { while let d = peek(), d.value >= 48 && d.value <= 57 { text.unicodeScalars.append(d); pos += 1 } }
        if peek() == "0" {
            text = "0"
            pos += 1
        } else {
            digits()
        }
        if peek() == ".", let d = peek(1), d.value >= 48 && d.value <= 57 {
            text += "."
            pos += 1
            digits()
        }
        if peek() == "e" || peek() == "E" {
            let save = pos
            var exp = "e"
            pos += 1
            if peek() == "+" || peek() == "-" { exp.unicodeScalars.append(peek()!); pos += 1 }
            if let d = peek(), d.value >= 48 && d.value <= 57 {
                text += exp
                digits()
            } else {
                pos = save
            }
        }
        guard let v = Double(text), v.isFinite else { throw JSONataError("S0102", "Number out of range: \(text)", position: start, token: text) }
        return Token(kind: .number, text: text, number: v, position: start)
    }

    mutating func regex(_ start: Int) throws(JSONataError) -> Token {
        var pattern = String.UnicodeScalarView()
        var depth = 0
        while let ch = peek() {
            if ch == "/" && depth == 0 && !Self.isEscaped(pattern) {
                pos += 1
                var flags = ""
                while let f = peek(), f == "i" || f == "m" || f == "g" || f == "s" || f == "x" {
                    flags.unicodeScalars.append(f)
                    pos += 1
                }
                let p = String(pattern)
                guard !p.isEmpty else { throw JSONataError("S0301", "Empty regular expressions are not allowed", position: start) }
                return Token(kind: .regex, text: p + "\u{0}" + flags, position: start)
            }
            if (ch == "(" || ch == "[" || ch == "{") && !Self.isEscaped(pattern) { depth += 1 }
            if (ch == ")" || ch == "]" || ch == "}") && !Self.isEscaped(pattern) { depth -= 1 }
            pattern.append(ch)
            pos += 1
        }
        throw JSONataError("S0302", "No terminating / in regular expression", position: start)
    }

    /// True when the pattern so far ends in an odd number of backslashes.
    static func isEscaped(_ p: String.UnicodeScalarView) -> Bool {
        var n = 0
        for c in p.reversed() { if c == "\\" { n += 1 } else { break } }
        return n % 2 == 1
    }
}
