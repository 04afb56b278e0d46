import ServiceKit
import StatesLanguage

/// Rules and their targets.
extension EventsService {
    func existingBus(_ r: JSONRequest) async throws(ServiceError) -> String {
        let key = await buses.busName(try r.string("EventBusName"), region: r.region)
        guard await buses.bus(key) != nil else { throw Self.noBus(await buses.parts(key).name) }
        return key
    }

    static func noRule(_ name: String, _ bus: String) -> ServiceError {
        ServiceError("ResourceNotFoundException", "Rule \(name) does not exist on EventBus \(bus).", kind: .notFound)
    }

    func putRule(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("Name")
        let bus = try await existingBus(r)
        // An empty string is taken as absent (SDK helpers send `ScheduleExpression=""` beside a pattern; AWS accepts it).
        let pattern = try r.string("EventPattern").flatMap { $0.isEmpty ? nil : $0 }
        let schedule = try r.string("ScheduleExpression").flatMap { $0.isEmpty ? nil : $0 }
        guard pattern != nil || schedule != nil else {
            throw ServiceError("ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified.")
        }
        if let pattern { _ = try EventPattern(text: pattern) }
        if let schedule {
            guard EventBuses.isDefault(bus) else { throw ServiceError("ValidationException", "ScheduleExpression is supported only on the default event bus.") }
            guard ScheduleExpression(schedule) != nil else { throw ServiceError("ValidationException", "Parameter ScheduleExpression is not valid.") }
        }
        let state = try r.string("State") ?? "ENABLED"
        guard ["ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"].contains(state) else {
            throw ServiceError("ValidationException", "1 validation error detected: Value '\(state)' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]")
        }
        let body = r.body
        let account = self.account
        let record = try await buses.putRule(bus: bus, name: name) { (o: inout JSONObject) throws(ServiceError) in
            for k in ["EventPattern", "ScheduleExpression", "Description", "RoleArn"] { o[k] = body[k]?.stringValue == "" ? nil : body[k] }
            o["State"] = .string(state)
            o["CreatedBy"] = .string(account)
            if let tags = body["Tags"]?.arrayValue { o["Tags"] = .array(EventsService.merge(o["Tags"]?.arrayValue ?? [], tags)) }
        }
        try await scheduler.scheduled(ruleKey: EventBuses.ruleKey(bus: bus, name: name), expression: schedule)
        return ["RuleArn": record["Arn"] ?? .null]
    }

    static func describe(_ o: JSONObject) -> JSONObject {
        var out = JSONObject()
        for k in ["Name", "Arn", "EventPattern", "ScheduleExpression", "State", "Description", "RoleArn", "EventBusName", "CreatedBy"] {
            if let v = o[k] { out[k] = v }
        }
        return out
    }

    func describeRule(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("Name")
        let bus = try await existingBus(r)
        guard let rule = await buses.rule(bus: bus, name: name) else { throw Self.noRule(name, bus) }
        return .object(Self.describe(rule.record))
    }

    func listRules(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let bus = try await existingBus(r)
        let prefix = try r.string("NamePrefix") ?? ""
        let rules = await buses.rules(bus: bus).filter { ($0.record["Name"]?.stringValue ?? "").hasPrefix(prefix) }
        return try Self.paged(r, "Rules", rules.map { .object(Self.describe($0.record)) })
    }

    func setState(_ r: JSONRequest, enabled: Bool) async throws(ServiceError) -> JSON {
        let name = try r.required("Name")
        let bus = try await existingBus(r)
        guard await buses.rule(bus: bus, name: name) != nil else { throw Self.noRule(name, bus) }
        _ = try await buses.updateRule(bus: bus, name: name) { (o: inout JSONObject) throws(ServiceError) in
            o["State"] = .string(enabled ? "ENABLED" : "DISABLED")
        }
        return [:]
    }

    func deleteRule(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("Name")
        let bus = try await existingBus(r)
        // AWS: deleting a rule that does not exist succeeds.
        guard await buses.rule(bus: bus, name: name) != nil else { return [:] }
        if try r.bool("Force") == true {
            _ = try await buses.updateRule(bus: bus, name: name) { (o: inout JSONObject) throws(ServiceError) in o["Targets"] = .array([]) }
        }
        try await buses.deleteRule(bus: bus, name: name)
        try await scheduler.scheduled(ruleKey: EventBuses.ruleKey(bus: bus, name: name), expression: nil)
        return [:]
    }

