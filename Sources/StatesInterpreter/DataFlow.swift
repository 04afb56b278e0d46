import StatesLanguage

/// Input and output processing: InputPath → Parameters → (result) → ResultSelector →
/// ResultPath → OutputPath, as the ASL spec's "Input and Output Processing" describes.
package enum DataFlow {
    /// InputPath and OutputPath: null gives `{}`; a missing definite path is AWS's "Invalid path" error.
    package static func select(_ path: JSONPath?, from value: JSON, context: () -> JSON) throws(StatesError) -> JSON {
        guard let path else { return .object(JSONObject()) }
        if path.segments.isEmpty && path.root == .input { return value }
        do {
            return try path.evaluate(input: value, context: path.root == .context ? context() : .null)
        } catch {
            throw StatesError.runtime("Invalid path '\(path.text)' : \(error.message)")
        }
    }

    /// InputPath and OutputPath against a scope (paths may start at `$$` or a variable).
    package static func select(_ path: JSONPath?, in scope: Scope) throws(StatesError) -> JSON {
        guard let path else { return .object(JSONObject()) }
        if path.segments.isEmpty && path.root == .input { return scope.input }
        do {
            return try scope.evaluate(path)
        } catch {
            throw StatesError.runtime("Invalid path '\(path.text)' : \(error.message)")
        }
    }

    /// Applies a Parameters / ResultSelector / ItemSelector template.
    package static func apply(_ template: PayloadTemplate, scope: Scope, random: inout RandomSource) throws(StatesError) -> JSON {
        switch template {
        case .literal(let v):
            return v
        case .path(let p, let field):
            return try scope.value(of: p, field: field)
        case .intrinsic(let call, _):
            return try Intrinsics.evaluate(call, scope: scope, random: &random)
        case .array(let items):
            var out: [JSON] = []
            out.reserveCapacity(items.count)
            for item in items { out.append(try apply(item, scope: scope, random: &random)) }
            return .array(out)
        case .object(let fields):
            var o = JSONObject(minimumCapacity: fields.count)
            for (k, t) in fields { o[k] = try apply(t, scope: scope, random: &random) }
            return .object(o)
        }
    }

    /// ResultPath: places the result into the state's raw input.
    package static func place(_ result: JSON, into input: JSON, at resultPath: State.ResultPath) throws(StatesError) -> JSON {
        switch resultPath {
        case .replace: return result
        case .discard: return input
        case .path(let p):
            var target = input
            guard set(result, at: p.segments[...], in: &target) else {
                throw StatesError(StatesError.resultPathMatchFailure,
                    "Unable to apply ResultPath \"\(p.text)\" to input \"\(input.serialized)\"")
            }
            return target
        }
    }

    static func set(_ value: JSON, at segments: ArraySlice<JSONPath.Segment>, in target: inout JSON) -> Bool {
        guard let first = segments.first else {
            target = value
            return true
        }
        switch first {
        case .key(let k):
            var o: JSONObject
            switch target {
            case .object(let existing): o = existing
            default: return false
            }
            // A missing intermediate field becomes an object, as AWS creates it.
            var child = o[k] ?? .object(JSONObject())
            guard set(value, at: segments.dropFirst(), in: &child) else { return false }
            o[k] = child
            target = .object(o)
            return true
        case .index(let i):
            guard case .array(var a) = target else { return false }
            let j = i < 0 ? a.count + i : i
            guard j >= 0 && j < a.count else { return false }
            guard set(value, at: segments.dropFirst(), in: &a[j]) else { return false }
            target = .array(a)
            return true
        default:
            return false
        }
    }

    /// AWS's payload limit: 256 KiB of UTF-8.
    package static let maximumPayloadBytes = 256 * 1024
}
