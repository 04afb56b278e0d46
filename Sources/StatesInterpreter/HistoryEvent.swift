import StatesLanguage

/// One event of an execution's history, in AWS's format: type, id, previous event id,
/// timestamp and the type's details object (`stateEnteredEventDetails`, …).
///
/// Payload fields (`input`, `output`, `parameters`) hold the JSON value itself; AWS sends
/// them as JSON text, and `json` renders them so. Keeping the value avoids serialising every
/// payload twice (once here, once more when the event itself is written out).
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
        if let detailsKey {
            var rendered = details
            for key in HistoryEvent.payloadKeys {
                if let v = rendered[key] { rendered[key] = .string(v.serialized) }
            }
            o.appendUnchecked(detailsKey, .object(rendered))
        }
        return .object(o)
    }

    /// Details fields that carry a payload, sent by AWS as JSON text.
    package static let payloadKeys = ["input", "output", "parameters"]
}

/// Builders for the details objects, so every event type spells its fields once.
package enum EventDetails {
    /// `{"truncated": false}`, shared rather than rebuilt for every event.
    static let notTruncated: JSON = ["truncated": false]

    package static func payload(_ key: String, _ value: JSON) -> JSONObject {
        var o = JSONObject(minimumCapacity: 2)
        o.appendUnchecked(key, value)
        o.appendUnchecked(key + "Details", notTruncated)
        return o
    }

    package static func stateEntered(name: String, input: JSON) -> JSONObject {
        var o = JSONObject(minimumCapacity: 3)
        o.appendUnchecked("name", .string(name))
        o.appendUnchecked("input", input)
        o.appendUnchecked("inputDetails", notTruncated)
        return o
    }

    package static func stateExited(name: String, output: JSON) -> JSONObject {
        var o = JSONObject(minimumCapacity: 3)
        o.appendUnchecked("name", .string(name))
        o.appendUnchecked("output", output)
        o.appendUnchecked("outputDetails", notTruncated)
        return o
    }

    package static func failure(_ e: StatesError) -> JSONObject {
        var o = JSONObject(minimumCapacity: 2)
        // A Fail state without Error records none.
        if !e.error.isEmpty { o.appendUnchecked("error", .string(e.error)) }
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
