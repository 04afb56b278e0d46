import Foundation

/// Numbers, higher-order functions, objects and arrays, and the functions AWS adds.
extension Library {
    static let numeric: [(String, Builtin)] = [
        def("number", "<(nsb)-:n>") { a, _ in
            switch a[0] {
            case nil: return nil
            case .number(let n)?: return .number(n)
            case .bool(let b)?: return .number(b ? 1 : 0)
            case .string(let s)?:
                if let n = parseNumber(s) { return .number(n) }
                throw JSONataError("D3030", "Unable to cast value to a number: \"\(s)\"", token: "number")
            default:
                throw JSONataError("D3030", "Unable to cast value to a number", token: "number")
            }
        },
        def("floor", "<n-:n>") { a, _ in num(a[0]).map { .number($0.rounded(.down)) } },
        def("ceil", "<n-:n>") { a, _ in num(a[0]).map { .number($0.rounded(.up)) } },
        def("abs", "<n-:n>") { a, _ in num(a[0]).map { .number(abs($0)) } },
        def("sqrt", "<n-:n>") { a, _ in
            guard let n = num(a[0]) else { return nil }
            guard n >= 0 else { throw JSONataError("D3060", "The sqrt function cannot be applied to a negative number: \(Functions.jsNumber(n))", token: "sqrt") }
            return .number(n.squareRoot())
        },
        def("power", "<n-n:n>") { a, _ in
            guard let b = num(a[0]), let e = num(a[1]) else { return nil }
            let r = pow(b, e)
            guard r.isFinite else { throw JSONataError("D3061", "The power function has resulted in a value that cannot be represented as a JSON number", token: "power") }
            return .number(r)
        },
        def("round", "<n-n?:n>") { a, _ in
            guard let n = num(a[0]) else { return nil }
            let precision = max(-300, min(300, (num(a.count > 1 ? a[1] : nil) ?? 0).clampedInt))
            return .number(roundHalfEven(n, precision))
        },
        def("random", "<n?:n>") { a, call in
            if let seed = num(a.first ?? nil) {
                var generator = JavaRandom(seed: Int64(seed.clampedInt))
                return .number(generator.nextDouble())
            }
            return .number(call.evaluator.ctx.random.nextDouble())
        },
        def("formatBase", "<n-n?:s>") { a, _ in
            guard let n = num(a[0]) else { return nil }
            let radix = (num(a.count > 1 ? a[1] : nil) ?? 10).clampedInt
            guard (2...36).contains(radix) else {
                throw JSONataError("D3100", "The radix of the formatBase function must be between 2 and 36.  It was given \(radix)", token: "formatBase")
            }
            let v = roundHalfEven(n, 0).clampedInt
            return .string(String(v, radix: radix))
        },
        def("parseInteger", "<s-s:n>") { a, _ in
            guard let s = str(a[0]), let picture = str(a[1]) else { return nil }
            return try IntegerPicture(picture).parse(s).map { .number($0) }
        },
        def("formatNumber", "<n-so?:s>") { a, _ in
            guard let n = num(a[0]), let picture = str(a[1]) else { return nil }
            var options: JObject?
            if a.count > 2, case .object(let o)? = a[2] { options = o }
            return .string(try NumberPicture.format(n, picture, options: options))
        },
        def("formatInteger", "<n-s:s>") { a, _ in
            guard let n = num(a[0]), let picture = str(a[1]) else { return nil }
            return .string(try IntegerPicture(picture).format(n.rounded(.towardZero)))
        },
    ]

