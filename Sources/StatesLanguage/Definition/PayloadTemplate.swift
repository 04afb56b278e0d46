/// A compiled Parameters / ResultSelector / ItemSelector template.
///
/// ASL spec: "a field whose name ends in `.$` has a value that is a path or an intrinsic
/// function; the field is renamed without the `.$` and takes the selected value."
public indirect enum PayloadTemplate: Sendable {
    case literal(JSON)
    case object([(key: String, value: PayloadTemplate)])
    case array([PayloadTemplate])
    /// A `.$` field: the key as written (with `.$`) is kept for error messages.
    case path(JSONPath, field: String)
    case intrinsic(IntrinsicCall, field: String)

    /// Compiles a template, reporting bad paths and intrinsics as diagnostics at their location.
    public static func compile(_ json: JSON, location: String, diagnostics: inout [Diagnostic]) -> PayloadTemplate {
        switch json {
        case .object(let o):
            var fields: [(key: String, value: PayloadTemplate)] = []
            var allLiteral = true
            for (k, v) in o {
                let loc = location + "/" + JSONPointer.escape(k)
                if k.hasSuffix(".$"), o[String(k.dropLast(2))] != nil {
                    diagnostics.append(Diagnostic(code: Diagnostic.schemaValidationFailed,
                        message: "The fields '\(k)' and '\(k.dropLast(2))' would both produce '\(k.dropLast(2))'.", location: loc))
                }
                if k.hasSuffix(".$") {
                    allLiteral = false
                    let name = String(k.dropLast(2))
                    guard case .string(let expr) = v else {
                        diagnostics.append(Diagnostic(code: Diagnostic.schemaValidationFailed,
                            message: "The value for the field '\(k)' must be a STRING that contains a JSONPath or an intrinsic function.", location: loc))
                        continue
                    }
                    if expr.hasPrefix("$") {
                        do {
                            fields.append((name, .path(try JSONPath(expr), field: k)))
                        } catch {
                            diagnostics.append(Diagnostic(code: Diagnostic.schemaValidationFailed,
                                message: "The value for the field '\(k)' must be a valid JSONPath or a valid intrinsic function call", location: loc))
                        }
                    } else {
                        do {
                            fields.append((name, .intrinsic(try IntrinsicCall.parse(expr), field: k)))
                        } catch {
                            diagnostics.append(Diagnostic(code: Diagnostic.schemaValidationFailed,
                                message: "The value for the field '\(k)' must be a valid JSONPath or a valid intrinsic function call: \(error.message)", location: loc))
                        }
                    }
                } else {
                    let sub = compile(v, location: loc, diagnostics: &diagnostics)
                    if case .literal = sub {} else { allLiteral = false }
                    fields.append((k, sub))
                }
            }
            return allLiteral ? .literal(json) : .object(fields)
        case .array(let a):
            var items: [PayloadTemplate] = []
            var allLiteral = true
            for (i, v) in a.enumerated() {
                let sub = compile(v, location: location + "/\(i)", diagnostics: &diagnostics)
                if case .literal = sub {} else { allLiteral = false }
                items.append(sub)
            }
            return allLiteral ? .literal(json) : .array(items)
        default:
            return .literal(json)
        }
    }
}

enum JSONPointer {
    static func escape(_ key: String) -> String {
        var s = ""
        for c in key {
            switch c {
            case "~": s += "~0"
            case "/": s += "~1"
            default: s.append(c)
            }
        }
        return s
    }
}
