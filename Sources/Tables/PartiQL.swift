import Foundation
import ServiceKit
import StatesLanguage

/// DynamoDB's PartiQL, the part applications use: SELECT (a table or `table."index"`, WHERE),
/// INSERT … VALUE, UPDATE … SET/REMOVE … WHERE, DELETE … WHERE, with PartiQL's literals
/// ('text', numbers, TRUE/FALSE/NULL, {'k': v}, [list], <<set>>) and `?` parameters. A WHERE
/// becomes the expression language's Condition, so it is evaluated the same way.
struct PartiQLStatement {
    enum Kind {
        case select(projection: [DocumentPath]?, index: String?)
        case insert(Item)
        case update(UpdateActions)
        case delete
    }

    var kind: Kind
    var table: String
    var condition: Condition?

    static func malformed(_ detail: String) -> ServiceError {
        ServiceError.validation("Statement wasn't well formed, can't be processed: \(detail)")
    }

    // MARK: parsing

    enum Token: Equatable {
        case word(String)
        case quoted(String)
        case text(String)
        case number(String)
        case symbol(String)
        case parameter
    }

    struct Parser {
        var tokens: [Token]
        var at = 0
        var parameters: [AttributeValue]
        var nextParameter = 0

        var peek: Token? { at < tokens.count ? tokens[at] : nil }

        mutating func keyword(_ w: String) -> Bool {
            if case .word(let x)? = peek, x.uppercased() == w {
                at += 1
                return true
            }
            return false
        }

        mutating func expect(_ w: String) throws(ServiceError) {
            if keyword(w) { return }
            if case .symbol(w)? = peek {
                at += 1
                return
            }
            throw PartiQLStatement.malformed("expected \(w)")
        }

        mutating func symbol(_ s: String) -> Bool {
            if case .symbol(s)? = peek {
                at += 1
                return true
            }
            return false
        }

        mutating func name() throws(ServiceError) -> String {
            switch peek {
            case .word(let w)?, .quoted(let w)?:
                at += 1
                return w
            default: throw PartiQLStatement.malformed("expected a name")
            }
        }

        mutating func path() throws(ServiceError) -> DocumentPath {
            var elements: [DocumentPath.Element] = [.name(try name())]
            while true {
                if symbol(".") {
                    elements.append(.name(try name()))
                } else if symbol("[") {
                    guard case .number(let n)? = peek, let i = Int(n) else { throw PartiQLStatement.malformed("expected an index") }
                    at += 1
                    try expect("]")
                    elements.append(.index(i))
                } else {
                    return DocumentPath(elements: elements)
                }
            }
        }

        mutating func value() throws(ServiceError) -> AttributeValue {
            guard let t = peek else { throw PartiQLStatement.malformed("expected a value") }
            at += 1
            switch t {
            case .parameter:
                guard nextParameter < parameters.count else {
                    throw ServiceError.validation("Number of parameters in request and statement don't match.")
                }
                defer { nextParameter += 1 }
                return parameters[nextParameter]
            case .text(let s): return .s(s)
            case .number(let n): return .n(try AttributeValue.number(n))
            case .word(let w) where w.uppercased() == "TRUE": return .bool(true)
            case .word(let w) where w.uppercased() == "FALSE": return .bool(false)
            case .word(let w) where w.uppercased() == "NULL": return .null
            case .symbol("{"):
                var m: [String: AttributeValue] = [:]
                if symbol("}") { return .m(m) }
                repeat {
                    guard case .text(let k)? = peek else { throw PartiQLStatement.malformed("expected a quoted key") }
                    at += 1
                    try expect(":")
                    m[k] = try value()
                } while symbol(",")
                try expect("}")
                return .m(m)
            case .symbol("["):
                var l: [AttributeValue] = []
                if symbol("]") { return .l(l) }
                repeat { l.append(try value()) } while symbol(",")
                try expect("]")
                return .l(l)
            case .symbol("<<"):
                var l: [AttributeValue] = []
                repeat { l.append(try value()) } while symbol(",")
                try expect(">>")
                if case .s? = l.first, l.allSatisfy({ if case .s = $0 { true } else { false } }) {
                    return .ss(l.compactMap { if case .s(let s) = $0 { s } else { nil } })
                }
                if case .n? = l.first, l.allSatisfy({ if case .n = $0 { true } else { false } }) {
                    return .ns(l.compactMap { if case .n(let n) = $0 { n } else { nil } })
                }
                throw PartiQLStatement.malformed("a set holds strings or numbers")
            default:
                throw PartiQLStatement.malformed("unexpected token")
            }
        }

