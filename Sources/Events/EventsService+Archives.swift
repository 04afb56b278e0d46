import Foundation
import Journal
import ServiceKit
import StatesLanguage

/// Archives keep a bus's events (those their pattern matches) in the journal, written in the
/// same commit as the event's deliveries; a replay sends an archive's events from a time
/// window back through a bus's rules, each marked with the replay's name.
extension EventsService {
    static func archiveOwner(_ name: String) -> String { "events.archived." + name }

    func archiveArn(_ name: String) -> String { "arn:aws:events:\(region):\(account):archive/\(name)" }
    func replayArn(_ name: String) -> String { "arn:aws:events:\(region):\(account):replay/\(name)" }

    static func noArchive(_ name: String) -> ServiceError {
        ServiceError("ResourceNotFoundException", "Archive \(name) does not exist.", kind: .notFound)
    }

    func createArchive(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("ArchiveName")
        let source = try r.required("EventSourceArn")
        let bus = await buses.busName(source)
        guard await buses.bus(bus) != nil else { throw Self.noBus(bus) }
        if let pattern = try r.string("EventPattern") { _ = try EventPattern(text: pattern) }
        let now = self.now
        var record: JSONObject = ["ArchiveName": .string(name), "ArchiveArn": .string(archiveArn(name)), "EventSourceArn": .string(source),
                                  "State": "ENABLED", "CreationTime": Self.seconds(now), "RetentionDays": .int(Int64(try r.int("RetentionDays") ?? 0))]
        if let d = try r.string("Description") { record["Description"] = .string(d) }
        if let p = try r.string("EventPattern") { record["EventPattern"] = .string(p) }
        try await archives.insert(name, record, ifTaken: ServiceError("ResourceAlreadyExistsException", "Archive \(name) already exists."))
        return ["ArchiveArn": record["ArchiveArn"] ?? .null, "State": "ENABLED", "CreationTime": Self.seconds(now)]
    }

    func describeArchiveRecord(_ o: JSONObject) async -> JSONObject {
        var out = o
        let name = o["ArchiveName"]?.stringValue ?? ""
        let rows = (try? await database.documents(owner: Self.archiveOwner(name))) ?? []
        out["EventCount"] = .int(Int64(rows.count))
        out["SizeBytes"] = .int(Int64(rows.reduce(0) { $0 + $1.body.count }))
        return out
    }

    func describeArchive(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("ArchiveName")
        guard let a = await archives.get(name) else { throw Self.noArchive(name) }
        return .object(await describeArchiveRecord(a))
    }

    func listArchives(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let prefix = try r.string("NamePrefix") ?? ""
        let source = try r.string("EventSourceArn")
        if let source {
            let bus = await buses.busName(source)
            guard await buses.bus(bus) != nil else { throw Self.noBus(bus) }
        }
        let state = try r.string("State")
        var out: [JSON] = []
        for (_, a) in await archives.all {
            guard (a["ArchiveName"]?.stringValue ?? "").hasPrefix(prefix) else { continue }
            if let source, a["EventSourceArn"]?.stringValue != source { continue }
            if let state, a["State"]?.stringValue != state { continue }
            var o = await describeArchiveRecord(a)
            o["Description"] = nil
            o["EventPattern"] = nil
            o["ArchiveArn"] = nil
            out.append(.object(o))
        }
        return try Self.paged(r, "Archives", out)
    }

    func updateArchive(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("ArchiveName")
        let description = try r.string("Description"), pattern = try r.string("EventPattern"), retention = try r.int("RetentionDays")
        guard description != nil || pattern != nil || retention != nil else {
            throw ServiceError("ValidationException", "At least one of EventPattern, RetentionDays or Description must be provided.")
        }
        if let pattern { _ = try EventPattern(text: pattern) }
        let updated = try await archives.update(name) { (v: inout JSONObject?) throws(ServiceError) -> JSONObject in
            guard var o = v else { throw Self.noArchive(name) }
            if let description { o["Description"] = .string(description) }
            if let pattern { o["EventPattern"] = .string(pattern) }
            if let retention { o["RetentionDays"] = .int(Int64(retention)) }
            v = o
            return o
        }
        return ["ArchiveArn": updated["ArchiveArn"] ?? .null, "State": updated["State"] ?? "ENABLED", "CreationTime": updated["CreationTime"] ?? .null]
    }

    func deleteArchive(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("ArchiveName")
        _ = try await archives.update(name) { (v: inout JSONObject?) throws(ServiceError) in
            guard v != nil else { throw Self.noArchive(name) }
            v = nil
        }
        return [:]
    }

    /// The archive documents an event adds (archives of its bus whose pattern, if any, matches).
    func archiving(_ event: JSON, bus: String) async -> [DocumentWrite] {
        var out: [DocumentWrite] = []
        let busArn = await buses.busArn(bus)
        for (name, a) in await archives.all where a["State"]?.stringValue == "ENABLED" {
            guard await buses.busName(a["EventSourceArn"]?.stringValue) == bus || a["EventSourceArn"]?.stringValue == busArn else { continue }
            if let text = a["EventPattern"]?.stringValue {
                guard let p = try? EventPattern(text: text), p.matches(event) else { continue }
            }
            let key = String(format: "%015lld|", now) + (event["id"]?.stringValue ?? UUIDText.random())
            out.append(DocumentWrite(owner: Self.archiveOwner(name), key: key, body: event.serializedBytes))
        }
        return out
    }

