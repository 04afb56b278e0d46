import CoreMetrics
import Journal

/// Counts work in flight (dispatched tasks, steps being committed) so tests and shutdown can
/// wait until the engine is quiet, without sleeping.
actor WorkTracker {
    private var inFlight = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// `baton_engine_work_in_flight`: the outbox's tasks being performed and steps being
    /// committed (nil when no metrics system was bootstrapped before the engine was made).
    private let gauge: Gauge? = MetricHandles.enabled ? Gauge(label: "baton_engine_work_in_flight") : nil

    func begin() {
        inFlight += 1
        gauge?.record(inFlight)
    }

    /// Tasks and steps in flight now.
    var count: Int { inFlight }

    func end() {
        inFlight -= 1
        gauge?.record(inFlight)
        if inFlight == 0 {
            let w = waiters
            waiters.removeAll()
            for c in w { c.resume() }
        }
    }

    func idle() async {
        if inFlight == 0 { return }
        await withCheckedContinuation { waiters.append($0) }
    }
}

/// Executions that someone waits to see finish (StartSyncExecution, tests). A waiter is
/// registered before the journal is checked, so a finish between the two is not missed.
actor CompletionWaiters {
    private var registered: [String: Set<Int>] = [:]
    private var done: Set<Int> = []
    private var continuations: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextId = 0

    func register(_ arn: String) -> Int {
        nextId += 1
        registered[arn, default: []].insert(nextId)
        return nextId
    }

    func wait(_ id: Int) async {
        if done.remove(id) != nil { return }
        await withCheckedContinuation { continuations[id] = $0 }
    }

    func cancel(_ arn: String, _ id: Int) {
        registered[arn]?.remove(id)
        done.remove(id)
    }

    func finished(_ arn: String) {
        for id in registered.removeValue(forKey: arn) ?? [] {
            if let c = continuations.removeValue(forKey: id) { c.resume() } else { done.insert(id) }
        }
    }
}
