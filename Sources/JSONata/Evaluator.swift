/// Evaluates compiled nodes (a port of the reference implementation's `evaluate`).
struct Evaluator {
    let ctx: Context

    func evaluate(_ e: Node, _ input: JValue?, _ env: Environment) throws(JSONataError) -> JValue? {
        try ctx.enter(e.position)
        defer { ctx.leave() }
        var result: JValue?
        switch e.kind {
        case .path: result = try evaluatePath(e, input, env)
        case .binary: result = try evaluateBinary(e, input, env)
        case .negate:
            guard let v = try evaluate(e.kids[0], input, env) else { result = nil; break }
            guard case .number(let n) = v else {
                throw JSONataError("D1002", "Cannot negate a non-numeric value: \(Functions.string(v))", position: e.position, token: "-")
            }
            result = .number(-n)
        case .name: result = Self.lookup(input, e.text)
        case .string, .number, .value: result = e.literal.value
        case .wildcard: result = evaluateWildcard(input)
        case .descendant: result = evaluateDescendants(input)
        case .condition:
            let c = try evaluate(e.kids[0], input, env)
            if Functions.boolean(c) == true {
                result = try evaluate(e.kids[1], input, env)
            } else if e.kids.count > 2 {
                result = try evaluate(e.kids[2], input, env)
            }
        case .block:
            let frame = Environment(parent: env)
            for k in e.kids { result = try evaluate(k, input, frame) }
        case .bind:
            let v = try evaluate(e.kids[1], input, env)
            env.bind(e.kids[0].text, v)
            result = v
        case .regex:
            result = .function(JFunction(.regex(try JRegex(e.text, position: e.position))))
        case .function:
            result = try evaluateCall(e, input, env, applyTo: nil)
        case .variable:
            if e.text.isEmpty {
                if case .array(let a)? = input, a.outerWrapper, let first = a.items.first { result = first } else { result = input }
            } else {
                result = env.lookup(e.text)
            }
        case .lambda:
            result = .function(JFunction(.lambda(params: e.params, body: e.kids[0], env: env, input: input, signature: e.signature, thunk: e.thunk)))
        case .partial:
            result = try evaluatePartial(e, input, env)
        case .apply:
            result = try evaluateApply(e, input, env)
        case .arrayConstructor:
            var items: [JValue] = []
            for k in e.kids {
                guard let v = try evaluate(k, input, env) else { continue }
                if k.kind == .arrayConstructor {
                    items.append(v)
                } else if case .array(let a) = v {
                    // Flattening can double an array per call: refuse past the size limit.
                    if items.count + a.items.count > ctx.maxValueSize { throw Functions.tooLarge(ctx.maxValueSize) }
                    items += a.items
                } else {
                    items.append(v)
                }
            }
            var arr = JArray(items)
            arr.isConstructed = e.consArray
            result = .array(arr)
        case .objectConstructor:
            if e.literalKeys && !(input?.isArray ?? false) {
                let o = JObject()
                for (k, v) in e.pairs {
                    if case .string(let key) = k.literal, let value = try evaluate(v, input, env) { o[key] = value }
                }
                result = .object(o)
            } else {
                result = try evaluateGroup(e.pairs, input, env, position: e.position)
            }
        case .transform:
            result = .function(JFunction.transform(e, env: env))
        case .sort:
            result = try evaluateSort(e, input, env)
        case .parent:
            result = env.lookup(e.text)
        case .placeholder, .unary, .op:
            throw JSONataError("S0206", "Unknown expression type: \(e.text)", position: e.position, token: e.text)
        }
        for stage in e.predicates {
            result = try evaluateFilter(stage.filter[0], result, env)
        }
        if e.kind != .path, let group = e.group {
            result = try evaluateGroup(group, result, env, position: e.position)
        }
        if case .array(var a)? = result, a.isSequence, !a.tupleStream {
            if e.keepArray { a.keepSingleton = true }
            if a.items.isEmpty {
                result = nil
            } else if a.items.count == 1 && !a.keepSingleton {
                result = a.items[0]
            } else {
                result = .array(a)
            }
        }
        return result
    }

    // MARK: paths

