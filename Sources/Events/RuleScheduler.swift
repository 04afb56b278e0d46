import Engine
import Journal
import ServiceKit
import ServiceLifecycle
import StatesLanguage

/// Fires the default bus's scheduled rules (`rate(...)`, `cron(...)`) as durable triggers. Each
/// rule's last fired occurrence is a document written in the same commit as the deliveries it
/// makes, and each delivery's id names the occurrence: an occurrence fires once, never twice,
/// and one that fell due while the server was down fires once when it comes back (the latest
/// one only, as a missed schedule does not replay every period).
///
/// Nodes sharing one database: a rule fires on the node that owns its key's partition (the
/// engine's lease), and should two fire one occurrence across a lease's handover, the
/// deliveries' ids collide and the second commit is refused whole.
package actor RuleScheduler {
    struct State: Sendable {
        var expression: String
        var anchor: Int64
        var last: Int64?
    }

    static let owner = "events.schedule"
    let buses: EventBuses
    let database: any ServiceStore
    let clock: any EngineClock
    let region: String
    let account: String
    let delivery: EventDelivery
    private var states: [String: State] = [:]
    private let bell = Doorbell()

    init(buses: EventBuses, database: any ServiceStore, clock: any EngineClock, region: String, account: String,
         delivery: EventDelivery) async throws(ServiceError) {
        self.buses = buses
        self.database = database
        self.clock = clock
        self.region = region
        self.account = account
        self.delivery = delivery
        do {
            for row in try await database.documents(owner: Self.owner) { states[row.key] = Self.state(row.body) }
        } catch {
            throw ServiceError("InternalFailure", "cannot read the schedules: \(error)", kind: .server)
        }
        // Another node fired or rescheduled a rule; a rule changed elsewhere; partitions taken over.
        database.observe(owner: Self.owner) { [weak self] key in await self?.reload(key) }
        await buses.rules.watch { [weak self] _, _ in await self?.ring() }
        delivery.engine.onPartitionsTaken { [weak self] in await self?.reload(nil) }
    }

    static func state(_ body: [UInt8]) -> State? {
        guard case .object(let o)? = try? JSONParser.parse(body), let e = o["expression"]?.stringValue,
              let anchor = o["anchor"]?.integerValue else { return nil }
        return State(expression: e, anchor: anchor, last: o["last"]?.integerValue)
    }

    /// Reads a rule's state again (nil: every rule's), then looks at what is due.
    func reload(_ key: String?) async {
        if let key {
            do { states[key] = try await database.document(owner: Self.owner, key: key).flatMap(Self.state) } catch { return ring() }
        } else if let rows = try? await database.documents(owner: Self.owner) {
            states = [:]
            for row in rows { states[row.key] = Self.state(row.body) }
        }
        ring()
    }

    func ring() { Task { await bell.ring() } }

    /// A rule got (or changed) its schedule: its periods count from now.
    func scheduled(ruleKey: String, expression: String?) async throws(ServiceError) {
        guard let expression else {
            guard states.removeValue(forKey: ruleKey) != nil else { return }
            try await save(ruleKey, nil, [])
            return
        }
        guard states[ruleKey]?.expression != expression else { return }
        let state = State(expression: expression, anchor: clock.now().milliseconds, last: nil)
        states[ruleKey] = state
        try await save(ruleKey, state, [])
        Task { await bell.ring() }
    }

    private func save(_ key: String, _ state: State?, _ messages: [QueuedMessage]) async throws(ServiceError) {
        let body: [UInt8]? = state.map { s in
            var o: JSONObject = ["expression": .string(s.expression), "anchor": .int(s.anchor)]
            if let last = s.last { o["last"] = .int(last) }
            return JSON.object(o).serializedBytes
        }
        do { try await database.write([DocumentWrite(owner: Self.owner, key: key, body: body)], enqueueing: messages) } catch where error.code == .alreadyExists {
            throw ServiceError("AlreadyFired", "another node fired \(key)'s occurrence", kind: .server)
        } catch {
            throw ServiceError("InternalFailure", "cannot store the schedule of \(key): \(error)", kind: .server)
        }
    }

    /// The latest occurrence at or before `now` that has not fired yet.
    static func due(_ s: State, _ expression: ScheduleExpression, now: Int64) -> Int64? {
        guard var occurrence = expression.next(after: s.last ?? (s.anchor - 1), anchor: s.anchor), occurrence <= now else { return nil }
        if case .rate(let seconds) = expression {
            let period = seconds * 1000
            return s.anchor + (now - s.anchor) / period * period
        }
        // A cron missed many times: walk to the latest (bounded, a day of minutes at most).
        var steps = 0
        while steps < 1440, let next = expression.next(after: occurrence, anchor: s.anchor), next <= now {
            occurrence = next
            steps += 1
        }
        return occurrence
    }

    /// Fires every scheduled rule that is due at `now`; returns how many fired.
    @discardableResult
    package func fireDue() async -> Int {
        let now = clock.now().milliseconds
        var fired = 0
        let engine = delivery.engine
        for rule in await buses.rules(bus: "default") where rule.enabled && engine.owns(rule.key) {
            guard let text = rule.record["ScheduleExpression"]?.stringValue, let expression = ScheduleExpression(text) else { continue }
            guard var state = states[rule.key], state.expression == text else {
                try? await scheduled(ruleKey: rule.key, expression: text)
                continue
            }
            guard Self.due(state, expression, now: now) != nil else { continue }
            // Due here: the stored state has the last word (another node may have fired it
            // just before this node took the rule's partition over).
            if database.sharedWithOtherNodes {
                await reload(rule.key)
                guard let fresh = states[rule.key], fresh.expression == text else { continue }
                state = fresh
            }
            guard let occurrence = Self.due(state, expression, now: now) else { continue }
            let arn = rule.record["Arn"]?.stringValue ?? ""
            let event = Self.event(rule: arn, at: occurrence, region: region, account: account)
            let messages = rule.targets.map { target in
                delivery.message(event: event, rule: arn, target: target, id: "schedule|\(rule.key)|\(occurrence)|\(target["Id"]?.stringValue ?? "")", now: now)
            }
            state.last = occurrence
            do {
                try await save(rule.key, state, messages)
                states[rule.key] = state
                fired += 1
            } catch where error.code == "AlreadyFired" {
                // Another node fired it (a lease changing hands): take its state.
                await reload(rule.key)
            } catch {
                delivery.engine.logger.error("a scheduled rule could not fire", metadata: ["rule": "\(arn)", "error": "\(error)"])
            }
        }
        if fired > 0 { delivery.worker?.signal() }
        return fired
    }

    /// When the next scheduled rule falls due (nil: none is scheduled).
    func nextDue() async -> Int64? {
        var best: Int64?
        for rule in await buses.rules(bus: "default") where rule.enabled && delivery.engine.owns(rule.key) {
            guard let text = rule.record["ScheduleExpression"]?.stringValue, let expression = ScheduleExpression(text),
                  let state = states[rule.key], let next = expression.next(after: state.last ?? (state.anchor - 1), anchor: state.anchor) else { continue }
            best = min(best ?? next, next)
        }
        return best
    }

    /// AWS's scheduled event: source `aws.events`, detail-type "Scheduled Event", the rule as the resource.
    static func event(rule: String, at millis: Int64, region: String, account: String) -> JSON {
        var o = JSONObject()
        o.appendUnchecked("version", "0")
        o.appendUnchecked("id", .string(UUIDText.random()))
        o.appendUnchecked("detail-type", "Scheduled Event")
        o.appendUnchecked("source", "aws.events")
        o.appendUnchecked("account", .string(account))
        o.appendUnchecked("time", .string(EventsService.eventTime(Timestamp(milliseconds: millis))))
        o.appendUnchecked("region", .string(region))
        o.appendUnchecked("resources", [.string(rule)])
        o.appendUnchecked("detail", [:])
        return .object(o)
    }

    /// Runs until cancelled: fires what is due, then sleeps until the next occurrence (at most a minute) or a change.
    func run() async {
        while !Task.isCancelled {
            await fireDue()
            await bell.wait(forNext: await nextDue(), on: clock)
        }
    }
}
