import ServiceKit
import StatesLanguage

/// The placeholders of one request, shared by all its expressions: AWS refuses a request
/// whose ExpressionAttributeNames or ExpressionAttributeValues hold an entry none uses.
final class Placeholders {
    let names: [String: String]
    let values: [String: AttributeValue]
    private(set) var usedNames: Set<String> = []
    private(set) var usedValues: Set<String> = []

    init(names: JSON?, values: JSON?) throws(ServiceError) {
        var n: [String: String] = [:]
        if case .object(let o)? = names {
            if o.isEmpty { throw ServiceError.validation("ExpressionAttributeNames must not be empty") }
            for (k, v) in o { n[k] = v.stringValue ?? "" }
        }
        self.names = n
        if case .object(let o)? = values, o.isEmpty { throw ServiceError.validation("ExpressionAttributeValues must not be empty") }
        if let values, !values.isNull {
            self.values = try Item(json: values, field: "ExpressionAttributeValues")
        } else {
            self.values = [:]
        }
    }

    func name(_ key: String, in kind: String) throws(ServiceError) -> String {
        guard let v = names[key] else {
            throw ServiceError.validation("Invalid \(kind): An expression attribute name used in the document path is not defined; attribute name: \(key)")
        }
        usedNames.insert(key)
        return v
    }

    func value(_ key: String, in kind: String) throws(ServiceError) -> AttributeValue {
        guard let v = values[key] else {
            throw ServiceError.validation("Invalid \(kind): An expression attribute value used in expression is not defined; attribute value: \(key)")
        }
        usedValues.insert(key)
        return v
    }

    /// AWS's check once every expression of the request is parsed.
    func checkAllUsed() throws(ServiceError) {
        let unusedNames = Set(names.keys).subtracting(usedNames)
        if !unusedNames.isEmpty {
            throw ServiceError.validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {\(unusedNames.sorted().joined(separator: ", "))}")
        }
        let unusedValues = Set(values.keys).subtracting(usedValues)
        if !unusedValues.isEmpty {
            throw ServiceError.validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {\(unusedValues.sorted().joined(separator: ", "))}")
        }
    }
}

/// A recursive-descent parser for one expression, with AWS's precedence (comparisons, IN,
/// BETWEEN, functions, parentheses, NOT, AND, OR from tightest to loosest) and its messages.
struct ExpressionParser {
    enum Token: Equatable {
        case word(String)
        case name(String)
        case value(String)
        case number(Int)
        case symbol(String)
        case end
    }

    let kind: String
    let text: String
    let placeholders: Placeholders
    var tokens: [Token] = []
    var position = 0

    init(_ text: String, kind: String, placeholders: Placeholders) throws(ServiceError) {
        self.kind = kind
        self.text = text
        self.placeholders = placeholders
        guard !text.allSatisfy({ $0 == " " || $0 == "\n" || $0 == "\t" }) else {
            throw ServiceError.validation("Invalid \(kind): The expression can not be empty;")
        }
        tokens = try tokenize()
    }

    // MARK: entry points

    static func condition(_ text: String, kind: String = "ConditionExpression", _ p: Placeholders) throws(ServiceError) -> Condition {
        var parser = try ExpressionParser(text, kind: kind, placeholders: p)
        let c = try parser.orCondition()
        try parser.expectEnd()
        return c
    }

    static func projection(_ text: String, _ p: Placeholders) throws(ServiceError) -> [DocumentPath] {
        var parser = try ExpressionParser(text, kind: "ProjectionExpression", placeholders: p)
        var paths = [try parser.path()]
        while parser.peek == .symbol(",") {
            parser.position += 1
            paths.append(try parser.path())
        }
        try parser.expectEnd()
        for (i, a) in paths.enumerated() {
            for b in paths[(i + 1)...] where a.overlaps(b) {
                throw ServiceError.validation("Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: \(a), path two: \(b)")
            }
        }
        return paths
    }

    static func update(_ text: String, _ p: Placeholders) throws(ServiceError) -> UpdateActions {
        var parser = try ExpressionParser(text, kind: "UpdateExpression", placeholders: p)
        var actions = UpdateActions()
        var seen: Set<String> = []
        while parser.peek != .end {
            guard case .word(let w) = parser.peek, ["SET", "REMOVE", "ADD", "DELETE"].contains(w.uppercased()) else {
                throw parser.syntaxError()
            }
            let clause = w.uppercased()
            guard seen.insert(clause).inserted else {
                throw ServiceError.validation("Invalid UpdateExpression: The \"\(clause)\" section can only be used once in an update expression;")
            }
            parser.position += 1
            repeat {
                let path = try parser.path()
                switch clause {
                case "SET":
                    try parser.expect("=")
                    actions.set.append((path, try parser.setValue()))
                case "REMOVE":
                    actions.remove.append(path)
                case "ADD":
                    actions.add.append((path, try parser.operand()))
                default:
                    actions.delete.append((path, try parser.operand()))
                }
                guard parser.peek == .symbol(",") else { break }
                parser.position += 1
            } while true
        }
        let paths = actions.paths
        for (i, a) in paths.enumerated() {
            for b in paths[(i + 1)...] where a.overlaps(b) {
                throw ServiceError.validation("Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: \(a), path two: \(b)")
            }
        }
        return actions
    }

