import StatesInterpreter
import StatesLanguage

/// The durable timers' in-memory index: rows live in the journal (written with the step that
/// started them); this holds only (due, execution, timer id) to know what to fire next.
actor TimerService {
    struct Entry: Hashable {
        var due: Timestamp
        var executionArn: String
        var timerId: Int
    }

    private var entries: [Entry] = []  // sorted by due time
    /// Every journaled timer due up to here is in `entries` (or fired).
    private(set) var loadedUntil = Timestamp(seconds: 0)

    func setLoadedUntil(_ t: Timestamp) { if t > loadedUntil { loadedUntil = t } }
    private var keys: Set<String> = []

    private static func key(_ arn: String, _ id: Int) -> String { "\(arn)#\(id)" }

    /// Rung when a timer is scheduled before the loop's next wake-up: the loop sleeps until the
    /// earliest timer (or its idle cap) instead of looking every 20 ms.
    let bell = Doorbell()
    /// When the timer loop will next look, while it sleeps (nil while it is awake).
    private var sleepingUntil: Timestamp?

    /// The loop's next wake-up: the earliest timer, or `cap` when none is sooner. From here
    /// until it wakes, a timer scheduled before that time rings `bell`.
    func sleep(cap: Timestamp) -> Timestamp {
        var next = cap
        if let due = entries.first?.due, due < next { next = due }
        sleepingUntil = next
        return next
    }

    /// Schedules a timer. True when it is due before the loop's next wake-up: the caller rings
    /// `bell` (outside this actor), so the timer fires at its due time.
    @discardableResult
    func schedule(_ arn: String, _ id: Int, due: Timestamp) -> Bool {
        guard keys.insert(Self.key(arn, id)).inserted else { return false }
        // One ring wakes the loop: the timers scheduled after it are seen when it looks.
        let wakes = sleepingUntil.map { due < $0 } ?? false
        if wakes { sleepingUntil = nil }
        let e = Entry(due: due, executionArn: arn, timerId: id)
        // Binary search for the insertion point keeps the array sorted.
        var lo = 0, hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[mid].due <= due { lo = mid + 1 } else { hi = mid }
        }
        entries.insert(e, at: lo)
        return wakes
    }

    func cancel(_ arn: String, _ id: Int) {
        guard keys.remove(Self.key(arn, id)) != nil else { return }
        entries.removeAll { $0.executionArn == arn && $0.timerId == id }
    }

    func cancelAll(_ arn: String) {
        entries.removeAll { e in
            guard e.executionArn == arn else { return false }
            keys.remove(Self.key(arn, e.timerId))
            return true
        }
    }

    /// Forgets the timers of the executions `drop` picks (a partition this node lost).
    func removeAll(where drop: (String) -> Bool) {
        entries.removeAll { e in
            guard drop(e.executionArn) else { return false }
            keys.remove(Self.key(e.executionArn, e.timerId))
            return true
        }
    }

    /// Removes and returns every timer due at `now`.
    func takeDue(now: Timestamp) -> [Entry] {
        sleepingUntil = nil
        var n = 0
        while n < entries.count && entries[n].due <= now { n += 1 }
        let due = Array(entries.prefix(n))
        entries.removeFirst(n)
        for e in due { keys.remove(Self.key(e.executionArn, e.timerId)) }
        return due
    }

    var count: Int { entries.count }
}
