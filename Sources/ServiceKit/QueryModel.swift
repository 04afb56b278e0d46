import StatesLanguage

/// An AWS query-protocol model (generated from botocore by `Scripts/gen_models.py`): how a
/// form-encoded request (`Action=SendMessage&MessageAttribute.1.Name=…`) maps onto an
/// operation's input, how its output is written as XML, and each modelled error's query code.
/// A service writes its actions once, on JSON values; this model is the other protocol's
/// spelling of the same values (SQS answers both; SNS only this one).
package struct QueryModel: Sendable {
    struct Ref: Sendable {
        var shape: String
        var name: String?
        var flattened: Bool
    }

    struct Shape: Sendable {
        var type: String
        var flattened: Bool
        /// A name the shape gives itself (`TagMap` is `Tag`), used where the member gives none.
        var name: String?
        var members: [(String, Ref)] = []
        var member: Ref?
        var key: Ref?
        var value: Ref?
    }

    struct Operation: Sendable {
        var input: String?
        var output: String?
        var resultWrapper: String?
    }

    /// The XML namespace of answers (`http://queue.amazonaws.com/doc/2012-11-05/`).
    package let namespace: String
    /// The API version (`2012-11-05`): what a query request's `Version` names.
    package let version: String
    let operations: [String: Operation]
    let shapes: [String: Shape]
    /// Error shape name → (query code, HTTP status).
    private(set) var errors: [String: (code: String, status: Int)]

    /// The model with the query codes of errors it does not model (SQS answers JSON
    /// `InvalidParameterValueException` as query `InvalidParameterValue`).
    package func adding(errors more: [String: (code: String, status: Int)]) -> QueryModel {
        var copy = self
        for (k, v) in more { copy.errors[k] = v }
        return copy
    }

    package init(json text: String) {
        var operations: [String: Operation] = [:]
        var shapes: [String: Shape] = [:]
        var errors: [String: (code: String, status: Int)] = [:]
        var namespace = "", version = ""
        if case .object(let root)? = try? JSONParser.parse(text) {
            namespace = root["namespace"]?.stringValue ?? ""
            version = root["version"]?.stringValue ?? ""
            for (name, op) in root["operations"]?.objectValue ?? [:] {
                operations[name] = Operation(input: op["input"]?.stringValue, output: op["output"]?.stringValue,
                                             resultWrapper: op["resultWrapper"]?.stringValue)
            }
            func ref(_ j: JSON?) -> Ref? {
                guard let j, let shape = j["shape"]?.stringValue else { return nil }
                return Ref(shape: shape, name: j["locationName"]?.stringValue, flattened: j["flattened"] == .bool(true))
            }
            for (name, s) in root["shapes"]?.objectValue ?? [:] {
                var shape = Shape(type: s["type"]?.stringValue ?? "", flattened: s["flattened"] == .bool(true),
                                  name: s["locationName"]?.stringValue)
                shape.member = ref(s["member"])
                shape.key = ref(s["key"])
                shape.value = ref(s["value"])
                for (m, r) in s["members"]?.objectValue ?? [:] {
                    if let r = ref(r) { shape.members.append((m, r)) }
                }
                shapes[name] = shape
            }
            for (name, e) in root["errors"]?.objectValue ?? [:] {
                if let code = e["code"]?.stringValue { errors[name] = (code, Int(e["status"]?.integerValue ?? 400)) }
            }
        }
        self.namespace = namespace
        self.version = version
        self.operations = operations
        self.shapes = shapes
        self.errors = errors
    }

    package var operationCount: Int { operations.count }

    package func hasOperation(_ name: String) -> Bool { operations[name] != nil }

    /// The code a query client sees for an error the service raised by its JSON name
    /// (`QueueDoesNotExist` → `AWS.SimpleQueueService.NonExistentQueue`), and its status.
    package func queryError(_ code: String) -> (code: String, status: Int?) {
        if let e = errors[code] { return (e.code, e.status) }
        return (code, nil)
    }

    // MARK: requests

    /// The operation's input from the request's parameters, as the JSON protocol would carry
    /// it: numbers and booleans typed where the model says so (left as text when they do not
    /// parse, for the action to refuse in its own words).
    package func input(_ operation: String, _ parameters: [String: String]) -> JSONObject {
        guard let name = operations[operation]?.input, let shape = shapes[name] else { return [:] }
        return decodeStructure(shape, prefix: "", parameters).objectValue ?? [:]
    }

    private func decode(_ ref: Ref, at prefix: String, _ p: [String: String]) -> JSON? {
        guard let shape = shapes[ref.shape] else { return p[prefix].map { .string($0) } }
        switch shape.type {
        case "structure":
            // (JSON takes a nil literal as JSON.null: absence is spelled out.)
            let v = decodeStructure(shape, prefix: prefix + ".", p)
            if v.objectValue?.isEmpty ?? true { return Optional<JSON>.none }
            return v
        case "list":
            guard let member = shape.member else { return Optional<JSON>.none }
            let flattened = ref.flattened || shape.flattened
            // botocore: a flattened list whose member is named takes that name in place of its own.
            let listPrefix: String
            if flattened {
                if let name = member.name, let dot = prefix.lastIndex(of: ".") {
                    listPrefix = String(prefix[...dot]) + name
                } else {
                    listPrefix = member.name ?? prefix
                }
            } else {
                listPrefix = "\(prefix).\(member.name ?? "member")"
            }
            var items: [JSON] = []
            var i = 1
            while let item = decode(member, at: "\(listPrefix).\(i)", p) {
                items.append(item)
                i += 1
            }
            if items.isEmpty { return p[prefix] != nil ? JSON.array([]) : Optional<JSON>.none }
            return .array(items)
        case "map":
            guard let key = shape.key, let value = shape.value else { return Optional<JSON>.none }
            let flattened = ref.flattened || shape.flattened
            let mapPrefix = flattened ? prefix : "\(prefix).entry"
            var out = JSONObject()
            var i = 1
            while let k = p["\(mapPrefix).\(i).\(key.name ?? "key")"] {
                if let v = decode(value, at: "\(mapPrefix).\(i).\(value.name ?? "value")", p) { out[k] = v }
                i += 1
            }
            return out.isEmpty ? Optional<JSON>.none : JSON.object(out)
        default:
            guard let text = p[prefix] else { return Optional<JSON>.none }
            switch shape.type {
            case "integer", "long": return Int64(text).map { JSON.int($0) } ?? JSON.string(text)
            case "boolean":
                switch text.lowercased() {
                case "true": return .bool(true)
                case "false": return .bool(false)
                default: return .string(text)
                }
            case "float", "double": return Double(text).map { JSON.double($0) } ?? JSON.string(text)
            default: return .string(text)
            }
        }
    }

    private func decodeStructure(_ shape: Shape, prefix: String, _ p: [String: String]) -> JSON {
        var out = JSONObject()
        for (member, ref) in shape.members {
            if let v = decode(ref, at: prefix + (ref.name ?? shapes[ref.shape]?.name ?? member), p) { out[member] = v }
        }
        return .object(out)
    }

    // MARK: answers

    /// `<ActionResponse xmlns=…><ActionResult>…</ActionResult><ResponseMetadata>…` for an
    /// operation's JSON output.
    package func answer(_ operation: String, _ output: JSON, requestId: String) -> [UInt8] {
        var x = XMLWriter()
        x.raw("<?xml version=\"1.0\"?>")
        x.raw("<\(operation)Response xmlns=\"\(namespace)\">")
        if let op = operations[operation], let name = op.output, let shape = shapes[name] {
            let wrapper = op.resultWrapper ?? "\(operation)Result"
            x.raw("<\(wrapper)>")
            if case .object(let o) = output { encodeMembers(shape, o, into: &x) }
            x.raw("</\(wrapper)>")
        }
        x.raw("<ResponseMetadata><RequestId>")
        x.text(requestId)
        x.raw("</RequestId></ResponseMetadata></\(operation)Response>")
        return x.bytes
    }

    /// AWS's query error document; SQS adds an empty `<Detail/>`.
    package func error(type: String, code: String, message: String, requestId: String, detail: Bool) -> [UInt8] {
        var x = XMLWriter()
        x.raw("<?xml version=\"1.0\"?><ErrorResponse xmlns=\"\(namespace)\"><Error><Type>\(type)</Type><Code>")
        x.text(code)
        x.raw("</Code><Message>")
        x.text(message)
        x.raw("</Message>")
        if detail { x.raw("<Detail/>") }
        x.raw("</Error><RequestId>")
        x.text(requestId)
        x.raw("</RequestId></ErrorResponse>")
        return x.bytes
    }

    private func encodeMembers(_ shape: Shape, _ o: JSONObject, into x: inout XMLWriter) {
        for (member, ref) in shape.members {
            guard let v = o[member], !v.isNull else { continue }
            encode(v, ref, name: ref.name ?? shapes[ref.shape]?.name ?? member, into: &x)
        }
    }

    private func encode(_ v: JSON, _ ref: Ref, name: String, into x: inout XMLWriter) {
        guard let shape = shapes[ref.shape] else { return element(name, v, into: &x) }
        switch shape.type {
        case "structure":
            x.raw("<\(name)>")
            if case .object(let o) = v { encodeMembers(shape, o, into: &x) }
            x.raw("</\(name)>")
        case "list":
            guard let member = shape.member, case .array(let items) = v else { return }
            if ref.flattened || shape.flattened {
                for item in items { encode(item, member, name: member.name ?? name, into: &x) }
            } else {
                x.raw("<\(name)>")
                for item in items { encode(item, member, name: member.name ?? "member", into: &x) }
                x.raw("</\(name)>")
            }
        case "map":
            guard let key = shape.key, let value = shape.value, case .object(let entries) = v else { return }
            let flattened = ref.flattened || shape.flattened
            if !flattened { x.raw("<\(name)>") }
            for (k, item) in entries {
                x.raw(flattened ? "<\(name)>" : "<entry>")
                element(key.name ?? "key", .string(k), into: &x)
                encode(item, value, name: value.name ?? "value", into: &x)
                x.raw(flattened ? "</\(name)>" : "</entry>")
            }
            if !flattened { x.raw("</\(name)>") }
        default:
            element(name, v, into: &x)
        }
    }

    private func element(_ name: String, _ v: JSON, into x: inout XMLWriter) {
        x.raw("<\(name)>")
        switch v {
        case .string(let s): x.text(s)
        case .bool(let b): x.raw(b ? "true" : "false")
        case .null: break
        default: x.text(v.serialized)
        }
        x.raw("</\(name)>")
    }
}

/// Form-encoded parameters (`a=1&b=x%20y`, `+` as a space), the last value of a name winning.
package enum FormParameters {
    package static func parse(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).replacingPlus.percentDecoded
            let value = parts.count > 1 ? String(parts[1]).replacingPlus.percentDecoded : ""
            out[key] = value
        }
        return out
    }
}

extension String {
    fileprivate var replacingPlus: String {
        guard contains("+") else { return self }
        return String(map { $0 == "+" ? " " : $0 })
    }
}
