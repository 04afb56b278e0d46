import StatesLanguage

/// A target's input: the event itself, a constant (`Input`), a part of it (`InputPath`), or
/// an `InputTransformer` (`InputPathsMap` + `InputTemplate`) with AWS's substitution rules:
/// inside a quoted string a value goes in as text (no quotes added); elsewhere as JSON (a
/// string quoted). Predefined: `<aws.events.rule-arn>`, `<aws.events.rule-name>`,
/// `<aws.events.event.ingestion-time>`, `<aws.events.event>` and `<aws.events.event.json>`.
enum InputTransformer {
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

    static func values(_ t: JSONObject, event: JSON, ruleArn: String) -> [String: JSON] {
        var out: [String: JSON] = [:]
        for (name, path) in t["InputPathsMap"]?.objectValue ?? [:] {
            guard let text = path.stringValue, let p = try? JSONPath(text), let v = try? p.evaluate(input: event) else { continue }
            out[name] = v
        }
        out["aws.events.rule-arn"] = .string(ruleArn)
        out["aws.events.rule-name"] = .string(String(ruleArn.split(separator: "/").last ?? ""))
        out["aws.events.event.ingestion-time"] = event["time"] ?? .null
        out["aws.events.event"] = event
        out["aws.events.event.json"] = event
        return out
    }

    static func render(_ t: JSONObject, event: JSON, ruleArn: String) -> String {
        let template = t["InputTemplate"]?.stringValue ?? ""
        let values = values(t, event: event, ruleArn: ruleArn)
        let known = Set((t["InputPathsMap"]?.objectValue ?? [:]).map(\.key)).union(values.keys)
        var out = ""
        var inString = false
        var escaped = false
        var i = template.startIndex
        while i < template.endIndex {
            let c = template[i]
            if c == "<", let close = template[i...].firstIndex(of: ">") {
                let name = String(template[template.index(after: i)..<close])
                if known.contains(name) {
                    let v = values[name]
                    if inString {
                        // As text inside the template's quotes: a string's characters, anything else its JSON.
                        let text = v.map { $0.stringValue ?? $0.serialized } ?? ""
                        var quoted = JSON.string(text).serialized
                        quoted.removeFirst()
                        quoted.removeLast()
                        out += quoted
                    } else {
                        out += v?.serialized ?? "null"
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
