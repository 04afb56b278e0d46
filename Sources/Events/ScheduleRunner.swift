import Engine
import Foundation
import Journal
import ServiceKit
import ServiceLifecycle
import StatesLanguage

/// Scheduler's expressions: `at(2026-12-24T18:00:00)` once, or `rate()`/`cron()` as rules
/// have them, read in the schedule's time zone.
struct SchedulerExpression {
    enum Kind { case at(Int64), recurring(ScheduleExpression) }
    let kind: Kind
    let zone: TimeZone

    init?(_ text: String, zone name: String) {
        guard let zone = TimeZone(identifier: name) else { return nil }
        self.zone = zone
        if text.hasPrefix("at("), text.hasSuffix(")") {
            let inner = String(text.dropFirst(3).dropLast())
            let parts = inner.split(whereSeparator: { "-T:".contains($0) }).compactMap { Int($0) }
            guard parts.count == 6, inner.count == 19 else { return nil }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            let c = DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: parts[3], minute: parts[4], second: parts[5])
            guard let date = calendar.date(from: c) else { return nil }
            kind = .at(Int64(date.timeIntervalSince1970 * 1000))
            return
        }
        guard let e = ScheduleExpression(text) else { return nil }
        kind = .recurring(e)
    }

    /// The first occurrence after `after` (UTC milliseconds); a cron is read in the time zone.
    func next(after: Int64, anchor: Int64) -> Int64? {
        switch kind {
        case .at(let t): return t > after ? t : nil
        case .recurring(.rate(let s)): return ScheduleExpression.rate(seconds: s).next(after: after, anchor: anchor)
        case .recurring(.cron(let fields)):
            let offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(after) / 1000))) * 1000
            guard let local = fields.next(after: after + offset) else { return nil }
            let back = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(local - offset) / 1000))) * 1000
            return local - back
        }
    }

    var isOneTime: Bool { if case .at = kind { return true }; return false }
}

