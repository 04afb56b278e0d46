import ServiceKit

/// UpdateExpression's actions on an item, as AWS applies them: every SET value is computed
/// from the item as it was, then SET, REMOVE, ADD and DELETE change it.
extension ExpressionEvaluator {
    static let invalidPath = ServiceError.validation("The document path provided in the update expression is invalid for update")

    static func apply(_ actions: UpdateActions, to original: Item) throws(ServiceError) -> Item {
        var item = original
        var computed: [(DocumentPath, AttributeValue)] = []
        for (path, operand) in actions.set {
            computed.append((path, try setValue(operand, in: original)))
        }
        for (path, v) in computed { try assign(path, v, in: &item) }
        for path in actions.remove { try remove(path, from: &item) }
        for (path, operand) in actions.add {
            guard let v = value(operand, in: original) else { throw invalidPath }
            let current = resolve(path, in: item)
            switch (current, v) {
            case (nil, .n), (nil, .ss), (nil, .ns), (nil, .bs):
                try assign(path, v, in: &item)
            case (.n(let a)?, .n(let b)):
                try assign(path, .n(try checked(a + b)), in: &item)
            case (.ss(let a)?, .ss(let b)):
                try assign(path, .ss(a + b.filter { !a.contains($0) }), in: &item)
            case (.ns(let a)?, .ns(let b)):
                try assign(path, .ns(a + b.filter { !a.contains($0) }), in: &item)
            case (.bs(let a)?, .bs(let b)):
                try assign(path, .bs(a + b.filter { !a.contains($0) }), in: &item)
            case (nil, _):
                throw ServiceError.validation("Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: \(operandType(v))")
            case (let c?, _):
                throw ServiceError.validation("An operand in the update expression has an incorrect data type" + (c.typeName == v.typeName ? "" : ""))
            }
        }
        for (path, operand) in actions.delete {
            guard let v = value(operand, in: original) else { throw invalidPath }
            guard let current = resolve(path, in: item) else { continue }
            let remaining: AttributeValue?
            switch (current, v) {
            case (.ss(let a), .ss(let b)): remaining = a.filter { !b.contains($0) }.isEmpty ? nil : .ss(a.filter { !b.contains($0) })
            case (.ns(let a), .ns(let b)): remaining = a.filter { !b.contains($0) }.isEmpty ? nil : .ns(a.filter { !b.contains($0) })
            case (.bs(let a), .bs(let b)): remaining = a.filter { !b.contains($0) }.isEmpty ? nil : .bs(a.filter { !b.contains($0) })
            case (_, .ss), (_, .ns), (_, .bs):
                throw ServiceError.validation("An operand in the update expression has an incorrect data type")
            default:
                throw ServiceError.validation("Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: \(operandType(v))")
            }
            if let remaining { try assign(path, remaining, in: &item) } else { try remove(path, from: &item) }
        }
        return item
    }

    static func operandType(_ v: AttributeValue) -> String {
        switch v {
        case .s: "STRING"
        case .n: "NUMBER"
        case .b: "BINARY"
        case .bool: "BOOLEAN"
        case .null: "NULL"
        case .m: "MAP"
        case .l: "LIST"
        case .ss: "STRING SET"
        case .ns: "NUMBER SET"
        case .bs: "BINARY SET"
        }
    }

    static func checked(_ n: DynamoNumber) throws(ServiceError) -> DynamoNumber {
        do { return try DynamoNumber(checking: n) } catch { throw ServiceError.validation(error.message) }
    }

    /// A SET action's value: an operand, `a + b`, `a - b`, list_append, if_not_exists.
    static func setValue(_ operand: Operand, in item: Item) throws(ServiceError) -> AttributeValue {
        switch operand {
        case .plus(let a, let b), .minus(let a, let b):
            let x = try setValue(a, in: item)
            let y = try setValue(b, in: item)
            guard case .n(let p) = x, case .n(let q) = y else {
                throw ServiceError.validation("An operand in the update expression has an incorrect data type")
            }
            if case .plus = operand { return .n(try checked(p + q)) }
            return .n(try checked(p - q))
        case .listAppend(let a, let b):
            let x = try setValue(a, in: item)
            let y = try setValue(b, in: item)
            guard case .l(let p) = x, case .l(let q) = y else {
                throw ServiceError.validation("Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: \(operandType(x.typeName == "L" ? y : x))")
            }
            return .l(p + q)
        case .ifNotExists(let p, let fallback):
            if let v = resolve(p, in: item) { return v }
            return try setValue(fallback, in: item)
        case .path(let p):
            guard let v = resolve(p, in: item) else {
                throw ServiceError.validation("The provided expression refers to an attribute that does not exist in the item")
            }
            return v
        case .value(let v):
            return v
        case .size:
            throw ServiceError.validation("Invalid UpdateExpression: The function is not allowed in an update expression; function: size")
        }
    }

    static func assign(_ path: DocumentPath, _ value: AttributeValue, in item: inout Item) throws(ServiceError) {
        var root: AttributeValue = .m(item)
        try assign(path.elements[...], value, in: &root)
        if case .m(let m) = root { item = m }
    }

    private static func assign(_ rest: ArraySlice<DocumentPath.Element>, _ value: AttributeValue, in node: inout AttributeValue) throws(ServiceError) {
        guard let head = rest.first else {
            node = value
            return
        }
        let last = rest.count == 1
        switch (head, node) {
        case (.name(let n), .m(var m)):
            if last {
                m[n] = value
            } else {
                guard var child = m[n] else { throw invalidPath }
                try assign(rest.dropFirst(), value, in: &child)
                m[n] = child
            }
            node = .m(m)
        case (.index(let i), .l(var l)):
            if last {
                // AWS: an index past the end appends.
                if i < l.count { l[i] = value } else { l.append(value) }
            } else {
                guard i < l.count else { throw invalidPath }
                try assign(rest.dropFirst(), value, in: &l[i])
            }
            node = .l(l)
        default:
            throw invalidPath
        }
    }

    static func remove(_ path: DocumentPath, from item: inout Item) throws(ServiceError) {
        var root: AttributeValue = .m(item)
        try remove(path.elements[...], from: &root)
        if case .m(let m) = root { item = m }
    }

    private static func remove(_ rest: ArraySlice<DocumentPath.Element>, from node: inout AttributeValue) throws(ServiceError) {
        guard let head = rest.first else { return }
        let last = rest.count == 1
        switch (head, node) {
        case (.name(let n), .m(var m)):
            if last {
                m[n] = nil
            } else if var child = m[n] {
                try remove(rest.dropFirst(), from: &child)
                m[n] = child
            }
            node = .m(m)
        case (.index(let i), .l(var l)):
            if last {
                if i < l.count { l.remove(at: i) }
            } else if i < l.count {
                try remove(rest.dropFirst(), from: &l[i])
            }
            node = .l(l)
        default:
            // Removing what is not there changes nothing (a path through a scalar is invalid).
            if case .name = head, case .m = node { return }
            throw invalidPath
        }
    }
}
