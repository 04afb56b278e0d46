import StatesLanguage

/// One event of an execution's history, in AWS's format: type, id, previous event id,
/// timestamp and the type's details object (`stateEnteredEventDetails`, …).
package struct HistoryEvent: Sendable, Equatable {
    package var id: Int
    package var previousEventId: Int
    package var timestamp: Timestamp
    package var type: String
    /// The details member's name (`taskScheduledEventDetails`), nil for types without details.
    package var detailsKey: String?
    package var details: JSONObject

    package init(id: Int, previousEventId: Int, timestamp: Timestamp, type: String, detailsKey: String?, details: JSONObject) {
        self.id = id
        self.previousEventId = previousEventId
        self.timestamp = timestamp
        self.type = type
        self.detailsKey = detailsKey
        self.details = details
    }

    /// The event as GetExecutionHistory returns it (timestamp in epoch seconds).
    package var json: JSON {
        var o = JSONObject()
        o.appendUnchecked("timestamp", .double(Double(timestamp.milliseconds) / 1000))
        o.appendUnchecked("type", .string(type))
        o.appendUnchecked("id", .int(Int64(id)))
        o.appendUnchecked("previousEventId", .int(Int64(previousEventId)))
        if let detailsKey { o.appendUnchecked(detailsKey, .object(details)) }
        return .object(o)
    }
}

/// Builders for the details objects, so every event type spells its fields once.
package enum EventDetails {
    /// `{"truncated": false}`, shared rather than rebuilt for every event.
    static let notTruncated: JSON = ["truncated": false]

    package static func payload(_ key: String, _ value: JSON) -> JSONObject {
        var o = JSONObject(minimumCapacity: 2)
        o.appendUnchecked(key, .string(value.serialized))
        o.appendUnchecked(key + "Details", notTruncated)
        return o
    }

    package static func stateEntered(name: String, input: JSON) -> JSONObject {
        var o = JSONObject(minimumCapacity: 3)
        o.appendUnchecked("name", .string(name))
        o.appendUnchecked("input", .string(input.serialized))
        o.appendUnchecked("inputDetails", notTruncated)
        return o
    }

    package static func stateExited(name: String, output: JSON) -> JSONObject {
        stateExited(name: name, outputText: output.serialized)
    }

    package static func stateExited(name: String, outputText: String) -> JSONObject {
        var o = JSONObject(minimumCapacity: 3)
        o.appendUnchecked("name", .string(name))
        o.appendUnchecked("output", .string(outputText))
        o.appendUnchecked("outputDetails", notTruncated)
        return o
    }

    package static func failure(_ e: StatesError) -> JSONObject {
        var o = JSONObject(minimumCapacity: 2)
        o.appendUnchecked("error", .string(e.error))
        if let c = e.cause { o.appendUnchecked("cause", .string(c)) }
        return o
    }

    package static func iteration(name: String, index: Int) -> JSONObject {
        var o = JSONObject(minimumCapacity: 2)
        o.appendUnchecked("name", .string(name))
        o.appendUnchecked("index", .int(Int64(index)))
        return o
    }
}
