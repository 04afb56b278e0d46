/// Turns the parser's raw nodes into the evaluated form, as the reference implementation's
/// `processAST` does: paths become step lists, predicates attach to their step as stages,
/// `@` and `#` make tuple streams, `^(…)` a sort step, `{…}` after an expression a group-by.
enum Processor {
    static func process(_ e: Node) throws(JSONataError) -> Node {
        var result: Node
        switch e.kind {
        case .binary:
            switch e.text {
            case ".":
                let lstep = try process(e.kids[0])
                if lstep.kind == .path {
                    result = lstep
                } else {
                    result = Node(.path, position: lstep.position)
                    result.steps = [lstep]
                }
                var rest = try process(e.kids[1])
                if rest.kind == .path {
                    result.steps += rest.steps
                } else {
                    if !rest.predicates.isEmpty {
                        rest.stages = rest.predicates
                        rest.predicates = []
                    }
                    result.steps.append(rest)
                }
                for i in result.steps.indices {
                    switch result.steps[i].kind {
                    case .number, .value:
                        throw JSONataError("S0213", "The literal value \(result.steps[i].text) cannot be used as a step within a path expression",
                                           position: result.steps[i].position, token: result.steps[i].text)
                    case .string:
                        if case .string(let s) = result.steps[i].literal {
                            result.steps[i].kind = .name
                            result.steps[i].text = s
                        }
                    default: break
                    }
                }
                if result.steps.contains(where: { $0.keepArray }) { result.keepSingletonArray = true }
                if result.steps[0].kind == .arrayConstructor { result.steps[0].consArray = true }
                let last = result.steps.count - 1
                if result.steps[last].kind == .arrayConstructor { result.steps[last].consArray = true }
            case "[":
                result = try process(e.kids[0])
                let predicate = try process(e.kids[1])
                let stage = Node.Stage(filter: [predicate], index: nil, position: e.position)
                if result.kind == .path {
                    let last = result.steps.count - 1
                    if result.steps[last].group != nil {
                        throw JSONataError("S0209", "A predicate cannot follow a grouping expression in a step", position: e.position)
                    }
                    result.steps[last].stages.append(stage)
                } else {
                    if result.group != nil {
                        throw JSONataError("S0209", "A predicate cannot follow a grouping expression in a step", position: e.position)
                    }
                    result.predicates.append(stage)
                }
            case "{":
                result = try process(e.kids[0])
                if result.group != nil {
                    throw JSONataError("S0210", "Each step can only have one grouping expression", position: e.position)
                }
                var pairs: [(Node, Node)] = []
                for (k, v) in e.pairs { pairs.append((try process(k), try process(v))) }
                result.group = pairs
            case "^":
                result = try process(e.kids[0])
                if result.kind != .path {
                    var p = Node(.path, position: result.position)
                    p.steps = [result]
                    result = p
                }
                var sort = Node(.sort, position: e.position)
                for t in e.terms { sort.terms.append(Node.SortTerm(expression: try process(t.expression), descending: t.descending)) }
                result.steps.append(sort)
            case "@":
                result = try process(e.kids[0])
                let name = e.kids[1].text
                if result.kind == .path {
                    let last = result.steps.count - 1
                    if !result.steps[last].stages.isEmpty || !result.steps[last].predicates.isEmpty {
                        throw JSONataError("S0215", "A context variable binding must precede any predicates on a step", position: e.position)
                    }
                    if result.steps[last].kind == .sort {
                        throw JSONataError("S0216", "A context variable binding must precede the 'order-by' clause on a step", position: e.position)
                    }
                    if e.keepArray { result.steps[last].keepArray = true }
                    result.steps[last].focus = name
                    result.steps[last].tuple = true
                } else {
                    if !result.predicates.isEmpty {
                        throw JSONataError("S0215", "A context variable binding must precede any predicates on a step", position: e.position)
                    }
                    if e.keepArray { result.keepArray = true }
                    result.focus = name
                    result.tuple = true
                }
            case "#":
                result = try process(e.kids[0])
                let name = e.kids[1].text
                if result.kind != .path {
                    var step = result
                    if !step.predicates.isEmpty {
                        step.stages = step.predicates
                        step.predicates = []
                    }
                    result = Node(.path, position: step.position)
                    result.steps = [step]
                }
                let last = result.steps.count - 1
                if result.steps[last].stages.isEmpty {
                    result.steps[last].index = name
                } else {
                    result.steps[last].stages.append(Node.Stage(filter: [], index: name, position: e.position))
                }
                result.steps[last].tuple = true
            default:
                result = e
                result.kids = [try process(e.kids[0]), try process(e.kids[1])]
            }
        case .negate:
            let inner = try process(e.kids[0])
            if inner.kind == .number, case .number(let v) = inner.literal {
                result = inner
                result.literal = .number(-v)
            } else {
                result = e
                result.kids = [inner]
            }
        case .arrayConstructor:
            result = e
            result.kids = try processAll(e.kids)
        case .objectConstructor:
            result = e
            var pairs: [(Node, Node)] = []
            for (k, v) in e.pairs { pairs.append((try process(k), try process(v))) }
            result.pairs = pairs
            let literals = pairs.compactMap { pair -> String? in
                if pair.0.kind == .string, case .string(let s) = pair.0.literal { return s }
                return nil
            }
            result.literalKeys = literals.count == pairs.count && Set(literals).count == literals.count
        case .function, .partial, .condition, .transform, .apply, .bind:
            result = e
            result.kids = try processAll(e.kids)
        case .block:
            result = e
            result.kids = try processAll(e.kids)
            if result.kids.contains(where: { $0.consArray }) { result.consArray = true }
        case .lambda:
            result = e
            result.kids = try processAll(e.kids)
        case .name:
            result = Node(.path, position: e.position)
            result.steps = [e]
            if e.keepArray { result.keepSingletonArray = true }
        case .parent:
            throw JSONataError("S0217", "The parent operator % is not supported by Baton's evaluator yet", position: e.position, token: "%")
        case .string, .number, .value, .wildcard, .descendant, .variable, .regex, .placeholder, .path, .sort, .unary, .op:
            result = e
        }
        if e.keepArray && e.kind != .name { result.keepArray = true }
        if result.kind == .path {
            result.isSimpleNames = result.steps.allSatisfy {
                $0.kind == .name && $0.stages.isEmpty && $0.predicates.isEmpty && !$0.tuple && !$0.keepArray && $0.group == nil
            }
        }
        return result
    }

    static func processAll(_ nodes: [Node]) throws(JSONataError) -> [Node] {
        var out: [Node] = []
        out.reserveCapacity(nodes.count)
        for n in nodes { out.append(try process(n)) }
        return out
    }
}
