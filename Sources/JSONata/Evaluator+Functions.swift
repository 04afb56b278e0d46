/// Calls: built-ins, lambdas (with tail calls trampolined), partial application, `~>`.
extension Evaluator {
    func evaluateCall(_ e: Node, _ input: JValue?, _ env: Environment, applyTo first: JValue??) throws(JSONataError) -> JValue? {
        let procedure = e.kids[0]
        let proc = try evaluate(procedure, input, env)
        if proc == nil, procedure.kind == .path, procedure.steps.count == 1, env.lookup(procedure.steps[0].text) != nil {
            throw JSONataError("T1005", "Attempted to invoke a non-function. Did you mean ${\(procedure.steps[0].text)}?",
                               position: e.position, token: procedure.steps[0].text)
        }
        var args: [JValue?] = []
        if let first { args.append(first) }
        for a in e.kids.dropFirst() { args.append(try evaluate(a, input, env)) }
        guard case .function(let f)? = proc else {
            let name = procedure.kind == .variable ? procedure.text : procedure.kind == .path ? procedure.steps.first?.text ?? "" : ""
            throw JSONataError("T1006", "Attempted to invoke a non-function", position: e.position, token: name)
        }
        do {
            return try apply(f, args, input, name: procedure.text)
        } catch {
            var err = error
            if err.position == 0 { err.position = e.position }
            throw err
        }
    }

    /// Applies a function, running tail-call thunks until a value comes back.
    func apply(_ f: JFunction, _ args: [JValue?], _ input: JValue?, name: String = "") throws(JSONataError) -> JValue? {
        var result = try applyInner(f, args, input, name: name)
        while case .function(let t)? = result, case .lambda(_, let body, let env, _, _, true) = t.kind {
            // a thunk wraps the tail call: evaluate its callee and arguments, then call
            guard case .lambda(_, _, _, let thunkInput, _, _) = t.kind else { break }
            try ctx.tick(body.position)
            let callee = try evaluate(body.kids[0], thunkInput, env)
            var next: [JValue?] = []
            for a in body.kids.dropFirst() { next.append(try evaluate(a, thunkInput, env)) }
            guard case .function(let g)? = callee else {
                throw JSONataError("T1006", "Attempted to invoke a non-function", position: body.position)
            }
            result = try applyInner(g, next, input, name: body.kids[0].text)
        }
        return result
    }

    func applyInner(_ f: JFunction, _ args: [JValue?], _ input: JValue?, name: String) throws(JSONataError) -> JValue? {
        switch f.kind {
        case .builtin(let b):
            var a = args
            if let sig = b.signature { a = try sig.validate(args, context: input, function: b.name) }
            do {
                return try b.body(a, BuiltinCall(evaluator: self, input: input))
            } catch let e as JSONataError {
                throw e
            } catch {
                throw JSONataError("D3000", "\(b.name): \(error)", token: b.name)
            }
        case .native(_, _, let body):
            do {
                return try body(args, BuiltinCall(evaluator: self, input: input))
            } catch let e as JSONataError {
                throw e
            } catch {
                throw JSONataError("D3000", "\(error)")
            }
        case .lambda(let params, let body, let env, let defined, let signature, let thunk):
            var a = args
            if let signature { a = try signature.validate(args, context: input, function: name) }
            let frame = Environment(parent: env)
            for (i, p) in params.enumerated() { frame.bind(p, i < a.count ? a[i] : nil) }
            if thunk {
                // the thunk itself is returned: the trampoline in `apply` runs it
                return .function(JFunction(.lambda(params: [], body: body, env: frame, input: defined, signature: nil, thunk: true)))
            }
            // the body sees the context where the lambda was defined
            return try evaluate(body, defined, frame)
        case .partial(let inner, let bound):
            var filled: [JValue?] = []
            var next = 0
            for b in bound {
                if let b {
                    filled.append(b)
                } else {
                    filled.append(next < args.count ? args[next] : nil)
                    next += 1
                }
            }
            return try apply(inner, filled, input, name: name)
        case .regex(let r):
            guard case .string(let s)? = args.first else { return nil }
            return r.matchObject(s, from: 0)
        }
    }

