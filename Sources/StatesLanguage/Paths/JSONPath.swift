/// A compiled JSONPath in AWS's dialect (Jayway JsonPath, which Step Functions runs):
/// dot and bracket notation, wildcards, slices, negative indices, unions, deep scan and
/// filter expressions.
///
/// A *definite* path (only names and indices) yields one value or fails with
/// "No results for path"; an indefinite one yields the array of every match.
public struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    public enum Root: Sendable, Hashable {
        /// `$`: the state's input (or effective input).
        case input
        /// `$$`: the context object.
        case context
        /// `$name`: a variable set by an `Assign` field.
        case variable(String)
    }

    public enum Segment: Sendable, Hashable {
        case key(String)
        case index(Int)
        case wildcard
        case slice(start: Int?, end: Int?, step: Int?)
        case keys([String])
        case indices([Int])
        case deepScan(String?)  // nil: `..*`
        case filter(FilterExpression)
        case length  // `.length()`, a Jayway function
    }

    public let text: String
    public let root: Root
    public let segments: [Segment]
    /// Computed once: evaluation takes the allocation-free walk for definite paths.
    let definite: Bool

    public var description: String { text }

    /// True when the path names a single location (ResultPath needs this).
    public var isDefinite: Bool { definite }

    /// `$`, the whole input: built directly, so no caller has to force a parse for it.
    public static let root = JSONPath(text: "$", root: .input, segments: [])

    private init(text: String, root: Root, segments: [Segment]) {
        self.text = text
        self.root = root
        self.segments = segments
        definite = true
    }

    public init(_ text: String) throws(JSONPathError) {
        self.text = text
        var parser = JSONPathParser(text: text)
        (root, segments) = try parser.parsePath()
        definite = segments.allSatisfy {
            switch $0 {
            case .key, .index, .length: return true
            default: return false
            }
        }
    }

    /// Jayway's normalised form, used in AWS's messages: `$['a']['b'][0]`.
    public var normalized: String { JSONPath.normalize(root: root, segments[...]) }

    static func normalize(root: Root, _ segments: ArraySlice<Segment>) -> String {
        var s: String
        switch root {
        case .input: s = "$"
        case .context: s = "$$"
        case .variable(let name): s = "$" + name
        }
        for seg in segments {
            switch seg {
            case .key(let k): s += "['\(k)']"
            case .index(let i): s += "[\(i)]"
            case .wildcard: s += "[*]"
            case .slice(let a, let b, let c):
                s += "[\(a.map(String.init) ?? ""):\(b.map(String.init) ?? "")\(c.map { ":\($0)" } ?? "")]"
            case .keys(let ks): s += "[" + ks.map { "'\($0)'" }.joined(separator: ",") + "]"
            case .indices(let ix): s += "[" + ix.map(String.init).joined(separator: ",") + "]"
            case .deepScan(let k): s += ".." + (k.map { "['\($0)']" } ?? "[*]")
            case .filter(let f): s += "[?(\(f.text))]"
            case .length: s += ".length()"
            }
        }
        return s
    }
}

/// A JSONPath that could not be parsed.
public struct JSONPathError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "Invalid JSONPath '\(path)': \(message)" }
}

/// A JSONPath that matched nothing; `path` is Jayway's normalised form for AWS's message.
public struct JSONPathNotFound: Error, Sendable, Equatable {
    public var normalizedPath: String
    /// When a property before the last one is missing: the path up to it (Jayway then says
    /// "Missing property in path …" rather than "No results for path: …").
    public var missingPrefix: String?
    public init(normalizedPath: String, missingPrefix: String? = nil) {
        self.normalizedPath = normalizedPath
        self.missingPrefix = missingPrefix
    }

    /// Jayway's message, as AWS quotes it.
    public var message: String {
        if let missingPrefix { return "Missing property in path \(missingPrefix)" }
        return "No results for path: \(normalizedPath)"
    }
}

