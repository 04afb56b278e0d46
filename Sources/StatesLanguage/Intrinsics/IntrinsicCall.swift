/// A parsed intrinsic function call such as `States.Format('Hi {}', $.name)`.
public struct IntrinsicCall: Sendable, Hashable {
    public enum Function: String, Sendable, CaseIterable {
        case format = "States.Format"
        case stringToJson = "States.StringToJson"
        case jsonToString = "States.JsonToString"
        case array = "States.Array"
        case arrayPartition = "States.ArrayPartition"
        case arrayContains = "States.ArrayContains"
        case arrayRange = "States.ArrayRange"
        case arrayGetItem = "States.ArrayGetItem"
        case arrayLength = "States.ArrayLength"
        case arrayUnique = "States.ArrayUnique"
        case base64Encode = "States.Base64Encode"
        case base64Decode = "States.Base64Decode"
        case hash = "States.Hash"
        case jsonMerge = "States.JsonMerge"
        case mathRandom = "States.MathRandom"
        case mathAdd = "States.MathAdd"
        case stringSplit = "States.StringSplit"
        case uuid = "States.UUID"
    }

    public indirect enum Argument: Sendable, Hashable {
        case literal(JSON)
        case path(JSONPath)
        case call(IntrinsicCall)
    }

    public var function: Function
    public var arguments: [Argument]
    public var text: String

    public struct ParseError: Error, Sendable, Equatable {
        public var message: String
    }

    /// True when text looks like an intrinsic call rather than a path.
    public static func looksLikeCall(_ text: String) -> Bool { text.hasPrefix("States.") }

    public static func parse(_ text: String) throws(ParseError) -> IntrinsicCall {
        var p = IntrinsicParser(chars: Array(text), text: text)
        let call = try p.parseCall()
        p.skipSpaces()
        guard p.i == p.chars.count else { throw ParseError(message: "unexpected text after the call") }
        try call.checkArguments()
        return call
    }

    enum LiteralKind { case any, number, string, boolean }

    /// Argument counts and the kinds literal arguments must have; paths and nested calls are
    /// checked when evaluated.
    var signature: (arity: ClosedRange<Int>, kinds: [LiteralKind]) {
        switch function {
        case .format: return (1...Int.max, [.string])
        case .stringToJson: return (1...1, [.string])
        case .jsonToString: return (1...1, [.any])
        case .array: return (0...Int.max, [])
        case .arrayPartition: return (2...2, [.any, .number])
        case .arrayContains: return (2...2, [.any, .any])
        case .arrayRange: return (3...3, [.number, .number, .number])
        case .arrayGetItem: return (2...2, [.any, .number])
        case .arrayLength, .arrayUnique: return (1...1, [.any])
        case .base64Encode, .base64Decode: return (1...1, [.string])
        case .hash: return (2...2, [.any, .string])
        case .jsonMerge: return (3...3, [.any, .any, .boolean])
        case .mathRandom: return (2...3, [.number, .number, .number])
        case .mathAdd: return (2...2, [.number, .number])
        case .stringSplit: return (2...2, [.string, .string])
        case .uuid: return (0...0, [])
        }
    }

    func checkArguments() throws(ParseError) {
        let (arity, kinds) = signature
        guard arity.contains(arguments.count) else {
            throw ParseError(message: "\(function.rawValue) takes \(arity.upperBound == Int.max ? "at least \(arity.lowerBound)" : arity.lowerBound == arity.upperBound ? "\(arity.lowerBound)" : "\(arity.lowerBound) to \(arity.upperBound)") arguments, not \(arguments.count)")
        }
        for (i, a) in arguments.enumerated() {
            switch a {
            case .call(let inner): try inner.checkArguments()
            case .path: break
            case .literal(let v):
                let kind = i < kinds.count ? kinds[i] : .any
                let ok: Bool
                switch kind {
                case .any: ok = true
                case .number: ok = v.isNumber
                case .string: ok = v.stringValue != nil
                case .boolean: ok = v.boolValue != nil
                }
                if !ok { throw ParseError(message: "argument \(i + 1) of \(function.rawValue) must be a \(kind)") }
            }
        }
    }
}

