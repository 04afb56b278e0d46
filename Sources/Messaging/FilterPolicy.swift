import Events
import ServiceKit
import StatesLanguage

/// An SNS subscription's filter policy: the event bus's compiled matcher over the message's
/// attributes (`MessageAttributes` scope: String as text, Number as a number, String.Array as
/// its elements; Binary attributes are never matched) or over its JSON body (`MessageBody`).
struct FilterPolicy: Sendable {
    let pattern: EventPattern

    /// SNS's limit on a policy's top-level keys.
    static let maximumKeys = 5

    /// AWS's complexity: each leaf array's values times its depth, multiplied across the
    /// policy (`$or` adds its alternatives); more than 150 is "too complex".
    static func combinations(_ o: JSONObject, depth: Int = 1, scope: String, _ start: Int = 1) throws(ServiceError) -> Int {
        var combinations = start
        for (key, value) in o {
            switch value {
            case .object(let nested):
                combinations = try Self.combinations(nested, depth: depth + 1, scope: scope, combinations)
            case .array(let items):
                if items.isEmpty { throw SNSService.invalid("FilterPolicy: Empty arrays are not allowed") }
                if key == "$or" {
                    var sum = 0
                    for case .object(let alternative) in items { sum += try Self.combinations(alternative, depth: depth, scope: scope, combinations) }
                    combinations = sum
                } else {
                    combinations = combinations * items.count * depth
                }
            default:
                throw SNSService.invalid("FilterPolicy: \"\(key)\" must be an object or an array")
            }
        }
        if scope == "MessageAttributes" && depth > 1 {
            throw SNSService.invalid("Filter policy scope MessageAttributes does not support nested filter policy")
        }
        return combinations
    }

    init(text: String, scope: String = "MessageAttributes") throws(ServiceError) {
        guard case .object(let o)? = try? JSONParser.parse(text) else {
            // The bus's parser words why the JSON does not parse, as AWS does for both.
            var reason = ""
            do { _ = try EventPattern(text: text) } catch { reason = " " + (error.message.components(separatedBy: "Reason: ").last ?? "") }
            if reason.hasPrefix(" Unrecognized token") {
                // Jackson's location line, as SNS's message carries it.
                let lead = text.prefix { $0.isWhitespace }.count
                let token = text.dropFirst(lead).prefix { $0.isLetter || $0.isNumber }.count
                reason += "\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: \(lead + token + 1)]"
            }
            throw SNSService.invalid("FilterPolicy: failed to parse JSON.\(reason)")
        }
        if o.count > Self.maximumKeys {
            throw SNSService.invalid("FilterPolicy: Filter policy can not have more than \(Self.maximumKeys) keys")
        }
        if try Self.combinations(o, scope: scope) > 150 { throw SNSService.invalid("FilterPolicy: Filter policy is too complex") }
        do { pattern = try EventPattern(text: text) } catch {
            let reason = error.message.components(separatedBy: "Reason: ").last ?? error.message
            throw SNSService.invalid("FilterPolicy: \(reason)")
        }
    }

    func matches(attributes: JSONObject) -> Bool {
        var event = JSONObject()
        for (name, a) in attributes {
            let type = a["DataType"]?.stringValue ?? ""
            guard let text = a["StringValue"]?.stringValue else { continue }
            if type.hasPrefix("Number") {
                event[name] = Double(text).map { JSON.double($0) } ?? .string(text)
            } else if type == "String.Array" {
                event[name] = (try? JSONParser.parse(text)) ?? .string(text)
            } else if type.hasPrefix("String") {
                event[name] = .string(text)
            }
        }
        return pattern.matches(.object(event))
    }

    func matches(body: String) -> Bool {
        guard case .object? = try? JSONParser.parse(body), let json = try? JSONParser.parse(body) else { return false }
        return pattern.matches(json)
    }
}
