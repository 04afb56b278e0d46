/// `| pattern | update [, delete] |`: a function that copies its input and, in the copy,
/// merges `update` into every object `pattern` selects and removes the `delete` keys.
extension JFunction {
    static func transform(_ e: Node, env: Environment) -> JFunction {
        JFunction(.native(name: "transform", arity: 1) { (args, call) throws -> JValue? in
            guard let input = args.first ?? nil else { return nil }
            let copy = input.deepCopy()
            let matches = try call.evaluator.evaluate(e.kids[0], copy, env)
            for m in Functions.items(matches) {
                guard case .object(let o) = m else { continue }
                let update = try call.evaluator.evaluate(e.kids[1], m, env)
                if let update {
                    guard case .object(let u) = update else {
                        throw JSONataError("T2011", "The insert/update clause of the transform expression must evaluate to an object: \(Functions.string(update))",
                                           position: e.kids[1].position)
                    }
                    for (k, v) in u.entries { o[k] = v }
                }
                if e.kids.count > 2, let deletion = try call.evaluator.evaluate(e.kids[2], m, env) {
                    let keys = Functions.items(deletion)
                    guard keys.allSatisfy(\.isString) else {
                        throw JSONataError("T2012", "The delete clause of the transform expression must evaluate to a string or array of strings: \(Functions.string(deletion))",
                                           position: e.kids[2].position)
                    }
                    for k in keys { o[k.stringValue!] = nil }
                }
            }
            return copy
        })
    }
}
