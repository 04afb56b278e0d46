/// A compiled JSONata expression node (the reference implementation's processed AST).
/// A value type: compiled expressions are Sendable and shared across evaluations.
struct Node: Sendable {
    enum Kind: Sendable, Equatable {
        case path, binary, unary, name, variable, string, number, value, regex, wildcard, descendant, parent
        case condition, block, function, partial, lambda, apply, bind, sort, transform, placeholder
        case arrayConstructor, objectConstructor, negate, op
    }

    enum Literal: Sendable {
        case null, bool(Bool), number(Double), string(String)
        var value: JValue {
            switch self {
            case .null: return .null
            case .bool(let b): return .bool(b)
            case .number(let n): return .number(n)
            case .string(let s): return .string(s)
            }
        }
    }

    struct Stage: Sendable {
        var filter: [Node]  // one node, or empty for an index stage
        var index: String?
        var position: Int
    }

    struct SortTerm: Sendable {
        var expression: Node
        var descending: Bool
    }

    var kind: Kind
    var text = ""
    var literal: Literal = .null
    var position = 0
    /// Children: lhs/rhs for binary, expressions of blocks and array constructors,
    /// condition/then/else, procedure then arguments for calls, pattern/update/delete.
    var kids: [Node] = []
    var steps: [Node] = []
    var stages: [Stage] = []
    /// Filters on a non-path expression (`expr[pred]`).
    var predicates: [Stage] = []
    /// Object constructor pairs (key, value), or a group-by's pairs.
    var pairs: [(Node, Node)] = []
    var group: [(Node, Node)]? = nil
    var terms: [SortTerm] = []
    var focus: String? = nil
    var index: String? = nil
    var tuple = false
    var keepArray = false
    var consArray = false
    var keepSingletonArray = false
    var params: [String] = []
    var signature: Signature? = nil
    var thunk = false
    /// A path of plain field names (`a.b.c`): evaluated by direct lookups when it meets objects.
    var isSimpleNames = false
    /// Parent operator `%`: its slot while processing; its label is then in `text`.
    var slotIndex: Int? = nil
    /// A step some `%` refers to: its slot while processing, then the variable it binds.
    var ancestorSlot: Int? = nil
    var ancestorLabel: String? = nil
    /// Parent references not yet resolved to a step (carried up to the enclosing path).
    var seekingParent: [Int] = []
    /// An object constructor whose keys are distinct string literals: no duplicate check at run time.
    var literalKeys = false

    init(_ kind: Kind, _ text: String = "", position: Int = 0) {
        self.kind = kind
        self.text = text
        self.position = position
    }
}