    func evaluatePartial(_ e: Node, _ input: JValue?, _ env: Environment) throws(JSONataError) -> JValue? {
        let procedure = e.kids[0]
        let proc = try evaluate(procedure, input, env)
        var args: [JValue?] = []
        var placeholders: [Bool] = []
        for a in e.kids.dropFirst() {
            if a.kind == .placeholder {
                args.append(nil)
                placeholders.append(true)
            } else {
                args.append(try evaluate(a, input, env))
                placeholders.append(false)
            }
        }
        guard case .function(let f)? = proc else {
            if procedure.kind == .path, procedure.steps.count == 1, env.lookup(procedure.steps[0].text) != nil {
                throw JSONataError("T1007", "Attempted to partially apply a non-function. Did you mean ${\(procedure.steps[0].text)}?",
                                   position: e.position, token: procedure.steps[0].text)
            }
            throw JSONataError("T1008", "Attempted to partially apply a non-function", position: e.position, token: procedure.text)
        }
        // A bound argument that is undefined stays bound as undefined: keep placeholders apart.
        let bound: [JValue?] = zip(args, placeholders).map { $1 ? nil : ($0 ?? .null) }
        let marker = zip(args, placeholders).map { $0.0 == nil && !$0.1 }
        if marker.contains(true) {
            // undefined bound arguments: wrap so they are passed as undefined
            return .function(JFunction(.native(name: "partial", arity: placeholders.filter { $0 }.count) { (a, call) throws in
                var filled: [JValue?] = []
                var next = 0
                for (i, isPlaceholder) in placeholders.enumerated() {
                    if isPlaceholder {
                        filled.append(next < a.count ? a[next] : nil)
                        next += 1
                    } else {
                        filled.append(args[i])
                    }
                }
                return try call.evaluator.apply(f, filled, call.input)
            }))
        }
        return .function(JFunction(.partial(f, args: bound)))
    }

    func evaluateApply(_ e: Node, _ input: JValue?, _ env: Environment) throws(JSONataError) -> JValue? {
        let lhs = try evaluate(e.kids[0], input, env)
        let rhsNode = e.kids[1]
        if rhsNode.kind == .function {
            var result = try evaluateCall(rhsNode, input, env, applyTo: .some(lhs))
            if rhsNode.keepArray, case .array(var a)? = result, a.isSequence {
                a.keepSingleton = true
                result = .array(a)
            }
            return result
        }
        let rhs = try evaluate(rhsNode, input, env)
        guard case .function(let g)? = rhs else {
            throw JSONataError("T2006", "The right side of the function application operator ~> must be a function", position: e.position)
        }
        if case .function(let f)? = lhs {
            // composition: $f ~> $g is λ($x){ $g($f($x)) }
            return .function(JFunction(.native(name: "composition", arity: 1) { (a, call) throws in
                let inner = try call.evaluator.apply(f, a, call.input)
                return try call.evaluator.apply(g, [inner], call.input)
            }))
        }
        return try apply(g, [lhs], input)
    }

    /// Calls a function value with as many of (value, index, array) as it declares.
    func callHigherOrder(_ f: JFunction, _ candidates: [JValue?], _ input: JValue?) throws(JSONataError) -> JValue? {
        let n = max(1, min(f.arity, candidates.count))
        return try apply(f, Array(candidates.prefix(n)), input)
    }
}

/// What a built-in is handed besides its arguments.
struct BuiltinCall {
    let evaluator: Evaluator
    let input: JValue?
}

/// A built-in function: a Sendable table entry (closures made during evaluation, such as a
/// transform or a composition, are `JFunction.Kind.native`).
struct Builtin: Sendable {
    let name: String
    let arity: Int
    let signature: Signature?
    let body: @Sendable (_ args: [JValue?], _ call: BuiltinCall) throws -> JValue?

    init(name: String, arity: Int, signature: Signature?, body: @escaping @Sendable (_ args: [JValue?], _ call: BuiltinCall) throws -> JValue?) {
        self.name = name
        self.arity = arity
        self.signature = signature
        self.body = body
    }
}