    func evaluatePath(_ e: Node, _ input: JValue?, _ env: Environment) throws(JSONataError) -> JValue? {
        // `a.b.c` through objects only: plain lookups, no sequences (the general path below
        // gives the same answer, with arrays flattened, which is rarer).
        if e.isSimpleNames, e.group == nil, !e.keepSingletonArray, !e.keepArray, e.predicates.isEmpty, case .object? = input {
            var v = input
            for step in e.steps {
                guard case .object(let o)? = v else { v = nil; break }
                v = o[step.text]
                if case .array? = v { break }
            }
            if let v, !v.isArray { return v }
        }
        var inputSequence: JArray
        // An undefined input is still one (undefined) item: `{"a": 1}.a` evaluates its first step.
        var undefinedInput = false
        if case .array(let a)? = input, e.steps[0].kind != .variable {
            inputSequence = a
        } else {
            inputSequence = JArray(input.map { [$0] } ?? [], sequence: true)
            undefinedInput = input == nil
        }
        var resultSequence: JArray? = nil
        var isTupleStream = false
        var tuples: [JObject]? = nil
        for (i, step) in e.steps.enumerated() {
            if step.tuple { isTupleStream = true }
            if i == 0 && step.consArray {
                let v = try evaluate(step, .array(inputSequence), env)
                if case .array(let a)? = v { resultSequence = a } else { resultSequence = JArray(v.map { [$0] } ?? [], sequence: true) }
            } else if isTupleStream {
                tuples = try evaluateTupleStep(step, inputSequence, tuples, env)
            } else {
                resultSequence = try evaluateStep(step, inputSequence, env, last: i == e.steps.count - 1, undefinedItem: undefinedInput && i == 0)
            }
            if !isTupleStream && (resultSequence == nil || resultSequence!.items.isEmpty) { break }
            if step.focus == nil, let r = resultSequence { inputSequence = r }
        }
        if isTupleStream && e.tuple {
            // this path is itself a step of an outer tuple stream: hand over the tuples
            var stream = JArray((tuples ?? []).map { .object($0) }, sequence: true)
            stream.tupleStream = true
            return .array(stream)
        }
        if isTupleStream {
            var out = JArray([], sequence: true)
            for t in tuples ?? [] { if let v = t["@"] { out.items.append(v) } }
            resultSequence = out
            if let group = e.group {
                return try evaluateGroup(group, tuples: tuples ?? [], env, position: e.position)
            }
        }
        if e.keepSingletonArray, var r = resultSequence {
            if r.isConstructed && !r.isSequence { r = JArray([.array(r)], sequence: true) }
            r.keepSingleton = true
            resultSequence = r
        }
        if let group = e.group {
            return try evaluateGroup(group, resultSequence.map { .array($0) }, env, position: e.position)
        }
        return resultSequence.map { .array($0) }
    }

    func evaluateStep(_ step: Node, _ input: JArray, _ env: Environment, last: Bool, undefinedItem: Bool = false) throws(JSONataError) -> JArray {
        if step.kind == .sort {
            var sorted = try evaluateSort(step, .array(input), env)
            for stage in step.stages {
                sorted = try evaluateFilter(stage.filter[0], sorted, env)
            }
            if case .array(let a)? = sorted { return a }
            return JArray(sorted.map { [$0] } ?? [], sequence: true)
        }
        var results: [JValue] = []
        let items: [JValue?] = undefinedItem ? [nil] : input.items
        for item in items {
            var res = try evaluate(step, item, env)
            for stage in step.stages where !stage.filter.isEmpty {
                res = try evaluateFilter(stage.filter[0], res, env)
            }
            if let res { results.append(res) }
        }
        if last, results.count == 1, case .array(let a) = results[0], !a.isSequence {
            return a
        }
        var out = JArray([], sequence: true)
        for r in results {
            if case .array(let a) = r, !a.isConstructed {
                out.items += a.items
            } else {
                out.items.append(r)
            }
        }
        return out
    }

    func evaluateTupleStep(_ step: Node, _ input: JArray, _ tuples: [JObject]?, _ env: Environment) throws(JSONataError) -> [JObject] {
        if step.kind == .sort {
            var result: [JObject]
            if let tuples {
                result = try sortTuples(step, tuples, env)
            } else {
                let sorted = try evaluateSort(step, .array(input), env)
                let items: [JValue]
                if case .array(let a)? = sorted { items = a.items } else { items = sorted.map { [$0] } ?? [] }
                result = items.enumerated().map { (i, item) in
                    let t = JObject()
                    t["@"] = item
                    if let idx = step.index { t[idx] = .number(Double(i)) }
                    return t
                }
            }
            return try applyStages(step.stages, result, env)
        }
        let bindings = tuples ?? input.items.map { item in
            let t = JObject()
            t["@"] = item
            return t
        }
        var result: [JObject] = []
        for tuple in bindings {
            let stepEnv = Self.frame(env, tuple)
            guard let res = try evaluate(step, tuple["@"], stepEnv) else { continue }
            let items: [JValue]
            var nested = false
            if case .array(let a) = res {
                items = a.items
                nested = a.tupleStream
            } else {
                items = [res]
            }
            for (bb, item) in items.enumerated() {
                let t = JObject()
                for (k, v) in tuple.entries { t[k] = v }
                if nested, case .object(let inner) = item {
                    // a nested tuple stream (a block or path holding the ancestor) brings its bindings
                    for (k, v) in inner.entries { t[k] = v }
                    result.append(t)
                    continue
                }
                if let focus = step.focus {
                    t[focus] = item
                    t["@"] = tuple["@"]
                } else {
                    t["@"] = item
                }
                if let idx = step.index { t[idx] = .number(Double(bb)) }
                if let a = step.ancestorLabel { t[a] = tuple["@"] }
                result.append(t)
            }
        }
        return try applyStages(step.stages, result, env)
    }

