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

    init(text: String) throws(ServiceError) {
        guard case .object(let o)? = try? JSONParser.parse(text) else {
            // The bus's parser words why the JSON does not parse, as AWS does for both.
            var reason = ""
            do { _ = try EventPattern(text: text) } catch { reason = " " + (error.message.components(separatedBy: "Reason: ").last ?? "") }
            throw SNSService.invalid("FilterPolicy: failed to parse JSON.\(reason)")
        }
        if o.count > Self.maximumKeys {
            throw SNSService.invalid("FilterPolicy: Filter policy can not have more than \(Self.maximumKeys) keys")
        }
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