    /// AWS's quota: five targets per rule.
    static let maximumTargetsPerRule = 5

    func putTargets(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("Rule")
        let bus = try await existingBus(r)
        guard await buses.rule(bus: bus, name: name) != nil else { throw Self.noRule(name, bus) }
        let targets = (r.body["Targets"]?.arrayValue ?? []).compactMap(\.objectValue)
        for (i, t) in targets.enumerated() {
            let id = t["Id"]?.stringValue ?? ""
            guard !id.isEmpty, id.utf8.allSatisfy({ Self.idCharacters.contains($0) }) else {
                throw ServiceError("ValidationException", "1 validation error detected: Value '\(id)' at 'targets.\(i + 1).member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")
            }
            // AWS refuses the whole call, not just the target.
            if ["Input", "InputPath", "InputTransformer"].filter({ t[$0] != nil }).count > 1 {
                throw ServiceError("ValidationException", "Only one of Input, InputPath, or InputTransformer must be provided for target \(id).")
            }
        }
        var failed: [JSON] = []
        var accepted: [JSONObject] = []
        for t in targets {
            let id = t["Id"]?.stringValue ?? ""
            if let problem = Self.targetProblem(t) {
                failed.append(["TargetId": .string(id), "ErrorCode": "ValidationException", "ErrorMessage": .string(problem)])
            } else {
                accepted.append(t)
            }
        }
        let accepting = accepted
        _ = try await buses.updateRule(bus: bus, name: name) { (o: inout JSONObject) throws(ServiceError) in
            var current = (o["Targets"]?.arrayValue ?? []).compactMap(\.objectValue)
            for t in accepting {
                if let i = current.firstIndex(where: { $0["Id"] == t["Id"] }) { current[i] = t } else { current.append(t) }
            }
            guard current.count <= Self.maximumTargetsPerRule else {
                throw ServiceError("LimitExceededException", "The requested resource exceeds the maximum number allowed.")
            }
            o["Targets"] = .array(current.map { .object($0) })
        }
        return ["FailedEntryCount": .int(Int64(failed.count)), "FailedEntries": .array(failed)]
    }

    static let idCharacters: Set<UInt8> = Set(Array("._-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8))

    /// What AWS refuses in one target (answered in FailedEntries, the others still put).
    static func targetProblem(_ t: JSONObject) -> String? {
        let given = ["Input", "InputPath", "InputTransformer"].filter { t[$0] != nil }
        if given.count > 1 { return "Only one of Input, InputPath, or InputTransformer must be provided." }
        if let input = t["Input"]?.stringValue, (try? JSONParser.parse(input)) == nil { return "Input is not valid JSON." }
        if let path = t["InputPath"]?.stringValue, (try? JSONPath(path)) == nil { return "InputPath is not a valid JSONPath." }
        if let transformer = t["InputTransformer"]?.objectValue {
            if let problem = InputTransformer.problem(transformer) { return problem }
        }
        return nil
    }

    func removeTargets(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("Rule")
        let bus = try await existingBus(r)
        guard await buses.rule(bus: bus, name: name) != nil else { throw Self.noRule(name, bus) }
        let ids = (r.body["Ids"]?.arrayValue ?? []).compactMap(\.stringValue)
        // AWS: an id the rule does not have is not a failure.
        _ = try await buses.updateRule(bus: bus, name: name) { (o: inout JSONObject) throws(ServiceError) in
            let current = (o["Targets"]?.arrayValue ?? []).compactMap(\.objectValue)
            o["Targets"] = .array(current.filter { !ids.contains($0["Id"]?.stringValue ?? "") }.map { .object($0) })
        }
        return ["FailedEntryCount": 0, "FailedEntries": []]
    }

    func listTargets(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("Rule")
        let bus = try await existingBus(r)
        guard let rule = await buses.rule(bus: bus, name: name) else { throw Self.noRule(name, bus) }
        return try Self.paged(r, "Targets", rule.targets.map { .object($0) })
    }

    func listRuleNamesByTarget(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let arn = try r.required("TargetArn")
        let bus = try await existingBus(r)
        let names = await buses.rules(bus: bus).filter { $0.targets.contains { $0["Arn"]?.stringValue == arn } }
            .compactMap { $0.record["Name"] }
        return try Self.paged(r, "RuleNames", names)
    }
}