    func applyStages(_ stages: [Node.Stage], _ tuples: [JObject], _ env: Environment) throws(JSONataError) -> [JObject] {
        var result = tuples
        for stage in stages {
            if let idx = stage.index {
                for (i, t) in result.enumerated() { t[idx] = .number(Double(i)) }
            } else {
                result = try filterTuples(stage.filter[0], result, env)
            }
        }
        return result
    }

    static func frame(_ env: Environment, _ tuple: JObject) -> Environment {
        let f = Environment(parent: env)
        for (k, v) in tuple.entries where k != "@" { f.bind(k, v) }
        return f
    }

    // MARK: filters

    func evaluateFilter(_ predicate: Node, _ input: JValue?, _ env: Environment) throws(JSONataError) -> JValue? {
        guard let input else { return nil }
        let items: [JValue]
        if case .array(let a) = input { items = a.items } else { items = [input] }
        var out = JArray([], sequence: true)
        if predicate.kind == .number, case .number(let n) = predicate.literal {
            var index = n.rounded(.down).clampedInt
            if index < 0 { index += items.count }
            if index >= 0 && index < items.count {
                if case .array(let a) = items[index] { return .array(a) }
                out.items.append(items[index])
            }
            return .array(out)
        }
        for (index, item) in items.enumerated() {
            let res = try evaluate(predicate, item, env)
            if let indexes = Self.numbers(res) {
                for n in indexes {
                    var ii = n.rounded(.down).clampedInt
                    if ii < 0 { ii += items.count }
                    if ii == index { out.items.append(item) }
                }
            } else if Functions.boolean(res) == true {
                out.items.append(item)
            }
        }
        return .array(out)
    }

    func filterTuples(_ predicate: Node, _ tuples: [JObject], _ env: Environment) throws(JSONataError) -> [JObject] {
        if predicate.kind == .number, case .number(let n) = predicate.literal {
            var index = n.rounded(.down).clampedInt
            if index < 0 { index += tuples.count }
            return index >= 0 && index < tuples.count ? [tuples[index]] : []
        }
        var out: [JObject] = []
        for (index, t) in tuples.enumerated() {
            let res = try evaluate(predicate, t["@"], Self.frame(env, t))
            if let indexes = Self.numbers(res) {
                for n in indexes {
                    var ii = n.rounded(.down).clampedInt
                    if ii < 0 { ii += tuples.count }
                    if ii == index { out.append(t) }
                }
            } else if Functions.boolean(res) == true {
                out.append(t)
            }
        }
        return out
    }

    /// A number, or an array of numbers, is an index filter.
    static func numbers(_ v: JValue?) -> [Double]? {
        switch v {
        case .number(let n)?: return [n]
        case .array(let a)? where !a.items.isEmpty:
            var out: [Double] = []
            for item in a.items {
                guard case .number(let n) = item else { return nil }
                out.append(n)
            }
            return out
        default: return nil
        }
    }

    // MARK: names, wildcards, descendants

    static func lookup(_ input: JValue?, _ key: String) -> JValue? {
        switch input {
        case .array(let a)?:
            var out = JArray([], sequence: true)
            for item in a.items {
                guard let r = lookup(item, key) else { continue }
                if case .array(let inner) = r { out.items += inner.items } else { out.items.append(r) }
            }
            return .array(out)
        case .object(let o)?:
            return o[key]
        default:
            return nil
        }
    }

    func evaluateWildcard(_ input: JValue?) -> JValue? {
        var out = JArray([], sequence: true)
        var value = input
        if case .array(let a)? = input, a.outerWrapper, let first = a.items.first { value = first }
        let values: [JValue]
        switch value {
        case .object(let o)?: values = o.entries.map(\.1)
        case .array(let a)?: values = a.items
        default: values = []
        }
        for v in values {
            if case .array(let a) = v { out.items += Self.flatten(a.items) } else { out.items.append(v) }
        }
        return .array(out)
    }

    static func flatten(_ items: [JValue]) -> [JValue] {
        var out: [JValue] = []
        for i in items {
            if case .array(let a) = i { out += flatten(a.items) } else { out.append(i) }
        }
        return out
    }

    func evaluateDescendants(_ input: JValue?) -> JValue? {
        guard let input else { return nil }
        var out: [JValue] = []
        Self.descend(input, &out)
        return .array(JArray(out, sequence: true))
    }

    static func descend(_ v: JValue, _ out: inout [JValue]) {
        if case .array(let a) = v {
            for i in a.items { descend(i, &out) }
            return
        }
        out.append(v)
        if case .object(let o) = v {
            for (_, child) in o.entries { descend(child, &out) }
        }
    }
}