extension JSONPath {
    /// Evaluates the path. Definite paths return their single value (or throw), indefinite ones
    /// always return an array of the matches, possibly empty. `context` is the value the root
    /// names when it is not `$`: the context object for `$$`, the variable's value for `$name`.
    public func evaluate(input: JSON, context: JSON = .null) throws(JSONPathNotFound) -> JSON {
        if definite { return try evaluateDefinite(input: input, context: context) }
        // Indefinite from here on: every match is collected, none missing is an error.
        var current: [JSON] = [root == .input ? input : context]
        for seg in segments {
            var next: [JSON] = []
            next.reserveCapacity(current.count)
            for node in current {
                JSONPath.apply(seg, to: node, root: input, into: &next, definite: false)
            }
            current = next
        }
        return .array(current)
    }

    /// The common case, names and indices only: a walk with no intermediate arrays.
    func evaluateDefinite(input: JSON, context: JSON) throws(JSONPathNotFound) -> JSON {
        var node = root == .input ? input : context
        for (i, seg) in segments.enumerated() {
            switch (seg, node) {
            case (.key(let k), .object(let o)):
                guard let v = o[k] else {
                    let prefix = i < segments.count - 1
                        ? JSONPath.normalize(root: root, segments[...i]) : nil
                    throw JSONPathNotFound(normalizedPath: normalized, missingPrefix: prefix)
                }
                node = v
            case (.index(let i), .array(let a)):
                let j = i < 0 ? a.count + i : (i == Int.max ? a.count - 1 : i)
                guard j >= 0 && j < a.count else { throw JSONPathNotFound(normalizedPath: normalized) }
                node = a[j]
            case (.length, .array(let a)): node = .int(Int64(a.count))
            case (.length, .object(let o)): node = .int(Int64(o.count))
            case (.length, .string(let s)): node = .int(Int64(s.count))
            default: throw JSONPathNotFound(normalizedPath: normalized)
            }
        }
        return node
    }

    static func apply(_ seg: Segment, to node: JSON, root: JSON, into out: inout [JSON], definite: Bool) {
        switch seg {
        case .key(let k):
            if case .object(let o) = node, let v = o[k] { out.append(v) }
        case .index(let i):
            if case .array(let a) = node {
                let j = i < 0 ? a.count + i : i
                if j >= 0 && j < a.count { out.append(a[j]) }
            }
        case .wildcard:
            switch node {
            case .array(let a): out.append(contentsOf: a)
            case .object(let o): for e in o.entries { out.append(e.value) }
            default: break
            }
        case .slice(let start, let end, let step):
            guard case .array(let a) = node else { return }
            let n = a.count
            let st = step ?? 1
            guard st > 0 else { return }
            var s = start ?? 0
            var e = end ?? n
            if s < 0 { s = max(0, n + s) }
            if e < 0 { e = max(0, n + e) }
            s = min(s, n)
            e = min(e, n)
            var i = s
            while i < e {
                out.append(a[i])
                i += st
            }
        case .keys(let ks):
            if case .object(let o) = node {
                for k in ks { if let v = o[k] { out.append(v) } }
            }
        case .indices(let ix):
            if case .array(let a) = node {
                for i in ix {
                    let j = i < 0 ? a.count + i : i
                    if j >= 0 && j < a.count { out.append(a[j]) }
                }
            }
        case .deepScan(let key):
            deepScan(node, key: key, into: &out)
        case .filter(let f):
            switch node {
            case .array(let a):
                for item in a where f.matches(item, root: root) { out.append(item) }
            case .object:
                if f.matches(node, root: root) { out.append(node) }
            default: break
            }
        case .length:
            switch node {
            case .array(let a): out.append(.int(Int64(a.count)))
            case .object(let o): out.append(.int(Int64(o.count)))
            case .string(let s): out.append(.int(Int64(s.count)))
            default: break
            }
        }
    }

    static func deepScan(_ node: JSON, key: String?, into out: inout [JSON]) {
        switch node {
        case .object(let o):
            for (k, v) in o {
                if key == nil || key == k { out.append(v) }
            }
            for e in o.entries { deepScan(e.value, key: key, into: &out) }
        case .array(let a):
            if key == nil { out.append(contentsOf: a) }
            for v in a { deepScan(v, key: key, into: &out) }
        default: break
        }
    }
}
