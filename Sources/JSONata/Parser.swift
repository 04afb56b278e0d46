/// A Pratt parser for JSONata (the reference implementation's grammar and binding powers),
/// producing raw nodes that `Processor` turns into the evaluated form.
struct Parser {
    var lexer: Lexer
    var token: Token
    /// Raw nodes reuse `Node`: `.binary` with `text` the operator covers `.`, `[`, `{`, `^`,
    /// `@`, `#`, `:=`, `~>` before processing.
    init(_ text: String) throws(JSONataError) {
        lexer = Lexer(text)
        token = try lexer.next(prefix: true)
    }

    /// The operators the parser knows as infix; every other symbol binds with power 0.
    static let infix: Set<String> = [".", "+", "-", "*", "/", "%", "=", "<", ">", "!=", "<=", ">=", "&", "and", "or", "in", "~>",
                                     "(", "[", "{", ":=", "@", "#", "?", "^", "??", "?:"]

    static func bindingPower(_ t: Token) -> Int {
        switch t.kind {
        // `:`, `;`, `,`, `..` and the closing brackets are plain symbols to the parser (the
        // tokenizer's table gives some of them a power only for its own use).
        case .op: return Self.infix.contains(t.text) ? Lexer.operators[t.text] ?? 0 : 0
        case .end: return 0
        default: return 0
        }
    }

    mutating func advance(_ expected: String? = nil, infix: Bool = false) throws(JSONataError) {
        if let expected, !(token.kind == .op && token.text == expected) {
            if token.kind == .end {
                throw JSONataError("S0203", "Expected \"\(expected)\" before end of expression", position: token.position, token: expected)
            }
            throw JSONataError("S0202", "Expected \"\(expected)\", got \"\(token.text)\"", position: token.position, token: token.text)
        }
        // After a terminal or a closing bracket, `/` is division; elsewhere it may open a regex.
        let prev = token
        let prefixContext: Bool
        switch prev.kind {
        case .name, .variable, .number, .string, .value, .regex: prefixContext = false
        case .op: prefixContext = ![")", "]", "}"].contains(prev.text)
        case .end: prefixContext = true
        }
        token = try lexer.next(prefix: infix ? false : prefixContext)
        if token.kind == .op, token.text == "!" || token.text == "~" {
            throw JSONataError("S0204", "Unknown operator: \"\(token.text)\"", position: token.position, token: token.text)
        }
    }

    func isOp(_ text: String) -> Bool { token.kind == .op && token.text == text }

    mutating func parse() throws(JSONataError) -> Node {
        let e = try expression(0)
        guard token.kind == .end else {
            throw JSONataError("S0201", "Syntax error: \"\(token.text)\"", position: token.position, token: token.text)
        }
        return e
    }

    mutating func expression(_ rbp: Int) throws(JSONataError) -> Node {
        let t = token
        try advance()
        var left = try nud(t)
        while rbp < Self.bindingPower(token) {
            let t = token
            try advance()
            left = try led(t, left)
        }
        return left
    }

    mutating func nud(_ t: Token) throws(JSONataError) -> Node {
        switch t.kind {
        case .end:
            throw JSONataError("S0207", "Unexpected end of expression", position: t.position)
        case .name:
            return Node(.name, t.text, position: t.position)
        case .variable:
            return Node(.variable, t.text, position: t.position)
        case .string:
            var n = Node(.string, position: t.position)
            n.literal = .string(t.text)
            return n
        case .number:
            var n = Node(.number, position: t.position)
            n.literal = .number(t.number)
            return n
        case .value:
            var n = Node(.value, t.text, position: t.position)
            switch t.text {
            case "true": n.literal = .bool(true)
            case "false": n.literal = .bool(false)
            default: n.literal = .null
            }
            return n
        case .regex:
            return Node(.regex, t.text, position: t.position)
        case .op:
            switch t.text {
            case "and", "or", "in":
                return Node(.name, t.text, position: t.position)
            case "-":
                var n = Node(.negate, "-", position: t.position)
                n.kids = [try expression(70)]
                return n
            case "*": return Node(.wildcard, "*", position: t.position)
            case "**": return Node(.descendant, "**", position: t.position)
            case "%": return Node(.parent, "%", position: t.position)
            case "?": return Node(.placeholder, "?", position: t.position)
            case "(":
                var n = Node(.block, position: t.position)
                while !isOp(")") {
                    n.kids.append(try expression(0))
                    if !isOp(";") { break }
                    try advance(";")
                }
                try advance(")", infix: true)
                return n
            case "[":
                var n = Node(.arrayConstructor, "[", position: t.position)
                if !isOp("]") {
                    while true {
                        var item = try expression(0)
                        if isOp("..") {
                            let p = token.position
                            try advance("..")
                            var range = Node(.binary, "..", position: p)
                            range.kids = [item, try expression(0)]
                            item = range
                        }
                        n.kids.append(item)
                        if !isOp(",") { break }
                        try advance(",")
                    }
                }
                try advance("]", infix: true)
                return n
            case "{":
                var n = Node(.objectConstructor, "{", position: t.position)
                n.pairs = try objectPairs()
                return n
            case "|":
                var n = Node(.transform, "|", position: t.position)
                let pattern = try expression(0)
                try advance("|")
                let update = try expression(0)
                n.kids = [pattern, update]
                if isOp(",") {
                    try advance(",")
                    n.kids.append(try expression(0))
                }
                try advance("|", infix: true)
                return n
            default:
                throw JSONataError("S0211", "The symbol \(t.text) cannot be used as a unary operator", position: t.position, token: t.text)
            }
        }
    }

