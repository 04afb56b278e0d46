import Engine
import Journal
import ServiceKit
import StatesLanguage

/// The buses and rules of one endpoint, kept as documents in the shared database (written
/// before a change is acknowledged) with each rule's pattern compiled once, in memory.
package actor EventBuses {
    /// A rule as the matcher uses it.
    struct Rule: Sendable {
        var key: String
        var record: JSONObject
        var pattern: EventPattern?
        var enabled: Bool
        var targets: [JSONObject]
    }

    let buses: DocumentBook<JSONObject>
    let rules: DocumentBook<JSONObject>
    let region: String
    let account: String
    private var compiled: [String: [String: Rule]] = [:]
    /// Per bus, its enabled rules' patterns, rebuilt when a rule changes (rare next to events).
    private var indexes: [String: (index: RuleIndex, names: [String])] = [:]
    /// Whether the default bus has an enabled rule with a pattern, readable without a hop onto
    /// this actor: every execution's start and end asks it before building a status event.
    nonisolated let defaultBusListens = LockedValue(false)

    package init(store: any DocumentStore, region: String, account: String, now: Int64) async throws(ServiceError) {
        buses = try await DocumentBook(owner: "events.buses", store: store, encode: { .object($0) }, decode: { $0.objectValue })
        rules = try await DocumentBook(owner: "events.rules", store: store, encode: { .object($0) }, decode: { $0.objectValue })
        self.region = region
        self.account = account
        if await buses.get("default") == nil {
            _ = try await buses.update("default") { (v: inout JSONObject?) throws(ServiceError) in
                if v == nil { v = ["Name": "default", "CreationTime": .double(Double(now) / 1000), "LastModifiedTime": .double(Double(now) / 1000)] }
            }
        }
        for (key, record) in await rules.all { compile(key, record, reindexing: false) }
        for bus in compiled.keys { reindex(bus) }
        await rules.watch { [weak self] key, record in await self?.ruleChangedElsewhere(key, record) }
    }

    /// Another node put, changed or deleted a rule: its pattern is compiled again here.
    func ruleChangedElsewhere(_ key: String, _ record: JSONObject?) {
        if let record { return compile(key, record) }
        let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return }
        compiled[parts[0]]?[parts[1]] = nil
        reindex(parts[0])
    }

    // MARK: names and ARNs

    // Buses are per region: a bus of the server's region is kept under its name, one of another
    // region under `name@region` (a bus name cannot hold `@`), so a client that signs for
    // us-west-1 sees that region's buses and its own default bus.

    /// The key of a bus of `name` in `region` (nil: the server's).
    func key(_ name: String, region r: String?) -> String {
        guard let r, r != region, !r.isEmpty else { return name }
        return name + "@" + r
    }

    /// A bus key's name and region.
    func parts(_ key: String) -> (name: String, region: String) {
        guard let at = key.lastIndex(of: "@") else { return (key, region) }
        return (String(key[..<at]), String(key[key.index(after: at)...]))
    }

    nonisolated static func isDefault(_ key: String) -> Bool { key == "default" || key.hasPrefix("default@") }

    func busArn(_ key: String) -> String {
        let (name, r) = parts(key)
        return "arn:aws:events:\(r):\(account):event-bus/\(name)"
    }

    func ruleArn(bus: String, name: String) -> String {
        let (busName, r) = parts(bus)
        return busName == "default" ? "arn:aws:events:\(r):\(account):rule/\(name)" : "arn:aws:events:\(r):\(account):rule/\(busName)/\(name)"
    }

    static func ruleKey(bus: String, name: String) -> String { "\(bus)|\(name)" }

    /// The key of a bus named by name or ARN (nil: the default bus) for a caller in `region`
    /// (an ARN carries its own).
    func busName(_ nameOrArn: String?, region r: String? = nil) -> String {
        guard let s = nameOrArn, !s.isEmpty else { return key("default", region: r) }
        if s.hasPrefix("arn:"), let slash = s.range(of: ":event-bus/") {
            let fields = s.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            return key(String(s[slash.upperBound...]), region: fields.count > 3 ? String(fields[3]) : nil)
        }
        return key(s, region: r)
    }

    // MARK: buses

    /// A bus's record; every region has its default bus.
    func bus(_ key: String) async -> JSONObject? {
        if let b = await buses.get(key) { return b }
        return Self.isDefault(key) ? ["Name": "default"] : nil
    }

    /// The buses of a region (nil: the server's), its default bus first.
    func allBuses(region r: String? = nil) async -> [(key: String, record: JSONObject)] {
        let home = r ?? region
        var out = await buses.all.filter { parts($0.key).region == home }.map { (key: $0.key, record: $0.value) }
        if !out.contains(where: { Self.isDefault($0.key) }) { out.insert((key("default", region: home), ["Name": "default"]), at: 0) }
        return out
    }

    /// Creates the bus of `key` (see `key(_:region:)`).
    func createBus(_ key: String, description: String?, now: Int64) async throws(ServiceError) -> JSONObject {
        let name = parts(key).name
        return try await buses.update(key) { (v: inout JSONObject?) throws(ServiceError) -> JSONObject in
            guard v == nil else { throw ServiceError("ResourceAlreadyExistsException", "Event bus \(name) already exists.") }
            var o: JSONObject = ["Name": .string(name), "CreationTime": .double(Double(now) / 1000), "LastModifiedTime": .double(Double(now) / 1000)]
            if let description { o["Description"] = .string(description) }
            v = o
            return o
        }
    }

    func deleteBus(_ name: String) async throws(ServiceError) {
        guard !Self.isDefault(name) else { throw ServiceError("ValidationException", "Cannot delete event bus default.") }
        let remaining = compiled[name] ?? [:]
        guard remaining.isEmpty else {
            throw ServiceError("ValidationException", "Cannot delete event bus \(name): it still has rules.")
        }
        _ = try await buses.update(name) { (v: inout JSONObject?) throws(ServiceError) in v = nil }
    }

    // MARK: rules

    func rule(bus: String, name: String) -> Rule? { compiled[bus]?[name] }

    func rules(bus: String) -> [Rule] { (compiled[bus] ?? [:]).values.sorted { $0.key < $1.key } }

    func allRules() -> [Rule] { compiled.values.flatMap(\.values).sorted { $0.key < $1.key } }

    /// Creates or replaces a rule's definition (its targets stay).
    func putRule(bus: String, name: String, _ change: @Sendable (inout JSONObject) throws(ServiceError) -> Void) async throws(ServiceError) -> JSONObject {
        let key = Self.ruleKey(bus: bus, name: name)
        let arn = ruleArn(bus: bus, name: name)
        let record = try await rules.update(key) { (v: inout JSONObject?) throws(ServiceError) -> JSONObject in
            var o = v ?? ["Name": .string(name), "Arn": .string(arn), "EventBusName": .string(bus), "Targets": .array([])]
            try change(&o)
            v = o
            return o
        }
        compile(key, record)
        return record
    }

    func updateRule(bus: String, name: String, _ change: @Sendable (inout JSONObject) throws(ServiceError) -> Void) async throws(ServiceError) -> JSONObject {
        let key = Self.ruleKey(bus: bus, name: name)
        let record = try await rules.update(key) { (v: inout JSONObject?) throws(ServiceError) -> JSONObject in
            guard var o = v else { throw ServiceError("ResourceNotFoundException", "Rule \(name) does not exist on EventBus \(bus).") }
            try change(&o)
            v = o
            return o
        }
        compile(key, record)
        return record
    }

    func deleteRule(bus: String, name: String) async throws(ServiceError) {
        let key = Self.ruleKey(bus: bus, name: name)
        _ = try await rules.update(key) { (v: inout JSONObject?) throws(ServiceError) in
            if let targets = v?["Targets"]?.arrayValue, !targets.isEmpty {
                throw ServiceError("ValidationException", "Rule can't be deleted since it has targets.")
            }
            v = nil
        }
        compiled[bus]?[name] = nil
        reindex(bus)
    }

    private func reindex(_ bus: String) {
        var index = RuleIndex()
        var names: [String] = []
        for rule in (compiled[bus] ?? [:]).values.sorted(by: { $0.key < $1.key }) where rule.enabled {
            guard let pattern = rule.pattern else { continue }
            index.add(pattern)
            names.append(rule.key.split(separator: "|", maxSplits: 1).last.map(String.init) ?? "")
        }
        indexes[bus] = (index, names)
        if bus == "default" {
            defaultBusListens.value = (compiled[bus] ?? [:]).values.contains { $0.enabled && $0.pattern?.mayMatch(source: "aws.states") == true }
        }
    }

    private func compile(_ key: String, _ record: JSONObject, reindexing: Bool = true) {
        let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return }
        let pattern = record["EventPattern"]?.stringValue.flatMap { try? EventPattern(text: $0) }
        compiled[parts[0], default: [:]][parts[1]] = Rule(
            key: key, record: record, pattern: pattern, enabled: record["State"]?.stringValue != "DISABLED",
            targets: (record["Targets"]?.arrayValue ?? []).compactMap(\.objectValue))
        if reindexing { reindex(parts[0]) }
    }

    /// The (rule ARN, target) pairs an event reaches on a bus: enabled rules whose pattern matches.
    func routes(bus: String, event: JSON) -> [(rule: String, target: JSONObject)] {
        guard let (index, names) = indexes[bus] else { return [] }
        var out: [(String, JSONObject)] = []
        for id in index.matches(event) {
            let name = names[id]
            guard let rule = compiled[bus]?[name] else { continue }
            let arn = rule.record["Arn"]?.stringValue ?? ""
            for t in rule.targets { out.append((arn, t)) }
        }
        return out
    }
}
