import Engine
import Foundation
import Journal
import ServiceKit
import ServiceLifecycle
import StatesLanguage

/// EventBridge Scheduler on the seam (`scheduler`, REST-JSON): schedules in groups, each a
/// `rate()`, `cron()` or one-time `at()` expression (in its time zone) that sends its target's
/// `Input` through the bus's durable delivery (retry policy included). An occurrence is
/// recorded as fired in the same commit as its delivery, so it fires once; a one-time schedule
/// with `ActionAfterCompletion: DELETE` is deleted after it fires.
package struct SchedulerService: BatonService {
    let schedules: DocumentBook<JSONObject>
    let groups: DocumentBook<JSONObject>
    /// A schedule group's tags (the only resources Scheduler tags), by group name.
    let tags: DocumentBook<JSONObject>
    let runner: ScheduleRunner
    let region: String
    let account: String
    let clock: any EngineClock

    package init(_ context: ServiceContext, events: EventsService) async throws(ServiceError) {
        region = context.region
        account = context.account
        clock = context.engine.clock
        schedules = try await DocumentBook(owner: "scheduler.schedules", store: context.store, encode: { .object($0) }, decode: { $0.objectValue })
        groups = try await DocumentBook(owner: "scheduler.groups", store: context.store, encode: { .object($0) }, decode: { $0.objectValue })
        tags = try await DocumentBook(owner: "scheduler.tags", store: context.store, encode: { .object($0) }, decode: { $0.objectValue })
        runner = try await ScheduleRunner(schedules: schedules, database: context.store, clock: context.engine.clock, delivery: events.delivery)
    }

    package var name: String { "scheduler" }

    package var browseViews: [BrowseView] {
        [BrowseView("Schedules", columns: [.init("Name", "Name"), .init("Group", "GroupName"), .init("State", "State")],
                    action: "ListSchedules", list: "Schedules")]
    }
    package var wireProtocol: WireProtocol { .restJSON }
    package var errorMessageMember: String { "Message" }

    package var routes: [RESTRoute] {
        [
            RESTRoute("POST", "/schedules/{Name}", action: "CreateSchedule"),
            RESTRoute("GET", "/schedules/{Name}", action: "GetSchedule"),
            RESTRoute("PUT", "/schedules/{Name}", action: "UpdateSchedule"),
            RESTRoute("DELETE", "/schedules/{Name}", action: "DeleteSchedule"),
            RESTRoute("GET", "/schedules", action: "ListSchedules"),
            RESTRoute("POST", "/schedule-groups/{Name}", action: "CreateScheduleGroup"),
            RESTRoute("GET", "/schedule-groups/{Name}", action: "GetScheduleGroup"),
            RESTRoute("DELETE", "/schedule-groups/{Name}", action: "DeleteScheduleGroup"),
            RESTRoute("GET", "/schedule-groups", action: "ListScheduleGroups"),
            RESTRoute("POST", "/tags/{ResourceArn}", action: "TagResource"),
            RESTRoute("DELETE", "/tags/{ResourceArn}", action: "UntagResource"),
            RESTRoute("GET", "/tags/{ResourceArn}", action: "ListTagsForResource"),
        ]
    }

    package var backgroundServices: [any ServiceLifecycle.Service] { [LoopService { [runner] in await runner.run() }] }

    package var actions: [String: Action] {
        let s = self
        let plain: [String: Action] = [
            "CreateSchedule": { c in .json(try await s.put(c, create: true)) },
            "UpdateSchedule": { c in .json(try await s.put(c, create: false)) },
            "GetSchedule": { c in .json(.object(try await s.schedule(c))) },
            "DeleteSchedule": { c in
                let key = try await s.key(c)
                _ = try await s.schedules.update(key) { (v: inout JSONObject?) throws(ServiceError) in
                    guard v != nil else { throw Self.noSchedule(c.parameter("Name")) }
                    v = nil
                }
                return .json([:])
            },
            "ListSchedules": { c in .json(try await s.list(c)) },
            "CreateScheduleGroup": { c in .json(try await s.createGroup(c)) },
            "GetScheduleGroup": { c in
                let name = c.parameter("Name")
                guard let g = await s.group(name) else { throw Self.noGroup(name) }
                return .json(.object(g))
            },
            "DeleteScheduleGroup": { c in
                let name = c.parameter("Name")
                guard name != "default" else { throw ServiceError("ValidationException", "The default schedule group cannot be deleted.") }
                _ = try await s.groups.update(name) { (v: inout JSONObject?) throws(ServiceError) in
                    guard v != nil else { throw Self.noGroup(name) }
                    v = nil
                }
                for (key, _) in await s.schedules.all where key.hasPrefix(name + "|") {
                    _ = try await s.schedules.update(key) { (v: inout JSONObject?) throws(ServiceError) in v = nil }
                }
                _ = try await s.tags.update(name) { (v: inout JSONObject?) throws(ServiceError) in v = nil }
                return .json([:])
            },
            "TagResource": { c in
                let group = try await s.taggedGroup(c)
                let added = try Self.tagPairs(s.body(c)["Tags"])
                _ = try await s.tags.update(group) { (v: inout JSONObject?) throws(ServiceError) in
                    var all = v ?? [:]
                    for (k, value) in added { all[k] = .string(value) }
                    guard all.count <= 200 else { throw ServiceError.validation("A resource can have at most 200 tags.") }
                    v = all
                }
                return .json([:])
            },
            "UntagResource": { c in
                let group = try await s.taggedGroup(c)
                let keys = c.queryValues["TagKeys"] ?? []
                _ = try await s.tags.update(group) { (v: inout JSONObject?) throws(ServiceError) in
                    for k in keys { v?[k] = nil }
                }
                return .json([:])
            },
            "ListTagsForResource": { c in
                let group = try await s.taggedGroup(c)
                let all = await s.tags.get(group) ?? [:]
                return .json(["Tags": .array(all.map { ["Key": .string($0.key), "Value": $0.value] })])
            },
            "ListScheduleGroups": { c in
                var all: [JSON] = []
                for g in await s.allGroups() where (g["Name"]?.stringValue ?? "").hasPrefix(c.query["NamePrefix"] ?? "") { all.append(.object(g)) }
                return .json(["ScheduleGroups": .array(all)])
            },
        ]
        return plain.reduce(into: [:]) { out, entry in out[entry.key] = SchedulerModel.constraints.checking(entry.key, entry.value) }
    }

    // MARK: schedules

    static func noSchedule(_ name: String) -> ServiceError {
        ServiceError("ResourceNotFoundException", "Schedule \(name) does not exist.", kind: .notFound)
    }

    static func noGroup(_ name: String) -> ServiceError {
        ServiceError("ResourceNotFoundException", "Schedule group \(name) does not exist.", kind: .notFound)
    }

    func groupName(_ c: ServiceCall, _ body: JSONObject?) -> String {
        body?["GroupName"]?.stringValue ?? c.query["groupName"] ?? "default"
    }

    func key(_ c: ServiceCall) async throws(ServiceError) -> String {
        let group = groupName(c, nil)
        guard await self.group(group) != nil else { throw Self.noGroup(group) }
        return "\(group)|\(c.parameter("Name"))"
    }

    func group(_ name: String) async -> JSONObject? {
        if name == "default" {
            return await groups.get(name) ?? ["Name": "default", "Arn": .string("arn:aws:scheduler:\(region):\(account):schedule-group/default"), "State": "ACTIVE"]
        }
        return await groups.get(name)
    }

    func allGroups() async -> [JSONObject] {
        var out = await groups.all.map(\.value)
        if !out.contains(where: { $0["Name"] == "default" }), let d = await group("default") { out.insert(d, at: 0) }
        return out
    }

    /// The schedule group a tagging call names by ARN.
    func taggedGroup(_ c: ServiceCall) async throws(ServiceError) -> String {
        let arn = c.parameter("ResourceArn")
        guard let slash = arn.range(of: ":schedule-group/") else {
            throw ServiceError.validation("Invalid resource ARN: \(arn). Only schedule groups have tags.")
        }
        let name = String(arn[slash.upperBound...])
        guard await group(name) != nil else { throw Self.noGroup(name) }
        return name
    }

    /// `[{Key, Value}]` as pairs, with AWS's limits on their lengths.
    static func tagPairs(_ list: JSON?) throws(ServiceError) -> [(String, String)] {
        var out: [(String, String)] = []
        for t in list?.arrayValue ?? [] {
            guard let k = t["Key"]?.stringValue, let v = t["Value"]?.stringValue, (1...128).contains(k.count), v.count <= 256 else {
                throw ServiceError.validation("A tag needs a Key of 1 to 128 characters and a Value of at most 256.")
            }
            out.append((k, v))
        }
        return out
    }

    func createGroup(_ c: ServiceCall) async throws(ServiceError) -> JSON {
        let name = c.parameter("Name")
        let initial = try Self.tagPairs(try body(c)["Tags"])
        let arn = "arn:aws:scheduler:\(region):\(account):schedule-group/\(name)"
        let now = Self.seconds(clock.now())
        _ = try await groups.update(name) { (v: inout JSONObject?) throws(ServiceError) in
            guard v == nil, name != "default" else { throw ServiceError("ConflictException", "Schedule group \(name) already exists.", kind: .conflict) }
            v = ["Name": .string(name), "Arn": .string(arn), "State": "ACTIVE", "CreationDate": now, "LastModificationDate": now]
        }
        if !initial.isEmpty {
            _ = try await tags.update(name) { (v: inout JSONObject?) throws(ServiceError) in
                var all = JSONObject()
                for (k, value) in initial { all[k] = .string(value) }
                v = all
            }
        }
        return ["ScheduleGroupArn": .string(arn)]
    }

    static func seconds(_ t: Timestamp) -> JSON { .double(Double(t.milliseconds) / 1000) }

    func body(_ c: ServiceCall) throws(ServiceError) -> JSONObject {
        if c.body.isEmpty { return [:] }
        guard case .object(let o)? = c.parsedBody ?? (try? JSONParser.parse(c.body)) else {
            throw ServiceError("ValidationException", "The request body must be a JSON object.")
        }
        return o
    }

    func put(_ c: ServiceCall, create: Bool) async throws(ServiceError) -> JSON {
        let name = c.parameter("Name")
        let b = try body(c)
        let group = groupName(c, b)
        guard await self.group(group) != nil else { throw Self.noGroup(group) }
        guard let expression = b["ScheduleExpression"]?.stringValue else { throw ServiceError("ValidationException", "ScheduleExpression is required.") }
        let zone = b["ScheduleExpressionTimezone"]?.stringValue ?? "UTC"
        guard TimeZone(identifier: zone) != nil else { throw ServiceError("ValidationException", "Invalid time zone \(zone).") }
        guard SchedulerExpression(expression, zone: zone) != nil else {
            throw ServiceError("ValidationException", "Invalid Schedule Expression \(expression).")
        }
        guard let target = b["Target"]?.objectValue, target["Arn"]?.stringValue != nil, target["RoleArn"]?.stringValue != nil else {
            throw ServiceError("ValidationException", "Target with Arn and RoleArn is required.")
        }
        guard let window = b["FlexibleTimeWindow"]?.objectValue, ["OFF", "FLEXIBLE"].contains(window["Mode"]?.stringValue ?? "") else {
            throw ServiceError("ValidationException", "FlexibleTimeWindow with Mode OFF or FLEXIBLE is required.")
        }
        if window["Mode"] == "FLEXIBLE", window["MaximumWindowInMinutes"]?.integerValue == nil {
            throw ServiceError("ValidationException", "MaximumWindowInMinutes is required when the FlexibleTimeWindow's Mode is FLEXIBLE.")
        }
        let arn = "arn:aws:scheduler:\(region):\(account):schedule/\(group)/\(name)"
        let now = clock.now()
        let key = "\(group)|\(name)"
        _ = try await schedules.update(key) { (v: inout JSONObject?) throws(ServiceError) in
            if create, v != nil { throw ServiceError("ConflictException", "Schedule \(name) already exists.", kind: .conflict) }
            if !create, v == nil { throw Self.noSchedule(name) }
            var o: JSONObject = ["Arn": .string(arn), "Name": .string(name), "GroupName": .string(group),
                                 "ScheduleExpression": .string(expression), "ScheduleExpressionTimezone": .string(zone),
                                 "State": .string(b["State"]?.stringValue ?? "ENABLED"), "Target": .object(target),
                                 "FlexibleTimeWindow": .object(window),
                                 "ActionAfterCompletion": .string(b["ActionAfterCompletion"]?.stringValue ?? "NONE"),
                                 "CreationDate": v?["CreationDate"] ?? Self.seconds(now), "LastModificationDate": Self.seconds(now),
                                 "Anchor": .int(now.milliseconds)]
            for k in ["Description", "StartDate", "EndDate", "KmsKeyArn"] { if let x = b[k] { o[k] = x } }
            v = o
        }
        await runner.changed()
        return ["ScheduleArn": .string(arn)]
    }

    func schedule(_ c: ServiceCall) async throws(ServiceError) -> JSONObject {
        let key = try await key(c)
        guard var o = await schedules.get(key) else { throw Self.noSchedule(c.parameter("Name")) }
        o["Anchor"] = nil
        return o
    }

    func list(_ c: ServiceCall) async throws(ServiceError) -> JSON {
        let prefix = c.query["NamePrefix"] ?? "", group = c.query["ScheduleGroup"], state = c.query["State"]
        var out: [JSON] = []
        for (_, o) in await schedules.all {
            guard (o["Name"]?.stringValue ?? "").hasPrefix(prefix) else { continue }
            if let group, o["GroupName"]?.stringValue != group { continue }
            if let state, o["State"]?.stringValue != state { continue }
            var item: JSONObject = [:]
            for k in ["Arn", "Name", "GroupName", "State", "CreationDate", "LastModificationDate"] { if let v = o[k] { item[k] = v } }
            item["Target"] = ["Arn": o["Target"]?["Arn"] ?? .null]
            out.append(.object(item))
        }
        return ["Schedules": .array(out)]
    }
}
