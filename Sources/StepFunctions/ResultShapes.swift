import StatesLanguage

/// The output shapes of the actions Step Functions calls, for TestState's mocked results.
/// AWS: "STRICT: All required fields must be present, and all present fields must conform to
/// the API's schema. PRESENT: All present fields must conform to the API's schema. NONE: No
/// validation is performed." A field the model does not name is let through (a newer model
/// may have it), as is a result for a resource whose shape is not the action's own answer
/// (`.sync` and `.waitForTaskToken` integrations, Lambda functions called by ARN, HTTP and API
/// Gateway), and an action of a service outside the generated set.
package enum ResultShapes {
    package enum Mode: String, Sendable {
        case strict = "STRICT", present = "PRESENT", none = "NONE"
    }

    struct Shape {
        var type: String
        var members: [String: String] = [:]
        var required: [String] = []
        var element: String?
        var values: [String]?
    }

    struct Service {
        var operations: [String: String]
        var shapes: [String: Shape]
    }

    /// Parsed once, on first use (750 KB of JSON; TestState is the only reader).
    static let services: [String: Service] = {
        guard case .object(let all)? = try? JSONParser.parse(json) else { return [:] }
        var out: [String: Service] = [:]
        for (name, model) in all {
            var operations: [String: String] = [:]
            for (op, shape) in model["operations"]?.objectValue ?? [:] { operations[op.lowercased()] = shape.stringValue ?? "" }
            var shapes: [String: Shape] = [:]
            for (shapeName, s) in model["shapes"]?.objectValue ?? [:] {
                var shape = Shape(type: s["t"]?.stringValue ?? "d")
                for (m, ref) in s["m"]?.objectValue ?? [:] { shape.members[m] = ref.stringValue ?? "" }
                shape.required = s["r"]?.arrayValue?.compactMap(\.stringValue) ?? []
                shape.element = s["e"]?.stringValue
                shape.values = s["n"]?.arrayValue?.compactMap(\.stringValue)
                shapes[shapeName] = shape
            }
            out[name] = Service(operations: operations, shapes: shapes)
        }
        return out
    }()

    /// Step Functions' names for services where they are not botocore's.
    static let sdkNames = ["sfn": "stepfunctions", "eventbridge": "events", "bedrockruntime": "bedrock-runtime",
                           "elasticmapreduce": "emr"]
    static let optimizedNames = ["states": "stepfunctions", "bedrock": "bedrock-runtime", "elasticmapreduce": "emr"]

    /// The botocore service and action whose answer is a Task resource's result, if it is one.
    static func action(for resource: String) -> (service: String, action: String)? {
        let prefix = "arn:aws:states:::"
        guard resource.hasPrefix(prefix) else { return nil }
        var parts = resource.dropFirst(prefix.count).split(separator: ":").map(String.init)
        if parts.first == "aws-sdk" {
            parts.removeFirst()
            guard parts.count == 2 else { return nil }
            let action = parts[1]
            if action.contains(".") { return nil }
            return (sdkNames[parts[0]] ?? parts[0], action)
        }
        guard parts.count == 2, !parts[1].contains(".") else { return nil }
        return (optimizedNames[parts[0]] ?? parts[0], parts[1])
    }

    /// What is wrong with a mocked result for `resource`, in AWS's words; nil when nothing is.
    package static func problem(with result: JSON, resource: String, mode: Mode) -> String? {
        guard mode != .none, let (service, action) = action(for: resource), let model = services[service],
              let output = model.operations[action.lowercased()] else { return nil }
        if output.isEmpty { return nil }
        return problem(result, shape: output, field: nil, model: model, mode: mode)
    }

    static func problem(_ value: JSON, shape name: String, field: String?, model: Service, mode: Mode) -> String? {
        guard let shape = model.shapes[name] else { return nil }
        let field = field ?? ""
        func must(_ what: String) -> String { "Mock result schema validation error: Field '\(field)' must be \(what)" }
        switch shape.type {
        case "s":
            guard case .object(let o) = value else {
                return field.isEmpty ? "Mock result must be a valid JSON object" : must("an object")
            }
            if mode == .strict {
                for r in shape.required where o[r] == nil && o[sfnCased(r)] == nil {
                    return "Mock result schema validation error: Required field '\(sfnCased(r))' is missing"
                }
            }
            for (key, v) in o {
                // The model's name, or Step Functions' casing of it (`Md5OfMessageBody`).
                guard let member = shape.members[key] ?? shape.members.first(where: { sfnCased($0.key) == key })?.value else { continue }
                if let p = problem(v, shape: member, field: key, model: model, mode: mode) { return p }
            }
        case "l":
            guard case .array(let items) = value else { return must("an array") }
            if let e = shape.element {
                for item in items { if let p = problem(item, shape: e, field: field, model: model, mode: mode) { return p } }
            }
        case "m":
            guard case .object(let o) = value else { return must("an object") }
            if let e = shape.element {
                for (_, item) in o { if let p = problem(item, shape: e, field: field, model: model, mode: mode) { return p } }
            }
        case "S":
            guard case .string(let s) = value else { return must("a string") }
            if let values = shape.values, !values.isEmpty, !values.contains(s) {
                return "Mock result schema validation error: Field '\(field)' is not an expected value"
            }
        case "T":
            // A timestamp: Step Functions passes the SDK's rendering on, a string or epoch seconds.
            switch value {
            case .string, .int, .double, .bigNumber: break
            default: return must("a string")
            }
        case "n":
            switch value {
            case .int, .bigNumber: break
            case .double(let d) where d == d.rounded(): break
            default: return must("a number")
            }
        case "f":
            switch value {
            case .int, .double, .bigNumber: break
            default: return must("a number")
            }
        case "B":
            guard case .bool = value else { return must("a boolean") }
        default:
            // Blobs (a Lambda payload is JSON in a state's result) and documents: any value.
            break
        }
        return nil
    }

    /// Step Functions' casing of a model's member name: its words, each capitalised
    /// (`MD5OfMessageBody` → `Md5OfMessageBody`, `SSEKMSKeyId` → `SsekmsKeyId`).
    static func sfnCased(_ name: String) -> String {
        let chars = Array(name)
        var words: [String] = []
        var current = ""
        for (i, c) in chars.enumerated() {
            let previous = i > 0 ? chars[i - 1] : nil
            let next = i + 1 < chars.count ? chars[i + 1] : nil
            if c == "_" {
                if !current.isEmpty { words.append(current); current = "" }
                continue
            }
            if c.isUppercase, let p = previous, !current.isEmpty,
               p.isLowercase || p.isNumber || (p.isUppercase && next?.isLowercase == true) {
                words.append(current)
                current = ""
            }
            current.append(c)
        }
        if !current.isEmpty { words.append(current) }
        return words.map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined()
    }
}