    // MARK: conditions

    var peek: Token { position < tokens.count ? tokens[position] : .end }

    func isKeyword(_ token: Token, _ word: String) -> Bool {
        if case .word(let w) = token { return w.uppercased() == word }
        return false
    }

    mutating func orCondition() throws(ServiceError) -> Condition {
        var left = try andCondition()
        while isKeyword(peek, "OR") {
            position += 1
            left = .or(left, try andCondition())
        }
        return left
    }

    mutating func andCondition() throws(ServiceError) -> Condition {
        var left = try notCondition()
        while isKeyword(peek, "AND") {
            position += 1
            left = .and(left, try notCondition())
        }
        return left
    }

    mutating func notCondition() throws(ServiceError) -> Condition {
        if isKeyword(peek, "NOT") {
            position += 1
            return .not(try notCondition())
        }
        return try primaryCondition()
    }

    mutating func primaryCondition() throws(ServiceError) -> Condition {
        if peek == .symbol("(") {
            // A parenthesised condition (an operand never starts with a parenthesis).
            position += 1
            let c = try orCondition()
            try expect(")")
            return c
        }
        if case .word(let w) = peek, position + 1 < tokens.count, tokens[position + 1] == .symbol("(") {
            let function = w
            switch function {
            case "attribute_exists", "attribute_not_exists":
                position += 2
                let p = try path()
                try expect(")")
                return function == "attribute_exists" ? .exists(p) : .notExists(p)
            case "attribute_type":
                position += 2
                let p = try path()
                try expect(",")
                let t = try operand()
                try expect(")")
                return .type(p, t)
            case "begins_with", "contains":
                position += 2
                let a = try operand()
                try expect(",")
                let b = try operand()
                try expect(")")
                return function == "begins_with" ? .beginsWith(a, b) : .contains(a, b)
            case "size":
                break
            default:
                throw ServiceError.validation("Invalid \(kind): Invalid function name; function: \(function)")
            }
        }
        let left = try operand()
        if case .symbol(let s) = peek, let c = Comparator(rawValue: s) {
            position += 1
            return .compare(left, c, try operand())
        }
        if isKeyword(peek, "BETWEEN") {
            position += 1
            let low = try operand()
            guard isKeyword(peek, "AND") else { throw syntaxError() }
            position += 1
            return .between(left, low, try operand())
        }
        if isKeyword(peek, "IN") {
            position += 1
            try expect("(")
            var list = [try operand()]
            while peek == .symbol(",") {
                position += 1
                list.append(try operand())
            }
            try expect(")")
            guard list.count <= 100 else {
                throw ServiceError.validation("Invalid \(kind): The IN operator is provided with too many operands; number of operands: \(list.count)")
            }
            return .among(left, list)
        }
        throw syntaxError()
    }

    // MARK: operands

    mutating func operand() throws(ServiceError) -> Operand {
        switch peek {
        case .value(let v):
            position += 1
            return .value(try placeholders.value(v, in: kind))
        case .word(let w) where position + 1 < tokens.count && tokens[position + 1] == .symbol("("):
            switch w {
            case "size":
                position += 2
                let p = try path()
                try expect(")")
                return .size(p)
            case "if_not_exists", "list_append":
                guard kind == "UpdateExpression" else {
                    throw ServiceError.validation("Invalid \(kind): The function is not allowed to be used this way in an expression; function: \(w)")
                }
                position += 2
                if w == "if_not_exists" {
                    let p = try path()
                    try expect(",")
                    let v = try setOperand()
                    try expect(")")
                    return .ifNotExists(p, v)
                }
                let a = try setOperand()
                try expect(",")
                let b = try setOperand()
                try expect(")")
                return .listAppend(a, b)
            default:
                throw ServiceError.validation("Invalid \(kind): Invalid function name; function: \(w)")
            }
        case .word, .name:
            return .path(try path())
        default:
            throw syntaxError()
        }
    }

