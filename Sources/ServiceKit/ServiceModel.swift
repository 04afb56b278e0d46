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
    /// The shapes compiled for `keeps`, by index.
    let nodes: [Node]
    let nodeIndex: [String: Int]

    /// A shape as `keeps` walks it: members found by name, shapes by index, and whether any
    /// limit lies at or under it (DynamoDB's recursive AttributeValue has none, so an item of
    /// any size costs nothing to check).
    struct Node: Sendable {
        enum Kind: Sendable { case string, number, list, map, structure, other }
        var kind: Kind
        var min: Double?
        var max: Double?
        var members: [String: Int] = [:]
        var element: Int?
        var limited = false
    }

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
        (nodes, nodeIndex) = Self.compile(shapes)
    }

    static func compile(_ shapes: [String: Shape]) -> ([Node], [String: Int]) {
        let names = Array(shapes.keys)
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        var nodes: [Node] = names.map { name in
            let shape = shapes[name] ?? Shape(type: "")
            let kind: Node.Kind = switch shape.type {
            case "string": .string
            case "integer", "long", "float", "double": .number
            case "list": .list
            case "map": .map
            case "structure": .structure
            default: .other
            }
            var node = Node(kind: kind, min: shape.min, max: shape.max)
            for (member, ref) in shape.members { node.members[member] = index[ref.shape] }
            node.element = (kind == .list ? shape.member : kind == .map ? shape.value : nil).flatMap { index[$0] }
            node.limited = (shape.min != nil || shape.max != nil) && kind != .other
            return node
        }
        // Limited when anything under it is: propagated until nothing changes (shapes recurse).
        var changed = true
        while changed {
            changed = false
            for i in nodes.indices where !nodes[i].limited {
                let children = Array(nodes[i].members.values) + (nodes[i].element.map { [$0] } ?? [])
                if children.contains(where: { nodes[$0].limited }) {
                    nodes[i].limited = true
                    changed = true
                }
            }
        }
        return (nodes, index)
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
        // Nearly every request keeps every limit: checked first without building the paths
        // and texts a message would need (that was most of this check's cost per request).
        guard let root = nodeIndex[name], !keeps(.object(input), node: root) else { return [] }
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

    /// Whether `value` keeps every limit of its shape (the same rules as `visit`, no message).
    private func keeps(_ value: JSON, node i: Int) -> Bool {
        let node = nodes[i]
        guard node.limited else { return true }
        func fits(_ n: Int) -> Bool {
            !(node.max.map { Double(n) > $0 } ?? false) && !(node.min.map { Double(n) < $0 } ?? false)
        }
        switch (node.kind, value) {
        case (.string, .string(let s)):
            return fits(s.utf16.count)
        case (.number, _):
            guard let d = value.doubleValue else { return true }
            return !(node.max.map { d > $0 } ?? false) && !(node.min.map { d < $0 } ?? false)
        case (.list, .array(let items)):
            guard fits(items.count) else { return false }
            guard let element = node.element else { return true }
            return items.allSatisfy { keeps($0, node: element) }
        case (.map, .object(let entries)):
            guard fits(entries.count) else { return false }
            guard let element = node.element else { return true }
            return entries.allSatisfy { keeps($0.value, node: element) }
        case (.structure, .object(let o)):
            // The object's members (usually few) looked up in the shape's, not the other way.
            return o.allSatisfy { entry in node.members[entry.key].map { keeps(entry.value, node: $0) } ?? true }
        default:
            return true
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