    // MARK: replays

    func startReplay(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("ReplayName")
        let source = try r.required("EventSourceArn")
        let archive = String(source.split(separator: "/", maxSplits: 1).last ?? "")
        guard source.contains(":archive/"), await archives.get(archive) != nil else {
            throw ServiceError("ValidationException", "Parameter EventSourceArn is not valid. Reason: Archive \(archive) does not exist.")
        }
        guard let start = r.body["EventStartTime"]?.numberValue, let end = r.body["EventEndTime"]?.numberValue else {
            throw ServiceError("ValidationException", "Parameters EventStartTime and EventEndTime are required.")
        }
        guard start < end else {
            throw ServiceError("ValidationException", "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.")
        }
        guard let destination = r.body["Destination"]?.objectValue, let target = destination["Arn"]?.stringValue else {
            throw ServiceError("ValidationException", "Parameter Destination is required.")
        }
        let now = self.now
        var record: JSONObject = ["ReplayName": .string(name), "ReplayArn": .string(replayArn(name)), "EventSourceArn": .string(source),
                                  "Destination": .object(destination), "EventStartTime": .double(start), "EventEndTime": .double(end),
                                  "State": "STARTING", "ReplayStartTime": Self.seconds(now)]
        if let d = try r.string("Description") { record["Description"] = .string(d) }
        let created = record
        _ = try await replays.update(name) { (v: inout JSONObject?) throws(ServiceError) in
            guard v == nil else { throw ServiceError("ResourceAlreadyExistsException", "Replay \(name) already exists.") }
            v = created
        }
        let service = self
        let filters = Set((destination["FilterArns"]?.arrayValue ?? []).compactMap(\.stringValue))
        Task { await service.replay(name, archive: archive, from: Int64(start * 1000), to: Int64(end * 1000), bus: target, rules: filters) }
        return ["ReplayArn": created["ReplayArn"] ?? .null, "State": "STARTING", "ReplayStartTime": Self.seconds(now)]
    }

    /// Sends the archive's events from the window through the destination bus's rules (only
    /// `rules` when given), each marked with `replay-name`, then marks the replay completed.
    func replay(_ name: String, archive: String, from: Int64, to: Int64, bus busArn: String, rules: Set<String>) async {
        let bus = await buses.busName(busArn)
        var last: Int64?
        let rows = (try? await database.documents(owner: Self.archiveOwner(archive))) ?? []
        for row in rows {
            guard await replays.get(name)?["State"]?.stringValue != "CANCELLING",
                  let at = Int64(row.key.prefix(while: { $0 != "|" })), at >= from, at < to,
                  case .object(let original)? = try? JSONParser.parse(row.body) else { continue }
            var event = JSONObject()
            for (k, v) in original {
                if k == "resources" { event.appendUnchecked("replay-name", .string(name)) }
                event.appendUnchecked(k, v)
            }
            let routes = await buses.routes(bus: bus, event: .object(event)).filter { rules.isEmpty || rules.contains($0.rule) }
            try? await delivery.enqueue(routes.map { (.object(event), $0.rule, $0.target) })
            last = at
        }
        let end = now
        _ = try? await replays.update(name) { (v: inout JSONObject?) throws(ServiceError) in
            guard var o = v else { return }
            o["State"] = o["State"]?.stringValue == "CANCELLING" ? "CANCELLED" : "COMPLETED"
            o["ReplayEndTime"] = Self.seconds(end)
            if let last { o["EventLastReplayedTime"] = Self.seconds(last) }
            v = o
        }
    }

    func describeReplay(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("ReplayName")
        guard let o = await replays.get(name) else {
            throw ServiceError("ResourceNotFoundException", "Replay \(name) does not exist.", kind: .notFound)
        }
        return .object(o)
    }

    func listReplays(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let prefix = try r.string("NamePrefix") ?? "", source = try r.string("EventSourceArn"), state = try r.string("State")
        var out: [JSON] = []
        for (_, o) in await replays.all {
            guard (o["ReplayName"]?.stringValue ?? "").hasPrefix(prefix) else { continue }
            if let source, o["EventSourceArn"]?.stringValue != source { continue }
            if let state, o["State"]?.stringValue != state { continue }
            var item = o
            item["Destination"] = nil
            item["Description"] = nil
            item["ReplayArn"] = nil
            out.append(.object(item))
        }
        return try Self.paged(r, "Replays", out)
    }

    func cancelReplay(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("ReplayName")
        let o = try await replays.update(name) { (v: inout JSONObject?) throws(ServiceError) -> JSONObject in
            guard var o = v else { throw ServiceError("ResourceNotFoundException", "Replay \(name) does not exist.", kind: .notFound) }
            guard ["STARTING", "RUNNING"].contains(o["State"]?.stringValue ?? "") else {
                throw ServiceError("IllegalStatusException", "Replay \(name) is not in a state that can be cancelled.")
            }
            o["State"] = "CANCELLING"
            v = o
            return o
        }
        return ["ReplayArn": o["ReplayArn"] ?? .null, "State": "CANCELLING"]
    }
}