    /// JSON's number grammar, as `$number` accepts it (plus hex, octal and binary literals).
    static func parseNumber(_ s: String) -> Double? {
        let t = s.trimmingCharacters(in: .whitespaces)
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where t.lowercased().hasPrefix(prefix) {
            return Int(t.dropFirst(2), radix: radix).map(Double.init)
        }
        guard t.range(of: #"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"#, options: .regularExpression) != nil,
              let d = Double(t), d.isFinite else { return nil }
        return d
    }

    /// Round half to even at `precision` decimal places, as $round does.
    static func roundHalfEven(_ n: Double, _ precision: Int) -> Double {
        let scaled = Double("\(Functions.jsNumber(n))e\(precision)") ?? n * pow(10, Double(precision))
        var r = scaled.rounded()
        if abs(scaled - scaled.rounded(.towardZero)) == 0.5 {
            r = scaled.rounded(.toNearestOrEven)
        }
        let out = Double("\(Functions.jsNumber(r))e\(-precision)") ?? r / pow(10, Double(precision))
        return out == 0 ? 0 : out
    }

    static let higherOrder: [(String, Builtin)] = [
        def("map", "<af>") { a, call in
            guard a[0] != nil, case .function(let f)? = a[1] else { return nil }
            let items = Functions.items(a[0])
            var out = JArray([], sequence: true)
            for (i, item) in items.enumerated() {
                if let r = try call.evaluator.callHigherOrder(f, [item, .number(Double(i)), .arr(items)], call.input) { out.items.append(r) }
            }
            return .array(out)
        },
        def("filter", "<af>") { a, call in
            guard a[0] != nil, case .function(let f)? = a[1] else { return nil }
            let items = Functions.items(a[0])
            var out = JArray([], sequence: true)
            for (i, item) in items.enumerated() {
                if Functions.boolean(try call.evaluator.callHigherOrder(f, [item, .number(Double(i)), .arr(items)], call.input)) == true {
                    out.items.append(item)
                }
            }
            return .array(out)
        },
        def("single", "<af?>") { a, call in
            guard a[0] != nil else { return nil }
            let items = Functions.items(a[0])
            var found: JValue?
            var n = 0
            for (i, item) in items.enumerated() {
                var keep = true
                if a.count > 1, case .function(let f)? = a[1] {
                    keep = Functions.boolean(try call.evaluator.callHigherOrder(f, [item, .number(Double(i)), .arr(items)], call.input)) == true
                }
                if keep {
                    n += 1
                    if n > 1 { throw JSONataError("D3138", "The $single() function expected exactly 1 matching result.  Instead it matched more.", token: "single") }
                    found = item
                }
            }
            guard n == 1 else { throw JSONataError("D3139", "The $single() function expected exactly 1 matching result.  Instead it matched 0.", token: "single") }
            return found
        },
        def("reduce", "<afj?:j>") { a, call in
            guard a[0] != nil, case .function(let f)? = a[1] else { return nil }
            guard f.arity >= 2 || { if case .builtin = f.kind { return true }; return false }() else {
                throw JSONataError("D3050", "The second argument of reduce function must be a function with at least two arguments", token: "reduce")
            }
            let items = Functions.items(a[0])
            var acc: JValue?
            var start = 0
            if a.count > 2, let initial = a[2] {
                acc = initial
            } else if !items.isEmpty {
                acc = items[0]
                start = 1
            }
            for i in stride(from: start, to: items.count, by: 1) {
                acc = try call.evaluator.callHigherOrder(f, [acc, items[i], .number(Double(i)), .arr(items)], call.input)
            }
            return acc
        },
        def("sift", "<o-f?:o>") { a, call in
            guard case .object(let o)? = a[0], case .function(let f)? = a[1] else { return nil }
            let out = JObject()
            for (k, v) in o.entries where Functions.boolean(try call.evaluator.callHigherOrder(f, [v, .string(k), .object(o)], call.input)) == true {
                out[k] = v
            }
            return out.count == 0 ? nil : .object(out)
        },
        def("each", "<o-f:a>") { a, call in
            guard case .object(let o)? = a[0], case .function(let f)? = a[1] else { return nil }
            var out = JArray([], sequence: true)
            for (k, v) in o.entries {
                if let r = try call.evaluator.callHigherOrder(f, [v, .string(k), .object(o)], call.input) { out.items.append(r) }
            }
            return .array(out)
        },
        def("sort", "<af?:a>") { a, call in
            guard a[0] != nil else { return nil }
            let items = Functions.items(a[0])
            if a.count > 1, case .function(let f)? = a[1] {
                return .arr(try Evaluator.mergeSort(items) { (x, y) throws(JSONataError) -> Bool in
                    Functions.boolean(try call.evaluator.apply(f, [x, y], call.input)) == true
                })
            }
            if items.allSatisfy(\.isNumber) {
                return .arr(try Evaluator.mergeSort(items) { (x, y) throws(JSONataError) -> Bool in x.numberValue! > y.numberValue! })
            }
            if items.allSatisfy(\.isString) {
                return .arr(try Evaluator.mergeSort(items) { (x, y) throws(JSONataError) -> Bool in Functions.compareStrings(x.stringValue!, y.stringValue!) > 0 })
            }
            throw JSONataError("D3070", "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function", token: "sort")
        },
        def("zip", "<a+>") { a, _ in
            let arrays = a.map { Functions.items($0) }
            let n = arrays.map(\.count).min() ?? 0
            return .arr((0..<n).map { i in .arr(arrays.map { $0[i] }) })
        },
    ]

    static let objects: [(String, Builtin)] = [
        def("keys", "<x-:a<s>>") { a, _ in
            var keys: [String] = []
            for item in Functions.items(a[0]) {
                if case .object(let o) = item { for k in o.keys where !keys.contains(k) { keys.append(k) } }
            }
            return keys.isEmpty ? nil : .seq(keys.map { .string($0) })
        },
        def("lookup", "<x-s:x>") { a, _ in
            guard let k = str(a[1]) else { return nil }
            return Evaluator.lookup(a[0], k)
        },
        def("append", "<xx:a>") { a, call in
            guard let x = a[0] else { return a[1] }
            guard let y = a[1] else { return x }
            let (xs, ys) = (Functions.items(x), Functions.items(y))
            let limit = call.evaluator.ctx.maxValueSize
            if xs.count + ys.count > limit { throw Functions.tooLarge(limit) }
            return .arr(xs + ys)
        },
        def("exists", "<x:b>") { a, _ in .bool(a[0] != nil) },
        def("spread", "<x-:a<o>>") { a, _ in
            guard let v = a[0] else { return nil }
            var out = JArray([], sequence: true)
            for item in Functions.items(v) {
                if case .object(let o) = item {
                    for (k, val) in o.entries {
                        let single = JObject()
                        single[k] = val
                        out.items.append(.object(single))
                    }
                } else {
                    out.items.append(item)
                }
            }
            return .array(out)
        },
        def("merge", "<a<o>:o>") { a, _ in
            guard a[0] != nil else { return nil }
            let out = JObject()
            for item in Functions.items(a[0]) {
                if case .object(let o) = item { for (k, v) in o.entries { out[k] = v } }
            }
            return .object(out)
        },
        def("reverse", "<a:a>") { a, _ in a[0] == nil ? nil : .arr(Functions.items(a[0]).reversed()) },
        def("shuffle", "<a:a>") { a, call in
            guard a[0] != nil else { return nil }
            var items = Functions.items(a[0])
            for i in stride(from: items.count - 1, to: 0, by: -1) {
                let j = Int(call.evaluator.ctx.random.next() % UInt64(i + 1))
                items.swapAt(i, j)
            }
            return .arr(items)
        },
        def("distinct", "<x:x>") { a, _ in
            guard let v = a[0] else { return nil }
            guard case .array(let arr) = v else { return v }
            var out: [JValue] = []
            for item in arr.items where !out.contains(where: { deepEqual($0, item) }) { out.append(item) }
            return .arr(out)
        },
        def("boolean", "<x-:b>") { a, _ in Functions.boolean(a[0]).map { .bool($0) } },
        def("not", "<x-:b>") { a, _ in Functions.boolean(a[0]).map { .bool(!$0) } },
        def("type", "<x:s>") { a, _ in a[0].map { .string($0.typeName) } },
        def("error", "<s?:x>") { a, _ in
            throw JSONataError("D3137", str(a.first ?? nil) ?? "$error() function evaluated", token: "error")
        },
        def("assert", "<bs?:x>") { a, _ in
            guard case .bool(let b)? = a[0] else {
                throw JSONataError("T0410", "Argument 1 of function assert does not match function signature", token: "assert")
            }
            if !b { throw JSONataError("D3141", str(a.count > 1 ? a[1] : nil) ?? "$assert() statement failed", token: "assert") }
            return nil
        },
        def("clone", "<(oa)-:o>") { a, _ in a[0]?.deepCopy() },
        def("now", "<s?s?:s>") { _, call in .string(Dates.iso(call.evaluator.ctx.now.timeIntervalSince1970 * 1000)) },
        def("millis", "<:n>") { _, call in .number((call.evaluator.ctx.now.timeIntervalSince1970 * 1000).rounded(.down)) },
        def("fromMillis", "<n-s?s?:s>") { a, _ in
            guard let ms = num(a[0]) else { return nil }
            let zone = str(a.count > 2 ? a[2] : nil)
            if a.count > 1, let picture = str(a[1]) { return .string(try DateTimePicture.format(ms, picture: picture, timezone: zone)) }
            if let zone { return .string(try DateTimePicture.format(ms, picture: "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]", timezone: zone)) }
            return .string(Dates.iso(ms))
        },
        def("toMillis", "<s-s?:n>") { a, call in
            guard let s = str(a[0]) else { return nil }
            if a.count > 1, let picture = str(a[1]) {
                return try Dates.parse(s, picture: picture, now: call.evaluator.ctx.now.timeIntervalSince1970 * 1000).map { .number($0) }
            }
            guard let ms = Dates.parseISO(s) else {
                throw JSONataError("D3110", "The string \"\(s)\" cannot be parsed as a date-time", token: "toMillis")
            }
            return .number(ms)
        },
    ]
}