/// Fires the Scheduler's schedules through the bus's durable delivery, once per occurrence.
/// Nodes sharing one database: a schedule fires on the node that owns its key's partition; a
/// second firing across a lease's handover collides on the delivery's id and is refused whole.
actor ScheduleRunner {
    static let owner = "scheduler.fired"
    let schedules: DocumentBook<JSONObject>
    let database: any ServiceStore
    let clock: any EngineClock
    let delivery: EventDelivery
    private var fired: [String: Int64] = [:]
    private let bell = Doorbell()

    init(schedules: DocumentBook<JSONObject>, database: any ServiceStore, clock: any EngineClock, delivery: EventDelivery) async throws(ServiceError) {
        self.schedules = schedules
        self.database = database
        self.clock = clock
        self.delivery = delivery
        do {
            for row in try await database.documents(owner: Self.owner) {
                if let t = Int64(String(decoding: row.body, as: UTF8.self)) { fired[row.key] = t }
            }
        } catch {
            throw ServiceError("InternalFailure", "cannot read the schedules' state: \(error)", kind: .server)
        }
        database.observe(owner: Self.owner) { [weak self] key in await self?.reload(key) }
        await schedules.watch { [weak self] _, _ in await self?.changed() }
        delivery.engine.onPartitionsTaken { [weak self] in await self?.reload(nil) }
    }

    /// Reads a schedule's last firing again (nil: every schedule's), then looks at what is due.
    func reload(_ key: String?) async {
        do {
            if let key {
                fired[key] = try await database.document(owner: Self.owner, key: key).flatMap { Int64(String(decoding: $0, as: UTF8.self)) }
            } else {
                var all: [String: Int64] = [:]
                for row in try await database.documents(owner: Self.owner) {
                    if let t = Int64(String(decoding: row.body, as: UTF8.self)) { all[row.key] = t }
                }
                fired = all
            }
        } catch {
            delivery.engine.logger.warning("the schedules' state could not be read again", metadata: ["error": "\(error)"])
        }
        changed()
    }

    func changed() { Task { await bell.ring() } }

    /// Where in its flexible window an occurrence fires: the same every time it is asked (a
    /// hash of the schedule and the occurrence), so a restart moves nothing; 0 without a window.
    static func offset(_ key: String, occurrence: Int64, window: JSON?) -> Int64 {
        guard window?["Mode"]?.stringValue == "FLEXIBLE", let minutes = window?["MaximumWindowInMinutes"]?.integerValue, minutes > 0 else {
            return 0
        }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in "\(key)|\(occurrence)".utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int64(h % UInt64(minutes * 60_000))
    }

    /// The latest due occurrence of one schedule that has not fired (nil: none).
    func due(_ key: String, _ o: JSONObject, now: Int64) -> (Int64, SchedulerExpression)? {
        guard o["State"]?.stringValue == "ENABLED", let text = o["ScheduleExpression"]?.stringValue,
              let e = SchedulerExpression(text, zone: o["ScheduleExpressionTimezone"]?.stringValue ?? "UTC") else { return nil }
        let anchor = o["Anchor"]?.integerValue ?? now
        let start = o["StartDate"]?.numberValue.map { Int64($0 * 1000) }
        let end = o["EndDate"]?.numberValue.map { Int64($0 * 1000) }
        var base = max(fired[key] ?? (anchor - 1), start.map { $0 - 1 } ?? anchor - 1)
        if case .at = e.kind { base = fired[key] ?? Int64.min }
        guard var occurrence = e.next(after: base, anchor: anchor), occurrence <= now else { return nil }
        var steps = 0
        while steps < 1440, let next = e.next(after: occurrence, anchor: anchor), next <= now {
            occurrence = next
            steps += 1
        }
        if let end, occurrence > end { return nil }
        return (occurrence, e)
    }

    @discardableResult
    func fireDue() async -> Int {
        let now = clock.now().milliseconds
        var count = 0
        for (key, o) in await schedules.all where delivery.engine.owns(key) {
            guard due(key, o, now: now) != nil else { continue }
            // Due here: the stored state has the last word (another node may have fired it
            // just before this node took the schedule's partition over).
            if database.sharedWithOtherNodes { await reload(key) }
            guard let (occurrence, expression) = due(key, o, now: now) else { continue }
            var target = o["Target"]?.objectValue ?? [:]
            if target["Input"] == nil { target["Input"] = "{}" }
            let arn = o["Arn"]?.stringValue ?? ""
            let event = RuleScheduler.event(rule: arn, at: occurrence, region: "", account: "")
            var message = delivery.message(event: event, rule: arn, target: target, id: "scheduler|\(key)|\(occurrence)", now: now)
            // A flexible window: the target is invoked at a moment within it, AWS's "to
            // distribute the invocations"; the delivery is recorded now and hidden until then.
            message.visibleAtMillis = max(now, occurrence + Self.offset(key, occurrence: occurrence, window: o["FlexibleTimeWindow"]))
            do {
                try await database.write([DocumentWrite(owner: Self.owner, key: key, body: Array(String(occurrence).utf8))], enqueueing: [message])
                fired[key] = occurrence
                count += 1
            } catch where error.code == .alreadyExists {
                // Another node fired it (a lease changing hands): take its state.
                await reload(key)
                continue
            } catch {
                delivery.engine.logger.error("a schedule could not fire", metadata: ["schedule": "\(arn)", "error": "\(error)"])
                continue
            }
            if expression.isOneTime, o["ActionAfterCompletion"]?.stringValue == "DELETE" {
                _ = try? await schedules.update(key) { (v: inout JSONObject?) throws(ServiceError) in v = nil }
            }
        }
        if count > 0 { delivery.worker?.signal() }
        return count
    }

    func nextDue() async -> Int64? {
        var best: Int64?
        for (key, o) in await schedules.all where o["State"]?.stringValue == "ENABLED" && delivery.engine.owns(key) {
            guard let text = o["ScheduleExpression"]?.stringValue,
                  let e = SchedulerExpression(text, zone: o["ScheduleExpressionTimezone"]?.stringValue ?? "UTC") else { continue }
            let anchor = o["Anchor"]?.integerValue ?? 0
            guard let next = e.next(after: fired[key] ?? (anchor - 1), anchor: anchor) else { continue }
            best = min(best ?? next, next)
        }
        return best
    }

    func run() async {
        while !Task.isCancelled {
            await fireDue()
            await bell.wait(forNext: await nextDue(), on: clock)
        }
    }
}
