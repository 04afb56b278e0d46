/// A field of a JSONata state: JSON in which every string of the form `{% expression %}` is
/// a JSONata expression, evaluated when the state runs; everything else is taken literally.
///
/// The expressions are kept as text here (this target does not depend on the evaluator);
/// the interpreter compiles each of them once, when it is built.
public indirect enum JSONataTemplate: Sendable {
    case literal(JSON)
    case expression(String)
    case object([(key: String, value: JSONataTemplate)])
    case array([JSONataTemplate])

    /// What a string in a JSONata field is.
    public enum StringKind: Equatable {
        case literal
        case expression(String)
        /// Looks like an expression but is not delimited as one (`{% 1 %`, `{% %}`).
        case malformed
    }

    /// AWS: "JSONata expressions are enclosed in `{%` and `%}`". White space inside the
    /// delimiters is customary, not required: AWS accepts `{%$states.input%}` and
    /// `{%$lowercase($x) %}` as expressions.
    public static func classify(_ s: String) -> StringKind {
        let opens = s.hasPrefix("{%"), closes = s.hasSuffix("%}")
        if !opens && !closes { return .literal }
        guard opens, closes, s.count >= 5 else { return .malformed }
        let trimmed = s.dropFirst(2).dropLast(2).trimmingWhitespace
        return trimmed.isEmpty ? .malformed : .expression(trimmed)
    }

    /// The expression of a `{% … %}` string, collected for compilation; nil for a literal
    /// string, and for a malformed one (reported).
    public static func expression(in s: String, location: String, into collector: inout ExpressionCollector) -> String? {
        switch classify(s) {
        case .literal:
            return nil
        case .expression(let e):
            collector.expressions.append((e, location))
            return e
        case .malformed:
            collector.diagnostics.append(Diagnostic(code: Diagnostic.schemaValidationFailed,
                message: "The value '\(s)' is not a valid JSONata expression: expressions are written as \"{% expression %}\".",
                location: location))
            return nil
        }
    }

    /// Compiles a field's JSON, collecting its expressions (text, location) for the compiler
    /// and reporting malformed ones.
    public static func compile(_ json: JSON, location: String, into collector: inout ExpressionCollector) -> JSONataTemplate {
        switch json {
        case .string(let s):
            return expression(in: s, location: location, into: &collector).map { .expression($0) } ?? .literal(json)
        case .object(let o):
            var fields: [(key: String, value: JSONataTemplate)] = []
            var allLiteral = true
            for (k, v) in o {
                let sub = compile(v, location: location + "/" + JSONPointer.escape(k), into: &collector)
                if case .literal = sub {} else { allLiteral = false }
                fields.append((k, sub))
            }
            return allLiteral ? .literal(json) : .object(fields)
        case .array(let a):
            var items: [JSONataTemplate] = []
            var allLiteral = true
            for (i, v) in a.enumerated() {
                let sub = compile(v, location: location + "/\(i)", into: &collector)
                if case .literal = sub {} else { allLiteral = false }
                items.append(sub)
            }
            return allLiteral ? .literal(json) : .array(items)
        default:
            return .literal(json)
        }
    }
}

/// The JSONata expressions of a definition and the problems found while collecting them.
public struct ExpressionCollector: Sendable {
    public var expressions: [(text: String, location: String)] = []
    public var diagnostics: [Diagnostic] = []
    public init() {}
}

extension Substring {
    var trimmingWhitespace: String {
        var s = self
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