    /// A SET action's right-hand side: an operand, or two joined by + or -.
    mutating func setValue() throws(ServiceError) -> Operand {
        let left = try setOperand()
        if peek == .symbol("+") || peek == .symbol("-") {
            let plus = peek == .symbol("+")
            position += 1
            let right = try setOperand()
            return plus ? .plus(left, right) : .minus(left, right)
        }
        return left
    }

    mutating func setOperand() throws(ServiceError) -> Operand {
        if case .word("size") = peek {
            throw ServiceError.validation("Invalid UpdateExpression: The function is not allowed in an update expression; function: size")
        }
        return try operand()
    }

    mutating func path() throws(ServiceError) -> DocumentPath {
        var elements: [DocumentPath.Element] = []
        func name(_ token: Token) throws(ServiceError) -> String {
            switch token {
            case .name(let n): return try placeholders.name(n, in: kind)
            case .word(let w):
                if ReservedWords.all.contains(w.uppercased()) {
                    throw ServiceError.validation("Invalid \(kind): Attribute name is a reserved keyword; reserved keyword: \(w)")
                }
                return w
            default: throw syntaxError()
            }
        }
        elements.append(.name(try name(peek)))
        position += 1
        while true {
            if peek == .symbol(".") {
                position += 1
                elements.append(.name(try name(peek)))
                position += 1
            } else if peek == .symbol("[") {
                position += 1
                guard case .number(let i) = peek else { throw syntaxError() }
                position += 1
                try expect("]")
                elements.append(.index(i))
            } else {
                break
            }
        }
        return DocumentPath(elements: elements)
    }

    // MARK: tokens

    mutating func expect(_ symbol: String) throws(ServiceError) {
        guard peek == .symbol(symbol) else { throw syntaxError() }
        position += 1
    }

    func expectEnd() throws(ServiceError) {
        guard peek == .end else { throw syntaxError() }
    }

    func syntaxError() -> ServiceError {
        let token: String
        switch peek {
        case .word(let w): token = w
        case .name(let n): token = n
        case .value(let v): token = v
        case .number(let n): token = String(n)
        case .symbol(let s): token = s
        case .end: token = "<EOF>"
        }
        let near = position > 0 && position - 1 < tokens.count ? Self.text(tokens[position - 1]) + (peek == .end ? "" : token) : token
        return ServiceError.validation("Invalid \(kind): Syntax error; token: \"\(token)\", near: \"\(near)\"")
    }

    static func text(_ t: Token) -> String {
        switch t {
        case .word(let w): w
        case .name(let n): n
        case .value(let v): v
        case .number(let n): String(n)
        case .symbol(let s): s
        case .end: ""
        }
    }

    func tokenize() throws(ServiceError) -> [Token] {
        var out: [Token] = []
        let bytes = Array(text.utf8)
        var i = 0
        func isWordByte(_ c: UInt8) -> Bool {
            (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 95 || c >= 0x80
        }
        while i < bytes.count {
            let c = bytes[i]
            if c == 32 || c == 9 || c == 10 || c == 13 {
                i += 1
                continue
            }
            if c == UInt8(ascii: "#") || c == UInt8(ascii: ":") {
                var j = i + 1
                while j < bytes.count && (isWordByte(bytes[j]) || bytes[j] == UInt8(ascii: "-")) { j += 1 }
                let word = String(decoding: bytes[i..<j], as: UTF8.self)
                guard j > i + 1 else { throw ServiceError.validation("Invalid \(kind): Syntax error; token: \"\(word)\", near: \"\(word)\"") }
                out.append(c == UInt8(ascii: "#") ? .name(word) : .value(word))
                i = j
                continue
            }
            if c >= 48 && c <= 57 {
                var j = i
                var n = 0
                while j < bytes.count && bytes[j] >= 48 && bytes[j] <= 57 {
                    n = min(n * 10 + Int(bytes[j] - 48), Int(Int32.max))
                    j += 1
                }
                out.append(.number(n))
                i = j
                continue
            }
            if isWordByte(c) {
                var j = i
                while j < bytes.count && isWordByte(bytes[j]) { j += 1 }
                out.append(.word(String(decoding: bytes[i..<j], as: UTF8.self)))
                i = j
                continue
            }
            let two = i + 1 < bytes.count ? String(decoding: bytes[i...(i + 1)], as: UTF8.self) : ""
            if ["<>", "<=", ">="].contains(two) {
                out.append(.symbol(two))
                i += 2
                continue
            }
            let one = String(decoding: [c], as: UTF8.self)
            guard "()[],.=<>+-".contains(one) else {
                throw ServiceError.validation("Invalid \(kind): Syntax error; token: \"\(one)\", near: \"\(one)\"")
            }
            out.append(.symbol(one))
            i += 1
        }
        return out
    }
}
