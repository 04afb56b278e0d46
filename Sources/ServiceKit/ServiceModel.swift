import StatesLanguage

/// The input constraints of an AWS service's model (generated from botocore by
/// `Scripts/gen_models.py`): every member's length and value limits, checked the same way for
/// every action before the service sees the request, and refused in AWS's words:
///
///     1 validation error detected: Value '2000' at 'maxResults' failed to satisfy constraint:
///     Member must have value less than or equal to 1000
///
/// Enumerations, patterns and required members are left to the services (AWS lists enum values
/// in an order of its own that the model does not give).
package struct ServiceModel: Sendable {
    struct Ref: Sendable {
        var shape: String
        var location: String?
        var locationName: String?
    }

    struct Shape: Sendable {
        var type: String
        var min: Double?
        var max: Double?
        var members: [(String, Ref)] = []
        var member: String?
        var value: String?
        var payload: String?
        var sensitive = false
    }

    let operations: [String: String]
    let shapes: [String: Shape]

    /// A model from the generator's JSON; a malformed one checks nothing (and a test says so).
    package init(json text: String) {
        var operations: [String: String] = [:]
        var shapes: [String: Shape] = [:]
        if case .object(let root)? = try? JSONParser.parse(text) {
            for (op, input) in root["operations"]?.objectValue ?? [:] { operations[op] = input.stringValue }
            for (name, s) in root["shapes"]?.objectValue ?? [:] {
                guard case .object(let o) = s else { continue }
                var shape = Shape(type: o["type"]?.stringValue ?? "")
                shape.min = o["min"]?.doubleValue
                shape.max = o["max"]?.doubleValue
                shape.member = o["member"]?["shape"]?.stringValue
                shape.value = o["value"]?["shape"]?.stringValue
                shape.payload = o["payload"]?.stringValue
                shape.sensitive = o["sensitive"] == .bool(true)
                for (m, ref) in o["members"]?.objectValue ?? [:] {
                    guard let target = ref["shape"]?.stringValue else { continue }
                    shape.members.append((m, Ref(shape: target, location: ref["location"]?.stringValue,
                                                 locationName: ref["locationName"]?.stringValue)))
                }
                shapes[name] = shape
            }
        }
        self.operations = operations
        self.shapes = shapes
    }

    /// How many operations the model describes (a generated model that parsed to nothing is a bug).
    package var operationCount: Int { operations.count }

    /// Refuses an input that breaks the model's limits (nothing when the operation is unknown).
    package func check(_ operation: String, _ input: JSONObject) throws(ServiceError) {
        let found = violations(operation, input)
        guard !found.isEmpty else { return }
        let head = found.count == 1 ? "1 validation error detected: " : "\(found.count) validation errors detected: "
        throw ServiceError("ValidationException", head + found.joined(separator: "; "))
    }

    /// Each broken limit, in AWS's words, in the model's member order.
    package func violations(_ operation: String, _ input: JSONObject) -> [String] {
        guard let name = operations[operation], let shape = shapes[name] else { return [] }
        var out: [String] = []
        for (member, ref) in shape.members {
            guard let value = input[member] else { continue }
            visit(value, ref.shape, path: Self.lowerFirst(member), into: &out)
        }
        return out
    }

    /// A REST operation's input as one object: path and query parameters by their member
    /// names (numbers where the model says so), and the body's members unless the body is the
    /// payload itself.
    package func restInput(_ operation: String, call: ServiceCall, body: JSONObject?) -> JSONObject {
        guard let name = operations[operation], let shape = shapes[name] else { return body ?? [:] }
        var out = shape.payload == nil ? (body ?? [:]) : JSONObject()
        for (member, ref) in shape.members {
            let text: String?
            switch ref.location {
            case "uri": text = call.parameters[ref.locationName ?? member]
            case "querystring": text = call.query[ref.locationName ?? member]
            default: continue
            }
            guard let text else { continue }
            switch shapes[ref.shape]?.type {
            case "integer", "long": out[member] = Int64(text).map { .int($0) } ?? .string(text)
            default: out[member] = .string(text)
            }
        }
        return out
    }

    /// A REST action behind the model's check: path, query and (unless the body is the
    /// payload itself) the JSON body's members. A body that is not JSON is left to the action,
    /// which words that error itself.
    package func checking(_ operation: String, _ action: @escaping Action) -> Action {
        let hasBodyMembers = operations[operation].flatMap { shapes[$0] }.map { $0.payload == nil } ?? false
        return { (call: ServiceCall) async throws -> ServiceReply in
            var call = call
            var body: JSONObject?
            if hasBodyMembers, !call.body.isEmpty, let parsed = try? JSONParser.parse(call.body) {
                call.parsedBody = parsed
                body = parsed.objectValue
            }
            try self.check(operation, self.restInput(operation, call: call, body: body))
            return try await action(call)
        }
    }

    private func visit(_ value: JSON, _ shapeName: String, path: String, into out: inout [String]) {
        guard let shape = shapes[shapeName] else { return }
        func broken(_ rule: String, shown: String?) {
            let v = shape.sensitive ? "Value" : shown.map { "Value '\($0)'" } ?? "Value"
            out.append("\(v) at '\(path)' failed to satisfy constraint: Member must \(rule)")
        }
        func length(_ n: Int, shown: String?) {
            if let max = shape.max, Double(n) > max { broken("have length less than or equal to \(Self.number(max))", shown: shown) }
            else if let min = shape.min, Double(n) < min { broken("have length greater than or equal to \(Self.number(min))", shown: shown) }
        }
        switch (shape.type, value) {
        case ("string", .string(let s)):
            // Java counts UTF-16 units, and so does AWS.
            length(s.utf16.count, shown: s)
        case ("integer", _), ("long", _), ("float", _), ("double", _):
            guard let d = value.doubleValue else { return }
            if let max = shape.max, d > max { broken("have value less than or equal to \(Self.number(max))", shown: Self.text(value)) }
            else if let min = shape.min, d < min { broken("have value greater than or equal to \(Self.number(min))", shown: Self.text(value)) }
        case ("list", .array(let items)):
            length(items.count, shown: Self.listText(items))
            guard let member = shape.member else { return }
            for (i, item) in items.enumerated() { visit(item, member, path: "\(path).\(i + 1).member", into: &out) }
        case ("map", .object(let entries)):
            length(entries.count, shown: nil)
            guard let valueShape = shape.value else { return }
            for (k, v) in entries { visit(v, valueShape, path: "\(path).\(k).member", into: &out) }
        case ("structure", .object(let o)):
            for (member, ref) in shape.members {
                guard let v = o[member] else { continue }
                visit(v, ref.shape, path: "\(path).\(Self.lowerFirst(member))", into: &out)
            }
        default:
            break
        }
    }

    static func lowerFirst(_ s: String) -> String {
        guard let first = s.first else { return s }
        return first.lowercased() + s.dropFirst()
    }

    static func number(_ d: Double) -> String {
        d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }

    static func text(_ v: JSON) -> String { v.stringValue ?? v.serialized }

    /// A list as Java prints one (`[a, b]`), when its items are plain values.
    static func listText(_ items: [JSON]) -> String? {
        var parts: [String] = []
        for i in items {
            switch i {
            case .object, .array: return nil
            default: parts.append(text(i))
            }
        }
        return "[" + parts.joined(separator: ", ") + "]"
    }
}
