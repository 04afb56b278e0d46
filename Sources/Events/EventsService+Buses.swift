import ServiceKit
import StatesLanguage

/// Buses and the paging their lists share.
extension EventsService {
    func createEventBus(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("Name")
        guard !name.hasPrefix("aws.") else {
            throw ServiceError("ValidationException", "Event source aws.partner does not exist.")
        }
        guard !name.contains("/") || name.hasPrefix("aws.partner/") else {
            throw ServiceError("ValidationException", "Event bus name must not contain '/'.")
        }
        let key = await buses.key(name, region: r.region)
        _ = try await buses.createBus(key, description: try r.string("Description"), now: now)
        let arn = await buses.busArn(key)
        if let tags = r.body["Tags"]?.arrayValue { try await tagBus(key, tags) }
        var out: JSONObject = ["EventBusArn": .string(arn)]
        if let d = try r.string("Description") { out["Description"] = .string(d) }
        return .object(out)
    }

    func describeEventBus(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let key = await buses.busName(try r.string("Name"), region: r.region)
        guard let bus = await buses.bus(key) else { throw Self.noBus(await buses.parts(key).name) }
        return .object(await describe(bus, key: key))
    }

    func describe(_ bus: JSONObject, key: String) async -> JSONObject {
        let name = bus["Name"]?.stringValue ?? ""
        var out: JSONObject = ["Name": .string(name), "Arn": .string(await buses.busArn(key))]
        for k in ["Description", "CreationTime", "LastModifiedTime", "Policy"] { if let v = bus[k] { out[k] = v } }
        return out
    }

    func deleteEventBus(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let key = await buses.key(try r.required("Name"), region: r.region)
        // AWS: deleting a bus that does not exist succeeds.
        if await buses.buses.get(key) != nil { try await buses.deleteBus(key) }
        return [:]
    }

    func listEventBuses(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let prefix = try r.string("NamePrefix") ?? ""
        var all: [JSON] = []
        for (key, bus) in await buses.allBuses(region: r.region) where (bus["Name"]?.stringValue ?? "").hasPrefix(prefix) {
            all.append(.object(await describe(bus, key: key)))
        }
        return try Self.paged(r, "EventBuses", all)
    }

    static func noBus(_ name: String) -> ServiceError {
        ServiceError("ResourceNotFoundException", "Event bus \(name) does not exist.", kind: .notFound)
    }

    /// `Limit` and `NextToken`, as EventBridge's lists page.
    static func paged(_ r: JSONRequest, _ key: String, _ items: [JSON]) throws(ServiceError) -> JSON {
        var start = 0
        if let token = try r.string("NextToken") {
            guard token.hasPrefix("o"), let n = Int(token.dropFirst()), n >= 0, n <= items.count else {
                throw ServiceError("ValidationException", "The NextToken provided is invalid.")
            }
            start = n
        }
        let limit = try r.int("Limit") ?? 100
        let end = min(items.count, start + max(1, limit))
        var out: JSONObject = [key: .array(Array(items[start..<end]))]
        if end < items.count { out["NextToken"] = .string("o\(end)") }
        return .object(out)
    }

    func tagBus(_ name: String, _ tags: [JSON]) async throws(ServiceError) {
        _ = try await buses.buses.update(name) { (v: inout JSONObject?) throws(ServiceError) in
            guard var o = v else { throw Self.noBus(name) }
            o["Tags"] = .array(Self.merge(o["Tags"]?.arrayValue ?? [], tags))
            v = o
        }
    }

    /// Tags as `[{"Key","Value"}]`, a later value replacing an earlier one of the same key.
    static func merge(_ old: [JSON], _ new: [JSON]) -> [JSON] {
        var out = old
        for t in new {
            guard let key = t["Key"]?.stringValue else { continue }
            if let i = out.firstIndex(where: { $0["Key"]?.stringValue == key }) { out[i] = t } else { out.append(t) }
        }
        return out
    }

    func tag(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let arn = try r.required("ResourceARN")
        let tags = r.body["Tags"]?.arrayValue ?? []
        try await updateTags(arn) { Self.merge($0, tags) }
        return [:]
    }

    func untag(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let arn = try r.required("ResourceARN")
        let keys = Set((r.body["TagKeys"]?.arrayValue ?? []).compactMap(\.stringValue))
        try await updateTags(arn) { $0.filter { !keys.contains($0["Key"]?.stringValue ?? "") } }
        return [:]
    }

    func listTags(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let arn = try r.required("ResourceARN")
        if let (bus, rule) = await resolve(arn) {
            if let rule { return ["Tags": .array(await buses.rule(bus: bus, name: rule)?.record["Tags"]?.arrayValue ?? [])] }
            return ["Tags": .array(await buses.bus(bus)?["Tags"]?.arrayValue ?? [])]
        }
        throw Self.missing(arn)
    }

    /// A bus or rule ARN of this endpoint, as (bus, rule name or nil) when it exists.
    func resolve(_ arn: String) async -> (String, String?)? {
        let prefix = "arn:aws:events:\(region):\(account):"
        guard arn.hasPrefix(prefix) else { return nil }
        let rest = arn.dropFirst(prefix.count)
        if rest.hasPrefix("event-bus/") {
            let name = String(rest.dropFirst("event-bus/".count))
            return await buses.bus(name) == nil ? nil : (name, nil)
        }
        if rest.hasPrefix("rule/") {
            let parts = rest.dropFirst("rule/".count).split(separator: "/", maxSplits: 1).map(String.init)
            let (bus, rule) = parts.count == 2 ? (parts[0], parts[1]) : ("default", parts[0])
            return await buses.rule(bus: bus, name: rule) == nil ? nil : (bus, rule)
        }
        return nil
    }