        mutating func operand() throws(ServiceError) -> Operand {
            switch peek {
            case .word(let w)? where !["TRUE", "FALSE", "NULL"].contains(w.uppercased()): return .path(try path())
            case .quoted?: return .path(try path())
            default: return .value(try value())
            }
        }

        mutating func condition() throws(ServiceError) -> Condition {
            var c = try conjunction()
            while keyword("OR") { c = .or(c, try conjunction()) }
            return c
        }

        mutating func conjunction() throws(ServiceError) -> Condition {
            var c = try negation()
            while keyword("AND") { c = .and(c, try negation()) }
            return c
        }

        mutating func negation() throws(ServiceError) -> Condition {
            if keyword("NOT") { return .not(try negation()) }
            if symbol("(") {
                let c = try condition()
                try expect(")")
                return c
            }
            if case .word(let f)? = peek, ["begins_with", "contains", "attribute_type"].contains(f.lowercased()),
               at + 1 < tokens.count, tokens[at + 1] == .symbol("(") {
                at += 2
                let a = try operand()
                try expect(",")
                let b = try operand()
                try expect(")")
                switch f.lowercased() {
                case "begins_with": return .beginsWith(a, b)
                case "contains": return .contains(a, b)
                default:
                    guard case .path(let p) = a else { throw PartiQLStatement.malformed("attribute_type takes a path") }
                    return .type(p, b)
                }
            }
            let left = try operand()
            if keyword("IS") {
                let negated = keyword("NOT")
                try expect("MISSING")
                guard case .path(let p) = left else { throw PartiQLStatement.malformed("IS MISSING takes a path") }
                return negated ? .exists(p) : .notExists(p)
            }
            if keyword("BETWEEN") {
                let low = try operand()
                try expect("AND")
                return .between(left, low, try operand())
            }
            if keyword("IN") {
                try expect("[")
                var list = [try operand()]
                while symbol(",") { list.append(try operand()) }
                try expect("]")
                return .among(left, list)
            }
            for (s, c) in [("=", Comparator.eq), ("<>", .ne), ("!=", .ne), ("<=", .le), (">=", .ge), ("<", .lt), (">", .gt)] where symbol(s) {
                return .compare(left, c, try operand())
            }
            throw PartiQLStatement.malformed("expected a comparison")
        }
    }

    static func tokenize(_ text: String) throws(ServiceError) -> [Token] {
        var out: [Token] = []
        let c = Array(text.unicodeScalars)
        var i = 0
        func isWord(_ u: Unicode.Scalar) -> Bool { CharacterSet.alphanumerics.contains(u) || u == "_" }
        while i < c.count {
            let u = c[i]
            if CharacterSet.whitespacesAndNewlines.contains(u) {
                i += 1
            } else if u == "'" || u == "\"" {
                var s = ""
                i += 1
                while true {
                    guard i < c.count else { throw malformed("unterminated quote") }
                    if c[i] == u {
                        // A doubled quote stands for itself.
                        if i + 1 < c.count, c[i + 1] == u {
                            s.unicodeScalars.append(u)
                            i += 2
                            continue
                        }
                        i += 1
                        break
                    }
                    s.unicodeScalars.append(c[i])
                    i += 1
                }
                out.append(u == "'" ? .text(s) : .quoted(s))
            } else if CharacterSet.decimalDigits.contains(u) || (u == "-" && i + 1 < c.count && CharacterSet.decimalDigits.contains(c[i + 1])) {
                var s = String(u)
                i += 1
                while i < c.count, CharacterSet.decimalDigits.contains(c[i]) || c[i] == "." || c[i] == "e" || c[i] == "E"
                        || ((c[i] == "-" || c[i] == "+") && (c[i - 1] == "e" || c[i - 1] == "E")) {
                    s.unicodeScalars.append(c[i])
                    i += 1
                }
                out.append(.number(s))
            } else if isWord(u) {
                var s = ""
                while i < c.count, isWord(c[i]) {
                    s.unicodeScalars.append(c[i])
                    i += 1
                }
                out.append(.word(s))
            } else if u == "?" {
                out.append(.parameter)
                i += 1
            } else {
                let two = i + 1 < c.count ? String(u) + String(c[i + 1]) : ""
                if ["<<", ">>", "<=", ">=", "<>", "!="].contains(two) {
                    out.append(.symbol(two))
                    i += 2
                } else {
                    out.append(.symbol(String(u)))
                    i += 1
                }
            }
        }
        return out
    }

