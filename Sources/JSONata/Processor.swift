/// Turns the parser's raw nodes into the evaluated form, as the reference implementation's
/// `processAST` does: paths become step lists, predicates attach to their step as stages,
/// `@` and `#` make tuple streams, `^(…)` a sort step, `{…}` after an expression a group-by.
struct Processor {
    /// A parent operator's slot while the tree is processed: how many steps up it still has to
    /// go, and the variable its ancestor will be bound to (labels may merge).
    final class Slot {
        var label: String
        var level: Int
        init(label: String, level: Int) {
            self.label = label
            self.level = level
        }
    }

    var slots: [Slot] = []

    static func compile(_ e: Node) throws(JSONataError) -> Node {
        var p = Processor()
        var root = try p.process(e)
        if !root.seekingParent.isEmpty || root.kind == .parent {
            throw JSONataError("S0217", "The object representing the 'parent' cannot be derived from this expression", position: root.position, token: "%")
        }
        p.resolveLabels(&root)
        return root
    }

    /// Writes the final labels into the nodes (slots merge while the tree is processed).
    func resolveLabels(_ n: inout Node) {
        if let i = n.slotIndex { n.text = slots[i].label }
        if let i = n.ancestorSlot { n.ancestorLabel = slots[i].label }
        for i in n.kids.indices { resolveLabels(&n.kids[i]) }
        for i in n.steps.indices { resolveLabels(&n.steps[i]) }
        for i in n.stages.indices { for j in n.stages[i].filter.indices { resolveLabels(&n.stages[i].filter[j]) } }
        for i in n.predicates.indices { for j in n.predicates[i].filter.indices { resolveLabels(&n.predicates[i].filter[j]) } }
        for i in n.pairs.indices {
            resolveLabels(&n.pairs[i].0)
            resolveLabels(&n.pairs[i].1)
        }
        if n.group != nil {
            for i in n.group!.indices {
                resolveLabels(&n.group![i].0)
                resolveLabels(&n.group![i].1)
            }
        }
        for i in n.terms.indices { resolveLabels(&n.terms[i].expression) }
    }

    /// Carries a child's unresolved parent references up to `result`.
    func pushAncestry(_ result: inout Node, _ child: Node) {
        result.seekingParent += child.seekingParent
        if child.kind == .parent, let i = child.slotIndex { result.seekingParent.append(i) }
    }

    /// Finds the step a parent reference refers to, walking back through `node`.
    mutating func seekParent(_ node: inout Node, _ slot: Int) throws(JSONataError) {
        switch node.kind {
        case .name, .wildcard:
            slots[slot].level -= 1
            if slots[slot].level == 0 {
                if let existing = node.ancestorSlot {
                    slots[slot].label = slots[existing].label
                }
                node.ancestorSlot = slot
                node.tuple = true
            }
        case .parent:
            slots[slot].level += 1
        case .block:
            if !node.kids.isEmpty {
                node.tuple = true
                try seekParent(&node.kids[node.kids.count - 1], slot)
            }
        case .path:
            node.tuple = true
            var index = node.steps.count - 1
            try seekParent(&node.steps[index], slot)
            index -= 1
            while slots[slot].level > 0 && index >= 0 {
                try seekParent(&node.steps[index], slot)
                index -= 1
            }
        default:
            throw JSONataError("S0217", "The object representing the 'parent' cannot be derived from this expression", position: node.position, token: "\(node.kind)")
        }
    }

    mutating func resolveAncestry(_ path: inout Node) throws(JSONataError) {
        let last = path.steps.count - 1
        var pending = path.steps[last].seekingParent
        if path.steps[last].kind == .parent, let i = path.steps[last].slotIndex { pending.append(i) }
        for slot in pending {
            var index = path.steps.count - 2
            while slots[slot].level > 0 {
                if index < 0 {
                    path.seekingParent.append(slot)
                    break
                }
                var stepIndex = index
                index -= 1
                // contiguous steps that bind the focus are skipped
                while index >= 0 && path.steps[stepIndex].focus != nil && path.steps[index].focus != nil {
                    stepIndex = index
                    index -= 1
                }
                try seekParent(&path.steps[stepIndex], slot)
            }
        }
    }