    mutating func objectPairs() throws(JSONataError) -> [(Node, Node)] {
        var pairs: [(Node, Node)] = []
        if !isOp("}") {
            while true {
                let k = try expression(0)
                try advance(":")
                let v = try expression(0)
                pairs.append((k, v))
                if !isOp(",") { break }
                try advance(",")
            }
        }
        try advance("}", infix: true)
        return pairs
    }

    mutating func led(_ t: Token, _ left: Node) throws(JSONataError) -> Node {
        let bp = Self.bindingPower(t)
        switch t.text {
        case "(":
            // a call, or a lambda definition: function($x, $y)<sig>{ body }
            var args: [Node] = []
            if !isOp(")") {
                while true {
                    if isOp("?") {
                        args.append(Node(.placeholder, "?", position: token.position))
                        try advance("?")
                    } else {
                        args.append(try expression(0))
                    }
                    if !isOp(",") { break }
                    try advance(",")
                }
            }
            try advance(")", infix: true)
            if left.kind == .name && (left.text == "function" || left.text == "λ") {
                var lambda = Node(.lambda, position: t.position)
                for a in args {
                    guard a.kind == .variable else {
                        throw JSONataError("S0208", "Parameter \(a.text) of function definition must be a variable name (start with $)", position: a.position, token: a.text)
                    }
                    lambda.params.append(a.text)
                }
                if isOp("<") {
                    // the signature runs to the matching '>'
                    var depth = 1
                    var sig = "<"
                    while depth > 0 {
                        guard let c = lexer.peek() else { throw JSONataError("S0401", "Type parameter definition is not terminated", position: lexer.pos) }
                        lexer.pos += 1
                        sig.unicodeScalars.append(c)
                        if c == "<" { depth += 1 } else if c == ">" { depth -= 1 }
                    }
                    lambda.signature = try Signature(sig)
                    try advance()
                }
                try advance("{")
                let body = try expression(0)
                try advance("}", infix: true)
                lambda.kids = [Self.tailCallOptimized(body)]
                return lambda
            }
            var call = Node(args.contains { $0.kind == .placeholder } ? .partial : .function, position: t.position)
            call.kids = [left] + args
            return call
        case "[":
            var n = Node(.binary, "[", position: t.position)
            if isOp("]") {
                // `[]` keeps singleton arrays: it marks the innermost step of a run of predicates
                try advance("]", infix: true)
                return Self.markKeepArray(left)
            }
            let predicate = try expression(0)
            try advance("]", infix: true)
            n.kids = [left, predicate]
            return n
        case "{":
            var n = Node(.binary, "{", position: t.position)
            n.kids = [left]
            n.pairs = try objectPairs()
            return n
        case "^":
            try advance("(")
            var n = Node(.binary, "^", position: t.position)
            n.kids = [left]
            while true {
                var descending = false
                if isOp("<") {
                    try advance("<")
                } else if isOp(">") {
                    descending = true
                    try advance(">")
                }
                n.terms.append(Node.SortTerm(expression: try expression(0), descending: descending))
                if !isOp(",") { break }
                try advance(",")
            }
            try advance(")", infix: true)
            return n
        case "?":
            var n = Node(.condition, position: t.position)
            let then = try expression(0)
            n.kids = [left, then]
            if isOp(":") {
                try advance(":")
                n.kids.append(try expression(0))
            }
            return n
        case "??", "?:":
            throw JSONataError("S0201", "Syntax error: \"\(t.text)\" (the JSONata 2.1 operator is not available, as on AWS)", position: t.position, token: t.text)
        case ":=":
            guard left.kind == .variable else {
                throw JSONataError("S0212", "The left side of := must be a variable name (start with $)", position: t.position, token: left.text)
            }
            var n = Node(.bind, ":=", position: t.position)
            n.kids = [left, try expression(bp - 1)]
            return n
        case "@", "#":
            let rhs = try expression(bp)
            guard rhs.kind == .variable else {
                throw JSONataError("S0214", "The right side of \(t.text) must be a variable name (start with $)", position: rhs.position, token: t.text)
            }
            var n = Node(.binary, t.text, position: t.position)
            n.kids = [left, rhs]
            return n
        case "~>":
            var n = Node(.apply, "~>", position: t.position)
            n.kids = [left, try expression(bp)]
            return n
        case ".", "+", "-", "*", "/", "%", "=", "!=", "<", "<=", ">", ">=", "&", "and", "or", "in", "..":
            var n = Node(.binary, t.text, position: t.position)
            n.kids = [left, try expression(bp)]
            return n
        default:
            throw JSONataError("S0201", "Syntax error: \"\(t.text)\"", position: t.position, token: t.text)
        }
    }

    static func markKeepArray(_ n: Node) -> Node {
        var n = n
        if n.kind == .binary && n.text == "[" {
            n.kids[0] = markKeepArray(n.kids[0])
        } else {
            n.keepArray = true
        }
        return n
    }

    /// A call in tail position becomes a thunk the caller's trampoline runs, so tail
    /// recursion does not grow the stack.
    static func tailCallOptimized(_ e: Node) -> Node {
        switch e.kind {
        case .function where e.predicates.isEmpty && !e.keepArray:
            var thunk = Node(.lambda, position: e.position)
            thunk.thunk = true
            thunk.kids = [e]
            return thunk
        case .condition:
            var c = e
            for i in 1..<c.kids.count { c.kids[i] = tailCallOptimized(c.kids[i]) }
            return c
        case .block where !e.kids.isEmpty:
            var b = e
            b.kids[b.kids.count - 1] = tailCallOptimized(b.kids[b.kids.count - 1])
            return b
        default:
            return e
        }
    }
}