    init(_ text: String, parameters: [AttributeValue]) throws(ServiceError) {
        var p = Parser(tokens: try Self.tokenize(text), parameters: parameters)
        if p.keyword("SELECT") {
            var projection: [DocumentPath]?
            if !p.symbol("*") {
                var paths = [try p.path()]
                while p.symbol(",") { paths.append(try p.path()) }
                projection = paths
            }
            try p.expect("FROM")
            table = try p.name()
            var index: String?
            if p.symbol(".") { index = try p.name() }
            kind = .select(projection: projection, index: index)
            condition = p.keyword("WHERE") ? try p.condition() : nil
        } else if p.keyword("INSERT") {
            try p.expect("INTO")
            table = try p.name()
            try p.expect("VALUE")
            guard case .m(let item) = try p.value() else { throw Self.malformed("INSERT takes a map") }
            kind = .insert(item)
            condition = nil
        } else if p.keyword("UPDATE") {
            table = try p.name()
            var actions = UpdateActions()
            while true {
                if p.keyword("SET") {
                    repeat {
                        let path = try p.path()
                        try p.expect("=")
                        actions.set.append((path, try p.operand()))
                    } while p.symbol(",")
                } else if p.keyword("REMOVE") {
                    repeat { actions.remove.append(try p.path()) } while p.symbol(",")
                } else {
                    break
                }
            }
            guard !actions.paths.isEmpty else { throw Self.malformed("UPDATE needs SET or REMOVE") }
            try p.expect("WHERE")
            kind = .update(actions)
            condition = try p.condition()
        } else if p.keyword("DELETE") {
            try p.expect("FROM")
            table = try p.name()
            try p.expect("WHERE")
            kind = .delete
            condition = try p.condition()
        } else {
            throw Self.malformed("expected SELECT, INSERT, UPDATE or DELETE")
        }
        guard p.peek == nil else { throw Self.malformed("unexpected text after the statement") }
        guard p.nextParameter == parameters.count else {
            throw ServiceError.validation("Number of parameters in request and statement don't match.")
        }
    }

    /// The key a WHERE names with equalities (`pk = v AND sk = v`), and what else it asks.
    func key(_ schema: TableSchema) throws(ServiceError) -> (key: Item, rest: Condition?) {
        var key: Item = [:]
        var rest: [Condition] = []
        func walk(_ c: Condition) {
            if case .and(let a, let b) = c {
                walk(a)
                walk(b)
                return
            }
            if case .compare(.path(let p), .eq, .value(let v)) = c, p.elements.count == 1, schema.keyNames.contains(p.first), key[p.first] == nil {
                key[p.first] = v
                return
            }
            rest.append(c)
        }
        if let condition { walk(condition) }
        guard key.count == schema.keyNames.count else {
            throw ServiceError.validation("Where clause does not contain a mandatory equality on all key attributes")
        }
        var combined = rest.first
        for c in rest.dropFirst() { combined = combined.map { .and($0, c) } }
        return (key, combined)
    }
}