    mutating func process(_ e: Node) throws(JSONataError) -> Node {
        var result: Node
        switch e.kind {
        case .binary:
            switch e.text {
            case ".":
                let lstep = try self.process(e.kids[0])
                if lstep.kind == .path {
                    result = lstep
                } else {
                    result = Node(.path, position: lstep.position)
                    result.steps = [lstep]
                }
                if lstep.kind == .parent, let i = lstep.slotIndex { result.seekingParent = [i] }
                var rest = try self.process(e.kids[1])
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
                try resolveAncestry(&result)
            case "[":
                result = try self.process(e.kids[0])
                var predicate = try self.process(e.kids[1])
                var parentRefs = predicate.seekingParent
                if predicate.kind == .parent, let i = predicate.slotIndex { parentRefs.append(i) }
                predicate.seekingParent = []
                let stage = Node.Stage(filter: [predicate], index: nil, position: e.position)
                if result.kind == .path {
                    let last = result.steps.count - 1
                    if result.steps[last].group != nil {
                        throw JSONataError("S0209", "A predicate cannot follow a grouping expression in a step", position: e.position)
                    }
                    for slot in parentRefs {
                        if slots[slot].level == 1 { try seekParent(&result.steps[last], slot) } else { slots[slot].level -= 1 }
                    }
                    result.steps[last].stages.append(stage)
                    result.steps[last].seekingParent += parentRefs.filter { slots[$0].level > 0 }
                } else {
                    for slot in parentRefs {
                        if slots[slot].level == 1 { try seekParent(&result, slot) } else { slots[slot].level -= 1 }
                    }
                    result.seekingParent += parentRefs.filter { slots[$0].level > 0 }
                    if result.group != nil {
                        throw JSONataError("S0209", "A predicate cannot follow a grouping expression in a step", position: e.position)
                    }
                    result.predicates.append(stage)
                }
            case "{":
                result = try self.process(e.kids[0])
                if result.group != nil {
                    throw JSONataError("S0210", "Each step can only have one grouping expression", position: e.position)
                }
                var pairs: [(Node, Node)] = []
                for (k, v) in e.pairs { pairs.append((try self.process(k), try self.process(v))) }
                result.group = pairs
            case "^":
                result = try self.process(e.kids[0])
                if result.kind != .path {
                    var p = Node(.path, position: result.position)
                    p.steps = [result]
                    result = p
                }
                var sort = Node(.sort, position: e.position)
                for t in e.terms {
                    let expression = try self.process(t.expression)
                    pushAncestry(&sort, expression)
                    sort.terms.append(Node.SortTerm(expression: expression, descending: t.descending))
                }
                result.steps.append(sort)
                // sort terms may refer to parents of the sorted steps
                try resolveAncestry(&result)
            case "@":
                result = try self.process(e.kids[0])
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
                result = try self.process(e.kids[0])
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
                result.kids = [try self.process(e.kids[0]), try self.process(e.kids[1])]
            }
        case .negate:
            let inner = try self.process(e.kids[0])
            if inner.kind == .number, case .number(let v) = inner.literal {
                result = inner
                result.literal = .number(-v)
            } else {
                result = e
                result.kids = [inner]
            }
        case .arrayConstructor:
            result = e
            result.kids = try self.processAll(e.kids)
        case .objectConstructor:
            result = e
            var pairs: [(Node, Node)] = []
            for (k, v) in e.pairs { pairs.append((try self.process(k), try self.process(v))) }
            result.pairs = pairs
            let literals = pairs.compactMap { pair -> String? in
                if pair.0.kind == .string, case .string(let s) = pair.0.literal { return s }
                return nil
            }
            result.literalKeys = literals.count == pairs.count && Set(literals).count == literals.count
        case .function, .partial, .condition, .transform, .apply, .bind:
            result = e
            result.kids = try self.processAll(e.kids)
        case .block:
            result = e
            result.kids = try self.processAll(e.kids)
            if result.kids.contains(where: { $0.consArray }) { result.consArray = true }
        case .lambda:
            result = e
            result.kids = try self.processAll(e.kids)
        case .name:
            result = Node(.path, position: e.position)
            result.steps = [e]
            if e.keepArray { result.keepSingletonArray = true }
        case .parent:
            result = e
            slots.append(Slot(label: "!\(slots.count)", level: 1))
            result.slotIndex = slots.count - 1
        case .string, .number, .value, .wildcard, .descendant, .variable, .regex, .placeholder, .path, .sort, .unary, .op:
            result = e
        }
        if e.keepArray && e.kind != .name { result.keepArray = true }
        switch result.kind {
        case .binary, .negate, .arrayConstructor, .objectConstructor, .function, .partial, .condition, .apply, .bind, .block, .transform:
            // a call's procedure is not a step: `%()` calls whatever `%` is (T1006 at run time)
            let kids = result.kind == .function || result.kind == .partial ? Array(result.kids.dropFirst()) : result.kids
            for k in kids { pushAncestry(&result, k) }
            let pairs = result.pairs
            for (k, v) in pairs {
                pushAncestry(&result, k)
                pushAncestry(&result, v)
            }
        default:
            break
        }
        if result.kind == .path, let group = result.group {
            for (k, v) in group {
                pushAncestry(&result, k)
                pushAncestry(&result, v)
            }
        }
        if result.kind == .path {
            result.isSimpleNames = result.steps.allSatisfy {
                $0.kind == .name && $0.stages.isEmpty && $0.predicates.isEmpty && !$0.tuple && !$0.keepArray && $0.group == nil
            }
        }
        return result
    }

    mutating func processAll(_ nodes: [Node]) throws(JSONataError) -> [Node] {
        var out: [Node] = []
        out.reserveCapacity(nodes.count)
        for n in nodes { out.append(try self.process(n)) }
        return out
    }
}
