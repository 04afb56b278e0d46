import ServiceKit
import StatesLanguage

/// A queue's definition: its name, its attributes as SQS reports them (strings), its tags.
/// Kept as a document; the messages live in the `MessageStore`.
package struct SQSQueue: Sendable, Equatable {
    package var name: String
    package var attributes: [String: String]
    package var tags: [String: String]
    package var createdSeconds: Int64
    package var modifiedSeconds: Int64
    /// When the last PurgeQueue began (one per 60 seconds).
    package var purgedMillis: Int64?

    package var isFifo: Bool { attributes["FifoQueue"] == "true" }

    func seconds(_ name: String, _ fallback: Int64) -> Int64 { attributes[name].flatMap { Int64($0) } ?? fallback }
    var visibilityMillis: Int64 { seconds("VisibilityTimeout", 30) * 1000 }
    var delayMillis: Int64 { seconds("DelaySeconds", 0) * 1000 }
    var retentionMillis: Int64 { seconds("MessageRetentionPeriod", 345_600) * 1000 }
    var waitSeconds: Int64 { seconds("ReceiveMessageWaitTimeSeconds", 0) }
    var maximumMessageSize: Int { Int(seconds("MaximumMessageSize", 1_048_576)) }
    var contentBasedDeduplication: Bool { attributes["ContentBasedDeduplication"] == "true" }
    var deduplicatesPerGroup: Bool { attributes["DeduplicationScope"] == "messageGroup" }

    /// The redrive policy's dead-letter queue (its name) and maxReceiveCount.
    var redrive: (queue: String, maxReceiveCount: Int)? {
        guard let text = attributes["RedrivePolicy"], case .object(let o)? = try? JSONParser.parse(text),
              let arn = o["deadLetterTargetArn"]?.stringValue, let name = arn.split(separator: ":").last else { return nil }
        let count = o["maxReceiveCount"].flatMap { $0.integerValue ?? $0.stringValue.flatMap { Int64($0) } } ?? 0
        return (String(name), Int(count))
    }

    init(name: String, attributes: [String: String], tags: [String: String], now: Int64) {
        self.name = name
        self.attributes = attributes
        self.tags = tags
        createdSeconds = now / 1000
        modifiedSeconds = now / 1000
    }

    var json: JSON {
        var o: JSONObject = [
            "name": .string(name),
            "attributes": .object(JSONObject(attributes.map { ($0.key, JSON.string($0.value)) })),
            "tags": .object(JSONObject(tags.map { ($0.key, JSON.string($0.value)) })),
            "created": .int(createdSeconds), "modified": .int(modifiedSeconds),
        ]
        if let purgedMillis { o["purged"] = .int(purgedMillis) }
        return .object(o)
    }

    init?(json: JSON) {
        guard let name = json["name"]?.stringValue else { return nil }
        self.name = name
        attributes = (json["attributes"]?.objectValue ?? [:]).reduce(into: [:]) { $0[$1.key] = $1.value.stringValue }
        tags = (json["tags"]?.objectValue ?? [:]).reduce(into: [:]) { $0[$1.key] = $1.value.stringValue }
        createdSeconds = json["created"]?.integerValue ?? 0
        modifiedSeconds = json["modified"]?.integerValue ?? 0
        purgedMillis = json["purged"]?.integerValue
    }
}

extension JSONObject {
    init(_ pairs: [(String, JSON)]) {
        self.init()
        for (k, v) in pairs.sorted(by: { $0.0 < $1.0 }) { self[k] = v }
    }
}
