import StatesLanguage

/// The 18 intrinsic functions of the States Language, with AWS's argument checks.
/// Failures are `States.IntrinsicFailure`; randomness comes from the execution's `RandomSource`.
package enum Intrinsics {
    static func failure(_ call: IntrinsicCall, _ message: String) -> StatesError {
        StatesError(StatesError.intrinsicFailure, "The evaluation of the intrinsic function \(call.text) failed: \(message)")
    }

    package static func evaluate(_ call: IntrinsicCall, scope: Scope, random: inout RandomSource) throws(StatesError) -> JSON {
        var args: [JSON] = []
        args.reserveCapacity(call.arguments.count)
        for (i, a) in call.arguments.enumerated() {
            switch a {
            case .literal(let v):
                // Braces and backslashes keep their escaping backslash only for Format's template.
                if case .string(let s) = v, !(call.function == .format && i == 0) {
                    args.append(.string(s.unescapingIntrinsicLiteral))
                } else {
                    args.append(v)
                }
            case .path(let p):
                do {
                    args.append(try scope.evaluate(p))
                } catch {
                    throw StatesError.runtime(
                        "The JSONPath '\(p.text)' specified for the intrinsic function '\(call.function.rawValue)' could not be found in the input '\(scope.input.serialized)'")
                }
            case .call(let inner):
                args.append(try evaluate(inner, scope: scope, random: &random))
            }
        }
        return try apply(call, args, random: &random)
    }

    static func count(_ call: IntrinsicCall, _ args: [JSON], _ range: ClosedRange<Int>) throws(StatesError) {
        guard range.contains(args.count) else {
            let expected = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
            throw failure(call, "expected \(expected) arguments but got \(args.count)")
        }
    }

    static func string(_ call: IntrinsicCall, _ v: JSON, _ what: String) throws(StatesError) -> String {
        guard case .string(let s) = v else { throw failure(call, "the \(what) must be a string") }
        return s
    }

    static func array(_ call: IntrinsicCall, _ v: JSON, _ what: String) throws(StatesError) -> [JSON] {
        guard case .array(let a) = v else { throw failure(call, "the \(what) must be an array") }
        return a
    }

    static func integer(_ call: IntrinsicCall, _ v: JSON, _ what: String) throws(StatesError) -> Int64 {
        guard let i = v.integerValue else { throw failure(call, "the \(what) must be an integer") }
        return i
    }

    /// Java's Math.round: floor(x + 0.5).
    static func javaRound(_ d: Double) -> Int64 { Int64((d + 0.5).rounded(.down)) }

    static func apply(_ call: IntrinsicCall, _ args: [JSON], random: inout RandomSource) throws(StatesError) -> JSON {
        switch call.function {
        case .format:
            guard args.count >= 1 else { throw failure(call, "expected at least 1 argument") }
            let template = try string(call, args[0], "first argument")
            return .string(try format(call, template, Array(args.dropFirst())))
        case .stringToJson:
            try count(call, args, 1...1)
            let s = try string(call, args[0], "argument")
            if s.allSatisfy({ $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }) { return .null }
            do { return try JSONParser.parse(s) } catch { throw failure(call, "the argument is not valid JSON text") }
        case .jsonToString:
            try count(call, args, 1...1)
            return .string(args[0].serialized)
        case .array:
            return .array(args)
        case .arrayPartition:
            try count(call, args, 2...2)
            let a = try array(call, args[0], "first argument")
            let size = try integer(call, args[1], "chunk size")
            guard size > 0 else { throw failure(call, "the chunk size must be greater than 0") }
            var out: [JSON] = []
            var i = 0
            while i < a.count {
                out.append(.array(Array(a[i..<min(a.count, i + Int(size))])))
                i += Int(size)
            }
            return .array(out)
        case .arrayContains:
            try count(call, args, 2...2)
            return .bool(try array(call, args[0], "first argument").contains(args[1]))
        case .arrayRange:
            try count(call, args, 3...3)
            let start = try integer(call, args[0], "start"), end = try integer(call, args[1], "end")
            let step = try integer(call, args[2], "step")
            guard step != 0 else { throw failure(call, "the step must not be 0") }
            var out: [JSON] = []
            var v = start
            while step > 0 ? v <= end : v >= end {
                out.append(.int(v))
                guard out.count <= 1000 else { throw failure(call, "the range must have at most 1000 items") }
                v += step
            }
            return .array(out)
        case .arrayGetItem:
            try count(call, args, 2...2)
            let a = try array(call, args[0], "first argument")
            let i = try integer(call, args[1], "index")
            guard i >= 0, i < a.count else { throw failure(call, "the index \(i) is out of bounds") }
            return a[Int(i)]
        case .arrayLength:
            try count(call, args, 1...1)
            return .int(Int64(try array(call, args[0], "argument").count))
        case .arrayUnique:
            try count(call, args, 1...1)
            var seen: [JSON] = []
            for v in try array(call, args[0], "argument") where !seen.contains(v) { seen.append(v) }
            return .array(seen)
        case .base64Encode:
            try count(call, args, 1...1)
            let s = try string(call, args[0], "argument")
            guard s.utf8.count <= 10_000 else { throw failure(call, "the input must be at most 10000 characters") }
            return .string(Base64.encode(Array(s.utf8)))
        case .base64Decode:
            try count(call, args, 1...1)
            let s = try string(call, args[0], "argument")
            guard s.utf8.count <= 10_000 else { throw failure(call, "the input must be at most 10000 characters") }
            guard let bytes = Base64.decode(s) else { throw failure(call, "the argument is not valid base64") }
            return .string(String(decoding: bytes, as: UTF8.self))
        case .hash:
            try count(call, args, 2...2)
            let data: String
            if case .string(let s) = args[0] { data = s } else { data = args[0].serialized }
            let algorithm = try string(call, args[1], "algorithm")
            guard let digest = Hashing.digest(Array(data.utf8), algorithm: algorithm) else {
                throw failure(call, "the hash algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512")
            }
            return .string(digest.map { b in String(b, radix: 16).leftPadded(2) }.joined())
        case .jsonMerge:
            try count(call, args, 3...3)
            guard case .object(let a) = args[0], case .object(let b) = args[1] else {
                throw failure(call, "the first two arguments must be objects")
            }
            guard case .bool(let deep) = args[2] else { throw failure(call, "the third argument must be a boolean") }
            guard !deep else { throw failure(call, "deep merge is not supported; the third argument must be false") }
            var merged = a
            for (k, v) in b { merged[k] = v }
            return .object(merged)
        case .mathRandom:
            try count(call, args, 2...3)
            // AWS accepts any numbers here and truncates them to integers.
            guard let loD = args[0].doubleValue, let hiD = args[1].doubleValue, args[0].isNumber, args[1].isNumber else {
                throw failure(call, "the start and end must be numbers")
            }
            let lo = Int64(loD), hi = Int64(hiD)
            guard lo < hi else { throw failure(call, "the start must be less than the end") }
            var source = random
            if args.count == 3 { source = RandomSource(seed: UInt64(bitPattern: try integer(call, args[2], "seed"))) }
            let span = UInt64(hi - lo)
            let v = lo + Int64(source.next() % span)
            if args.count < 3 { random = source }
            return .int(v)
        case .mathAdd:
            try count(call, args, 2...2)
            guard let a = args[0].doubleValue, args[0].isNumber, let b = args[1].doubleValue, args[1].isNumber else {
                throw failure(call, "the arguments must be numbers")
            }
            let (sum, overflow) = javaRound(a).addingReportingOverflow(javaRound(b))
            guard !overflow else { throw failure(call, "the sum overflows") }
            return .int(sum)
        case .stringSplit:
            try count(call, args, 2...2)
            let s = try string(call, args[0], "first argument")
            let separators = Set(try string(call, args[1], "separator"))
            // Like Java's StringTokenizer: every character of the second argument separates, empty pieces drop.
            return .array(s.split(whereSeparator: { separators.contains($0) }).map { .string(String($0)) })
        case .uuid:
            try count(call, args, 0...0)
            return .string(random.uuid())
        }
    }

    static func format(_ call: IntrinsicCall, _ template: String, _ args: [JSON]) throws(StatesError) -> String {
        var out = ""
        var argIndex = 0
        var chars = template.makeIterator()
        while let c = chars.next() {
            if c == "\\" {
                if let n = chars.next() { out.append(n) }
                continue
            }
            if c == "{" {
                guard chars.next() == "}" else { throw failure(call, "'{' must be followed by '}' or escaped") }
                guard argIndex < args.count else {
                    throw failure(call, "the template has more placeholders than arguments")
                }
                out += javaString(args[argIndex])
                argIndex += 1
                continue
            }
            out.append(c)
        }
        guard argIndex == args.count else { throw failure(call, "the template has fewer placeholders than arguments") }
        return out
    }

    /// How AWS's Java runtime prints a value with toString(): strings bare, objects as `{k=v, …}`.
    static func javaString(_ v: JSON) -> String {
        switch v {
        case .string(let s): return s
        case .array(let a): return "[" + a.map(javaString).joined(separator: ", ") + "]"
        case .object(let o): return "{" + o.map { "\($0.key)=\(javaString($0.value))" }.joined(separator: ", ") + "}"
        default: return v.serialized
        }
    }
}

extension String {
    var unescapingIntrinsicLiteral: String {
        guard contains("\\") else { return self }
        var out = ""
        var it = makeIterator()
        while let c = it.next() {
            if c == "\\" {
                if let n = it.next() {
                    if n != "{" && n != "}" && n != "\\" { out.append(c) }
                    out.append(n)
                }
            } else {
                out.append(c)
            }
        }
        return out
    }

    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