    /// AWS names what is missing by its kind: the rule (on its bus) or the bus.
    static func missing(_ arn: String) -> ServiceError {
        if let r = arn.range(of: ":rule/") {
            let parts = arn[r.upperBound...].split(separator: "/", maxSplits: 1).map(String.init)
            let (bus, rule) = parts.count == 2 ? (parts[0], parts[1]) : ("default", parts.first ?? "")
            return noRule(rule, bus)
        }
        if let r = arn.range(of: ":event-bus/") { return noBus(String(arn[r.upperBound...])) }
        return ServiceError("ResourceNotFoundException", "Resource \(arn) not found.", kind: .notFound)
    }

    func updateTags(_ arn: String, _ change: @escaping @Sendable ([JSON]) -> [JSON]) async throws(ServiceError) {
        guard let (bus, rule) = await resolve(arn) else { throw Self.missing(arn) }
        if let rule {
            _ = try await buses.updateRule(bus: bus, name: rule) { (o: inout JSONObject) throws(ServiceError) in
                o["Tags"] = .array(change(o["Tags"]?.arrayValue ?? []))
            }
        } else {
            _ = try await buses.buses.update(bus) { (v: inout JSONObject?) throws(ServiceError) in
                guard var o = v else { throw Self.noBus(bus) }
                o["Tags"] = .array(change(o["Tags"]?.arrayValue ?? []))
                v = o
            }
        }
    }
}

/// A bus's resource policy: PutPermission adds a statement, RemovePermission takes one (or all) away.
extension EventsService {
    func putPermission(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let bus = await buses.busName(try r.string("EventBusName"), region: r.region)
        guard await buses.bus(bus) != nil else { throw Self.noBus(await buses.parts(bus).name) }
        let arn = await buses.busArn(bus)
        if let whole = try r.string("Policy") {
            guard case .object? = try? JSONParser.parse(whole) else { throw ServiceError("MalformedPolicyDocumentException", "The policy is not valid JSON.") }
            try await setPolicy(bus) { _ in try? JSONParser.parse(whole).objectValue }
            return [:]
        }
        let sid = try r.required("StatementId")
        let principal = try r.required("Principal")
        var statement: JSONObject = ["Sid": .string(sid), "Effect": "Allow",
                                     "Principal": principal == "*" ? "*" : ["AWS": .string("arn:aws:iam::\(principal):root")],
                                     "Action": .string(try r.string("Action") ?? "events:PutEvents"), "Resource": .string(arn)]
        if let c = r.body["Condition"]?.objectValue, let key = c["Key"]?.stringValue, let value = c["Value"] {
            statement["Condition"] = .object([c["Type"]?.stringValue ?? "StringEquals": .object([key: value])])
        }
        let added = statement
        try await setPolicy(bus) { policy in
            var p = policy ?? ["Version": "2012-10-17", "Statement": []]
            var statements = (p["Statement"]?.arrayValue ?? []).filter { $0["Sid"]?.stringValue != sid }
            statements.append(.object(added))
            p["Statement"] = .array(statements)
            return p
        }
        return [:]
    }

    func removePermission(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let bus = await buses.busName(try r.string("EventBusName"), region: r.region)
        guard let record = await buses.bus(bus) else { throw Self.noBus(await buses.parts(bus).name) }
        let policy = record["Policy"]?.stringValue.flatMap { try? JSONParser.parse($0).objectValue }
        if try r.bool("RemoveAllPermissions") == true {
            guard policy != nil else { throw ServiceError("ResourceNotFoundException", "EventBus does not have a policy.", kind: .notFound) }
            try await setPolicy(bus) { _ in nil }
            return [:]
        }
        let sid = try r.required("StatementId")
        let statements = policy?["Statement"]?.arrayValue ?? []
        guard statements.contains(where: { $0["Sid"]?.stringValue == sid }) else {
            throw ServiceError("ResourceNotFoundException", "Statement with the provided id does not exist.", kind: .notFound)
        }
        try await setPolicy(bus) { p in
            guard var p else { return nil }
            let left = statements.filter { $0["Sid"]?.stringValue != sid }
            if left.isEmpty { return nil }
            p["Statement"] = .array(left)
            return p
        }
        return [:]
    }

    /// Replaces the bus's policy (nil removes it), kept as the JSON text DescribeEventBus returns.
    func setPolicy(_ bus: String, _ change: @escaping @Sendable (JSONObject?) -> JSONObject?) async throws(ServiceError) {
        let now = self.now
        // A region's default bus exists before anything is stored for it.
        let implicit: JSONObject? = EventBuses.isDefault(bus) ? ["Name": "default"] : nil
        _ = try await buses.buses.update(bus) { (v: inout JSONObject?) throws(ServiceError) in
            guard var o = v ?? implicit else { throw Self.noBus(bus) }
            let current = o["Policy"]?.stringValue.flatMap { try? JSONParser.parse($0).objectValue }
            o["Policy"] = change(current).map { .string(JSON.object($0).serialized) }
            o["LastModifiedTime"] = Self.seconds(now)
            v = o
        }
    }
}