struct IntrinsicParser {
    let chars: [Character]
    let text: String
    var i = 0

    mutating func skipSpaces() { while i < chars.count, chars[i] == " " { i += 1 } }

    mutating func parseCall() throws(IntrinsicCall.ParseError) -> IntrinsicCall {
        skipSpaces()
        let start = i
        while i < chars.count, chars[i] != "(" { i += 1 }
        let name = String(chars[start..<i]).trimmingSpaces
        guard let function = IntrinsicCall.Function(rawValue: name) else {
            throw .init(message: "unknown intrinsic function '\(name)'")
        }
        guard i < chars.count else { throw .init(message: "expected '('") }
        i += 1
        var args: [IntrinsicCall.Argument] = []
        skipSpaces()
        if i < chars.count, chars[i] == ")" {
            i += 1
            return IntrinsicCall(function: function, arguments: args, text: String(chars[start..<i]))
        }
        while true {
            skipSpaces()
            args.append(try parseArgument())
            skipSpaces()
            guard i < chars.count else { throw .init(message: "expected ')'") }
            if chars[i] == "," {
                i += 1
                continue
            }
            if chars[i] == ")" {
                i += 1
                break
            }
            throw .init(message: "expected ',' or ')'")
        }
        return IntrinsicCall(function: function, arguments: args, text: String(chars[start..<i]))
    }

    mutating func parseArgument() throws(IntrinsicCall.ParseError) -> IntrinsicCall.Argument {
        guard i < chars.count else { throw .init(message: "expected an argument") }
        let c = chars[i]
        if c == "'" {
            i += 1
            var s = ""
            while i < chars.count, chars[i] != "'" {
                if chars[i] == "\\" {
                    // AWS: "The literal string \' represents '. The literal string \{ represents {.
                    // The literal string \} represents }. The literal string \\ represents \."
                    // and "If an open escape backslash \ is found in the intrinsic function
                    // invocation string, an error is returned." So any other escape is refused.
                    // Format needs to tell `\{` from `{` (and `\\{}` from `\{}`), so braces and
                    // backslashes keep their backslash until the literal is used.
                    guard i + 1 < chars.count, "'{}\\".contains(chars[i + 1]) else {
                        let shown = i + 1 < chars.count ? "\\\(chars[i + 1])" : "\\"
                        throw .init(message: "illegal escape '\(shown)' in a string literal: only \\', \\{, \\} and \\\\ are escapes")
                    }
                    let n = chars[i + 1]
                    if n != "'" {
                        s.append("\\")
                    }
                    s.append(n)
                    i += 2
                    continue
                }
                s.append(chars[i])
                i += 1
            }
            guard i < chars.count else { throw .init(message: "unterminated string literal") }
            i += 1
            return .literal(.string(s))
        }
        if c == "$" {
            let start = i
            var depth = 0
            var quote: Character? = nil
            while i < chars.count {
                let d = chars[i]
                if let q = quote {
                    if d == q { quote = nil }
                } else if d == "'" || d == "\"" {
                    quote = d
                } else if d == "[" || d == "(" {
                    depth += 1
                } else if d == "]" || (d == ")" && depth > 0) {
                    depth -= 1
                } else if depth == 0 && (d == "," || d == ")") {
                    break
                }
                i += 1
            }
            let pathText = String(chars[start..<i]).trimmingSpaces
            do {
                return .path(try JSONPath(pathText))
            } catch {
                throw .init(message: "invalid path '\(pathText)'")
            }
        }
        if c == "S" {
            return .call(try parseCall())
        }
        let start = i
        while i < chars.count, chars[i] != ",", chars[i] != ")" { i += 1 }
        let lit = String(chars[start..<i]).trimmingSpaces
        guard let v = try? JSONParser.parse(lit), !(v.objectValue != nil || v.arrayValue != nil || v.stringValue != nil) else {
            throw .init(message: "invalid argument '\(lit)'")
        }
        return .literal(v)
    }
}
