/// Baton's own Task resource: wait for a webhook delivery.
///
/// ```json
/// "Resource": "arn:aws:states:::baton:webhook.waitForTaskToken",
/// "Parameters": { "Webhook": "campaigns", "Key.$": "$.campaignId" }
/// ```
/// The task's token is registered under (webhook, key) in the step that schedules it, so the
/// sender only needs its own id; the token stays valid for SendTaskSuccess as with any
/// `.waitForTaskToken` task.
public enum WebhookWait {
    public static let resource = "arn:aws:states:::baton:webhook.waitForTaskToken"
    /// Baton's namespace (the webhook wait; `baton durable` adds demo resources).
    public static let namespace = "arn:aws:states:::baton:"

    /// The correlation key a token is stored under: webhook name, U+001F, key text.
    public static func correlation(webhook: String, key: String) -> String { webhook + "\u{1F}" + key }

    /// The key as text: strings as they are, numbers (and other values) as their JSON text.
    public static func keyText(_ value: JSON) -> String? {
        switch value {
        case .string(let s): return s.isEmpty ? nil : s
        case .null, .object, .array: return nil
        default: return value.serialized
        }
    }

    /// The correlation of a resolved invocation, or nil when the resource is not a webhook wait.
    public static func correlation(resource: String, parameters: JSON) -> String? {
        guard resource == Self.resource, let name = parameters["Webhook"]?.stringValue, !name.isEmpty,
              let key = parameters["Key"].flatMap(keyText) else { return nil }
        return correlation(webhook: name, key: key)
    }

    /// What is wrong with a Task state that uses Baton's namespace, as (field, message) pairs.
    /// `field` is `Parameters` in a JSONPath state and `Arguments` in a JSONata one (whose
    /// values may be `{% … %}` expressions, checked when they are evaluated).
    static func problems(resource: String, parameters: JSON?, field fieldName: String = "Parameters") -> [(String, String)] {
        guard resource.hasPrefix(namespace + "webhook") else { return [] }
        guard resource == Self.resource else {
            return [("Resource", "A webhook wait is \(Self.resource) (it always waits for its task token).")]
        }
        guard case .object(let p)? = parameters else {
            return [("", "\(Self.resource) needs \(fieldName) with 'Webhook' and 'Key' (or 'Key.$').")]
        }
        var out: [(String, String)] = []
        for field in ["Webhook", "Key"] {
            let literal = p[field], path = p[field + ".$"]
            if literal == nil && path == nil {
                out.append((fieldName, "The field '\(field)' (or '\(field).$') is required by \(Self.resource)."))
            } else if let s = literal?.stringValue, JSONataTemplate.classify(s) != .literal, fieldName == "Arguments" {
                continue
            } else if let literal, keyText(literal) == nil {
                out.append(("\(fieldName)/\(field)", "The field '\(field)' must be a non-empty string or a number."))
            } else if field == "Webhook", let name = literal?.stringValue, !isValidName(name) {
                out.append(("\(fieldName)/Webhook", "A webhook name has 1 to 80 letters, digits, '-' or '_'."))
            }
        }
        return out
    }

    /// Webhook names go in URLs: `/webhooks/{name}`.
    public static func isValidName(_ name: String) -> Bool {
        (1...80).contains(name.utf8.count)
            && name.utf8.allSatisfy { c in (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 95 }
    }
}
