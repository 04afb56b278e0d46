import Foundation
import Journal
import ServiceKit
import StatesLanguage

/// PutEvents and TestEventPattern.
extension EventsService {
    /// AWS's current limit for a PutEvents request's entries together.
    static let maximumRequestBytes = 1024 * 1024

    func putEvents(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let entries = (r.body["Entries"]?.arrayValue ?? []).map { $0.objectValue ?? [:] }
        var size = 0
        for e in entries { size += Self.entrySize(e) }
        guard size <= Self.maximumRequestBytes else {
            throw ServiceError("ValidationException", "Total size of the entries in the request is over the limit.")
        }
        let now = clock.now()
        var results: [JSON] = []
        var archived: [DocumentWrite] = []
        var deliveries: [EventDelivery.Delivery] = []
        let nowMillis = now.milliseconds
        var failed = 0
        for e in entries {
            switch await event(from: e, at: now, region: r.region) {
            case .failure(let problem):
                failed += 1
                results.append(["ErrorCode": .string(problem.code), "ErrorMessage": .string(problem.message)])
            case .success(let (bus, event)):
                // The entry's own TraceHeader, else the request's trace.
                let trace = e["TraceHeader"]?.stringValue ?? r.traceHeader
                for route in await buses.routes(bus: bus, event: event) {
                    deliveries.append(EventDelivery.Delivery(id: UUIDText.ordered(millis: nowMillis), event: event, rule: route.rule,
                                                             target: route.target, traceHeader: trace))
                }
                archived += await archiving(event, bus: bus)
                results.append(["EventId": event["id"] ?? .null])
            }
        }
        do { try await delivery.deliver(deliveries, now: nowMillis, archiving: archived) } catch {
            throw ServiceError("InternalException", "The events could not be stored: \(error)", kind: .server)
        }
        return ["FailedEntryCount": .int(Int64(failed)), "Entries": .array(results)]
    }

    /// More than ten entries: refused in AWS's words, which show each entry as its Java
    /// service renders it (`PutEventsRequestEntry(time=null, source=…, …)`).
    static func checkEntryCount(_ r: JSONRequest) throws(ServiceError) {
        guard let entries = r.body["Entries"]?.arrayValue, entries.count > 10 else { return }
        func field(_ v: JSON?) -> String {
            guard let v, !v.isNull else { return "null" }
            if let s = v.stringValue { return s }
            if let a = v.arrayValue { return "[" + a.map { $0.stringValue ?? $0.serialized }.joined(separator: ", ") + "]" }
            return v.serialized
        }
        let shown = entries.map { e in
            "PutEventsRequestEntry(time=\(field(e["Time"])), source=\(field(e["Source"])), resources=\(field(e["Resources"])), detailType=\(field(e["DetailType"])), detail=\(field(e["Detail"])), eventBusName=\(field(e["EventBusName"])), traceHeader=\(field(e["TraceHeader"])), kmsKeyIdentifier=null, internalMetadata=null)"
        }
        throw ServiceError.validation("1 validation error detected: Value '[\(shown.joined(separator: ", "))]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10")
    }

    /// AWS's entry-size rule: the UTF-8 bytes of Source, DetailType, Detail, each Resource, and 14 bytes for Time.
    static func entrySize(_ e: JSONObject) -> Int {
        var n = 0
        if e["Time"] != nil { n += 14 }
        for k in ["Source", "DetailType", "Detail"] { n += e[k]?.stringValue?.utf8.count ?? 0 }
        for res in e["Resources"]?.arrayValue ?? [] { n += res.stringValue?.utf8.count ?? 0 }
        return n
    }

    /// The event a PutEvents entry makes, and its bus; or why it is refused (per entry, as AWS answers).
    func event(from e: JSONObject, at now: Timestamp, region callerRegion: String? = nil) async -> Result<(String, JSON), ServiceError> {
        guard let source = e["Source"]?.stringValue, !source.isEmpty else {
            return .failure(ServiceError("InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."))
        }
        guard let detailType = e["DetailType"]?.stringValue, !detailType.isEmpty else {
            return .failure(ServiceError("InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."))
        }
        guard let detailText = e["Detail"]?.stringValue else {
            return .failure(ServiceError("InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."))
        }
        guard case .object? = try? JSONParser.parse(detailText), let detail = try? JSONParser.parse(detailText) else {
            return .failure(ServiceError("MalformedDetail", "Detail is malformed."))
        }
        // An event for a bus that does not exist is accepted and matches no rule, as on AWS.
        let bus = await buses.busName(e["EventBusName"]?.stringValue, region: callerRegion)
        var time = now
        if let t = e["Time"] {
            if let seconds = t.numberValue { time = Timestamp(milliseconds: Int64(seconds * 1000)) }
            else if let text = t.stringValue, let parsed = Timestamp(iso8601: text) { time = parsed }
        }
        var o = JSONObject()
        o.appendUnchecked("version", "0")
        o.appendUnchecked("id", .string(UUIDText.random()))
        o.appendUnchecked("detail-type", .string(detailType))
        o.appendUnchecked("source", .string(source))
        o.appendUnchecked("account", .string(account))
        o.appendUnchecked("time", .string(Self.eventTime(time)))
        o.appendUnchecked("region", .string(await buses.parts(bus).region))
        o.appendUnchecked("resources", .array(e["Resources"]?.arrayValue ?? []))
        o.appendUnchecked("detail", detail)
        return .success((bus, .object(o)))
    }

    /// Events carry their time to the second: `2022-07-13T13:48:01Z`.
    static func eventTime(_ t: Timestamp) -> String {
        let full = t.iso8601
        guard let dot = full.firstIndex(of: ".") else { return full }
        return String(full[..<dot]) + "Z"
    }

    func testEventPattern(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let pattern = try EventPattern(text: try r.required("EventPattern"))
        let text = try r.required("Event")
        guard case .object(let event)? = try? JSONParser.parse(text) else {
            throw ServiceError("ValidationException", "Parameter Event is not valid.")
        }
        for field in ["id", "account", "source", "time", "region", "detail-type"] where event[field] == nil {
            throw ServiceError("ValidationException", "Parameter Event is not valid.")
        }
        return ["Result": .bool(pattern.matches(.object(event)))]
    }
}
