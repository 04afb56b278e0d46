/// DynamoDB's expression language, parsed: document paths, operands, conditions and update
/// actions. Placeholders are resolved while parsing (`#n` to a name, `:v` to its value).

/// A document path: `a.b[2].c`.
struct DocumentPath: Sendable, Hashable, CustomStringConvertible {
    enum Element: Sendable, Hashable {
        case name(String)
        case index(Int)
    }

    var elements: [Element]

    var first: String {
        if case .name(let n)? = elements.first { return n }
        return ""
    }

    /// AWS's rendering in messages: `[a, b, [2]]`.
    var description: String {
        "[" + elements.map { e -> String in
            switch e {
            case .name(let n): n
            case .index(let i): "[\(i)]"
            }
        }.joined(separator: ", ") + "]"
    }

    /// True when one path is a prefix of the other (AWS refuses two such in one update).
    func overlaps(_ other: DocumentPath) -> Bool {
        let n = min(elements.count, other.elements.count)
        return Array(elements.prefix(n)) == Array(other.elements.prefix(n))
    }
}

indirect enum Operand: Sendable {
    case path(DocumentPath)
    case value(AttributeValue)
    case size(DocumentPath)
    case ifNotExists(DocumentPath, Operand)
    case listAppend(Operand, Operand)
    case plus(Operand, Operand)
    case minus(Operand, Operand)
}

enum Comparator: String, Sendable {
    case eq = "="
    case ne = "<>"
    case lt = "<"
    case le = "<="
    case gt = ">"
    case ge = ">="
}

indirect enum Condition: Sendable {
    case compare(Operand, Comparator, Operand)
    case between(Operand, Operand, Operand)
    case among(Operand, [Operand])
    case exists(DocumentPath)
    case notExists(DocumentPath)
    case type(DocumentPath, Operand)
    case beginsWith(Operand, Operand)
    case contains(Operand, Operand)
    case and(Condition, Condition)
    case or(Condition, Condition)
    case not(Condition)
}

/// The actions of one UpdateExpression, by clause.
struct UpdateActions: Sendable {
    var set: [(DocumentPath, Operand)] = []
    var remove: [DocumentPath] = []
    var add: [(DocumentPath, Operand)] = []
    var delete: [(DocumentPath, Operand)] = []

    var paths: [DocumentPath] { self.set.map(\.0) + self.remove + self.add.map(\.0) + self.delete.map(\.0) }
}
