import ServiceKit
import StatesLanguage

/// The request shapes from before expressions (`Expected`, `KeyConditions`, `QueryFilter`,
/// `ScanFilter`, `AttributeUpdates`), turned into the same conditions and actions, so old
/// code and the SDKs' document layers that still send them work unchanged.
enum LegacyConditions {
    static func path(_ name: String) -> DocumentPath { DocumentPath(elements: [.name(name)]) }

    /// `Expected`: per attribute `Value`/`Exists`, or `ComparisonOperator` with `AttributeValueList`.
    static func expected(_ expected: JSONObject, operator op: String?) throws(ServiceError) -> Condition? {
        var parts: [Condition] = []
        for (name, spec) in expected {
            if let op = spec["ComparisonOperator"]?.stringValue {
                parts.append(try comparison(name, op, spec["AttributeValueList"]?.arrayValue ?? []))
            } else if spec["Exists"]?.boolValue == false {
                if spec["Value"] != nil {
                    throw ServiceError.validation("One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: \(name)")
                }
                parts.append(.notExists(path(name)))
            } else if let v = spec["Value"] {
                parts.append(.compare(.path(path(name)), .eq, .value(try AttributeValue(json: v))))
            } else {
                throw ServiceError.validation("One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: \(name)")
            }
        }
        return combine(parts, op)
    }

    /// `QueryFilter`, `ScanFilter`, `KeyConditions`: per attribute an operator and its values.
    static func filter(_ filter: JSONObject, operator op: String?) throws(ServiceError) -> Condition? {
        var parts: [Condition] = []
        for (name, spec) in filter {
            parts.append(try comparison(name, spec["ComparisonOperator"]?.stringValue ?? "", spec["AttributeValueList"]?.arrayValue ?? []))
        }
        return combine(parts, op)
    }

    static func combine(_ parts: [Condition], _ op: String?) -> Condition? {
        guard var c = parts.first else { return nil }
        for p in parts.dropFirst() { c = op == "OR" ? .or(c, p) : .and(c, p) }
        return c
    }

    static func comparison(_ name: String, _ op: String, _ list: [JSON]) throws(ServiceError) -> Condition {
        var values: [Operand] = []
        for v in list { values.append(.value(try AttributeValue(json: v))) }
        let p = Operand.path(path(name))
        func need(_ n: Int) throws(ServiceError) {
            guard values.count == n else {
                throw ServiceError.validation("One or more parameter values were invalid: Invalid number of argument(s) for the \(op) ComparisonOperator")
            }
        }
        switch op {
        case "EQ": try need(1); return .compare(p, .eq, values[0])
        case "NE": try need(1); return .compare(p, .ne, values[0])
        case "LT": try need(1); return .compare(p, .lt, values[0])
        case "LE": try need(1); return .compare(p, .le, values[0])
        case "GT": try need(1); return .compare(p, .gt, values[0])
        case "GE": try need(1); return .compare(p, .ge, values[0])
        case "NOT_NULL": try need(0); return .exists(path(name))
        case "NULL": try need(0); return .notExists(path(name))
        case "CONTAINS": try need(1); return .contains(p, values[0])
        case "NOT_CONTAINS": try need(1); return .and(.exists(path(name)), .not(.contains(p, values[0])))
        case "BEGINS_WITH": try need(1); return .beginsWith(p, values[0])
        case "BETWEEN": try need(2); return .between(p, values[0], values[1])
        case "IN":
            guard !values.isEmpty else { try need(1); return .exists(path(name)) }
            return .among(p, values)
        default:
            throw ServiceError.validation("1 validation error detected: Value '\(op)' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]")
        }
    }

    /// `AttributeUpdates`: PUT sets, DELETE removes (or takes elements from a set), ADD adds.
    static func attributeUpdates(_ updates: JSONObject) throws(ServiceError) -> UpdateActions {
        var actions = UpdateActions()
        for (name, spec) in updates {
            let action = spec["Action"]?.stringValue ?? "PUT"
            let value = try spec["Value"].map { (v) throws(ServiceError) in try AttributeValue(json: v) }
            switch action {
            case "PUT":
                guard let value else { throw ServiceError.validation("One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified") }
                actions.set.append((path(name), .value(value)))
            case "DELETE":
                if let value { actions.delete.append((path(name), .value(value))) } else { actions.remove.append(path(name)) }
            case "ADD":
                guard let value else { throw ServiceError.validation("One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified") }
                actions.add.append((path(name), .value(value)))
            default:
                throw ServiceError.validation("1 validation error detected: Value '\(action)' at 'attributeUpdates.\(name).member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]")
            }
        }
        return actions
    }
}
