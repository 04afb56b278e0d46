import StatesLanguage

/// A target's input: the event itself, a constant (`Input`), a part of it (`InputPath`), or
/// an `InputTransformer` (`InputPathsMap` + `InputTemplate`) with AWS's substitution rules:
/// inside a quoted string a value goes in as text (no quotes added); elsewhere as JSON (a
/// string quoted). Predefined: `<aws.events.rule-arn>`, `<aws.events.rule-name>`,
/// `<aws.events.event.ingestion-time>`, `<aws.events.event>` and `<aws.events.event.json>`.
package enum InputTransformer {
    static func input(for target: JSONObject, event: JSON, ruleArn: String) -> String {
        if let constant = target["Input"]?.stringValue { return constant }
        if let path = target["InputPath"]?.stringValue {
            guard let p = try? JSONPath(path), let v = try? p.evaluate(input: event) else { return "null" }
            return v.serialized
        }
        if let t = target["InputTransformer"]?.objectValue {
            return render(t, event: event, ruleArn: ruleArn)
        }
        return event.serialized
    }

    static func values(_ t: JSONObject, event: JSON, ruleArn: String) -> [String: JSON?] {
        var out: [String: JSON?] = [:]
        for (name, path) in t["InputPathsMap"]?.objectValue ?? [:] {
            // Declared: a path that matches nothing still fills its placeholder (with "").
            guard let text = path.stringValue, let p = try? JSONPath(text), let v = try? p.evaluate(input: event) else {
                out[name] = Optional<JSON>.none
                continue
            }
            out[name] = v
        }
        out["aws.events.rule-arn"] = .string(ruleArn)
        out["aws.events.rule-name"] = .string(String(ruleArn.split(separator: "/").last ?? ""))
        out["aws.events.event.ingestion-time"] = event["time"] ?? .null
        // AWS's <aws.events.event>: the envelope without its detail, in these names and this order.
        var envelope = JSONObject()
        for (name, key) in [("id", "id"), ("account", "account"), ("detailType", "detail-type"), ("time", "time"), ("source", "source"),
                            ("region", "region"), ("resources", "resources"), ("version", "version")] {
            if let v = event[key] { envelope.appendUnchecked(name, v) }
        }
        out["aws.events.event"] = .object(envelope)
        out["aws.events.event.json"] = event
        return out
    }

    static func render(_ t: JSONObject, event: JSON, ruleArn: String) -> String {
        render(template: t["InputTemplate"]?.stringValue ?? "", values: values(t, event: event, ruleArn: ruleArn))
    }

    /// A template with `<name>` placeholders filled from `values` (a name without a value is
    /// left as written): inside the template's quotes a string's characters (anything else its
    /// JSON), outside them the value's JSON, an empty string for a path that matched nothing.
    package static func render(template: String, values: [String: JSON?]) -> String {
        var out = ""
        var inString = false
        var escaped = false
        var i = template.startIndex
        while i < template.endIndex {
            let c = template[i]
            if c == "<", let close = template[i...].firstIndex(of: ">") {
                let name = String(template[template.index(after: i)..<close])
                if let found = values[name] {
                    let v = found
                    if inString {
                        let text = v.map { $0.stringValue ?? $0.serialized } ?? ""
                        var quoted = JSON.string(text).serialized
                        quoted.removeFirst()
                        quoted.removeLast()
                        out += quoted
                    } else {
                        // A path that matched nothing is an empty string, as AWS renders it.
                        out += v?.serialized ?? "\"\""
                    }
                    i = template.index(after: close)
                    continue
                }
            }
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
            } else if c == "\"" {
                inString = true
            }
            out.append(c)
            i = template.index(after: i)
        }
        return out
    }

    /// What AWS refuses in a transformer.
    static func problem(_ t: JSONObject) -> String? {
        guard t["InputTemplate"]?.stringValue != nil else { return "InputTemplate is required." }
        let map = t["InputPathsMap"]?.objectValue ?? [:]
        guard map.count <= 100 else { return "InputPathsMap must not have more than 100 entries." }
        for (name, path) in map {
            if name.hasPrefix("aws.") { return "Input transformer key \(name) is reserved." }
            guard let text = path.stringValue, (try? JSONPath(text)) != nil else { return "Input path \(path.serialized) is not a valid JSONPath." }
        }
        return nil
    }
}
