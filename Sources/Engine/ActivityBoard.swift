import Journal
import StatesLanguage

/// Activity tasks waiting for workers, and workers long-polling for tasks, per activity.
///
/// A task this node schedules reaches the board when its step commits and goes straight to
/// the worker that has waited longest (one worker woken per task, no journal read). Tasks the
/// board has not seen (scheduled before this process started, or on another node) are in the
/// journal: an activity starts "unscanned", and a poll on an unscanned activity reads its open
/// tasks once. The board keeps at most `readyLimit` tasks per activity in memory; past that an
/// activity is unscanned again and the journal holds the rest (parked work costs disk, not memory).
actor ActivityBoard {
    static let readyLimit = 1_000

    /// What a waiting worker is handed: a task, and whether the step that scheduled it started
    /// it for this worker already (reserved), or the worker's GetActivityTask must.
    struct HandOff: Sendable {
        var task: TaskTokenRecord
        var started: Bool
    }

    /// A waiting worker set aside for a task a step is deciding: `fulfil` once the step
    /// commits, `release` if it does not.
    struct Reservation: Sendable {
        var id: UInt64
        var workerName: String?
        var board: ActivityBoard
    }

    private struct Waiter {
        var id: UInt64
        var workerName: String?
        var continuation: CheckedContinuation<HandOff?, Never>
        var deadline: Timestamp
    }

    /// Tokens handed to a worker by this process.
    private var claimed: Set<String> = []
    /// Committed tasks no worker has taken yet, oldest first, and their tokens.
    private var ready: [String: [TaskTokenRecord]] = [:]
    private var readyTokens: Set<String> = []
    /// Activities whose open tasks in the journal are all in `ready` or claimed.
    private var complete: Set<String> = []
    /// Tasks announced by other nodes, counted per activity (a scan's ticket).
    private var announcements: [String: UInt64] = [:]
    private var waiters: [String: [Waiter]] = [:]
    private var reserved: [UInt64: Waiter] = [:]
    private var nextId: UInt64 = 0
    /// One timer for the whole board, set for the earliest waiter's deadline: a poll sets
    /// none of its own (a sleeping task per poll, set and cancelled, was a tenth of what a
    /// callback execution's long poll cost).
    private var sweeper: Task<Void, Never>?
    private var sweeperDue: Timestamp?
    private var sweeperGeneration: UInt64 = 0
    /// Set when the server begins a graceful shutdown: every poll answers empty, at once.
    private(set) var isClosed = false

    /// Workers parked on the activity now (tests wait for one before they schedule).
    func waiting(_ activity: String) -> Int { waiters[activity]?.count ?? 0 }

    /// Tasks handed out and not yet ended.
    var claims: Int { claimed.count }

    /// Takes the oldest ready task of the activity, claimed for the caller.
    func take(_ activity: String) -> TaskTokenRecord? {
        while var queue = ready[activity], !queue.isEmpty {
            let t = queue.removeFirst()
            ready[activity] = queue.isEmpty ? nil : queue
            readyTokens.remove(t.token)
            if claimed.insert(t.token).inserted { return t }
        }
        return nil
    }

    /// Non-nil when the journal may hold open tasks of the activity that the board has not
    /// seen: the ticket to hand back with what the journal lists.
    func scanTicket(_ activity: String) -> UInt64? {
        complete.contains(activity) ? nil : announcements[activity, default: 0]
    }

    /// The activity's open tasks as the journal listed them after `scanTicket`. The activity is
    /// complete unless another node announced a task since (the read may have missed it).
    func scanned(_ activity: String, _ open: [TaskTokenRecord], ticket: UInt64) {
        if announcements[activity, default: 0] == ticket { complete.insert(activity) }
        for t in open where !claimed.contains(t.token) { offer(activity, t) }
    }

    /// A step scheduled a task of the activity and committed (`task` nil: some node did, and
    /// the journal has it).
    func scheduled(_ activity: String, _ task: TaskTokenRecord?) {
        guard let task else {
            complete.remove(activity)
            announcements[activity, default: 0] &+= 1
            // Every waiter looks again; the first reads the journal.
            for w in waiters.removeValue(forKey: activity) ?? [] {
                w.continuation.resume(returning: nil)
            }
            return
        }
        offer(activity, task)
    }

    /// Tasks that ended (their tokens closed in a committed step): nothing hands them out
    /// again, so their claims go (the set would otherwise grow with every task ever handed out).
    func closed(_ tokens: [String]) {
        for t in tokens { claimed.remove(t) }
    }

    /// Sets the longest-waiting worker of the activity aside for a task being decided.
    func reserve(_ activity: String) -> Reservation? {
        guard let w = popWaiter(activity) else { return nil }
        reserved[w.id] = w
        return Reservation(id: w.id, workerName: w.workerName, board: self)
    }

    /// The reserving step committed: its worker gets the task, started.
    func fulfil(_ r: Reservation, _ task: TaskTokenRecord) {
        guard let w = reserved.removeValue(forKey: r.id) else { return }
        claimed.insert(task.token)
        w.continuation.resume(returning: HandOff(task: task, started: true))
    }

    /// The reserving step did not commit: its worker polls again.
    func release(_ r: Reservation) {
        reserved.removeValue(forKey: r.id)?.continuation.resume(returning: nil)
    }

    private func popWaiter(_ activity: String) -> Waiter? {
        guard var queue = waiters[activity], !queue.isEmpty else { return nil }
        let w = queue.removeFirst()
        waiters[activity] = queue.isEmpty ? nil : queue
        return w
    }

    private func offer(_ activity: String, _ task: TaskTokenRecord) {
        if let w = popWaiter(activity) {
            claimed.insert(task.token)
            w.continuation.resume(returning: HandOff(task: task, started: false))
            return
        }
        guard !readyTokens.contains(task.token) else { return }
        guard ready[activity, default: []].count < Self.readyLimit else {
            complete.remove(activity)
            return
        }
        ready[activity, default: []].append(task)
        readyTokens.insert(task.token)
    }

    /// Waits for a task of the activity: returns it claimed (started already when a step
    /// reserved this worker), or nil at the deadline, on cancellation, or when the journal
    /// should be read again.
    func wait(_ activity: String, until deadline: Timestamp, clock: any EngineClock, workerName: String?) async -> HandOff? {
        guard !isClosed else { return nil }
        nextId &+= 1
        let id = nextId
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<HandOff?, Never>) in
                waiters[activity, default: []].append(Waiter(id: id, workerName: workerName, continuation: c, deadline: deadline))
                arm(deadline, clock)
            }
        } onCancel: {
            Task { await self.expire(activity, id) }
        }
    }

    /// Every waiting poll answers empty, and polls from now on answer at once (graceful shutdown).
    func close() {
        isClosed = true
        for (_, queue) in waiters {
            for w in queue { w.continuation.resume(returning: nil) }
        }
        waiters = [:]
        sweeper?.cancel()
        sweeper = nil
        sweeperDue = nil
    }

    private func expire(_ activity: String, _ id: UInt64) {
        guard var queue = waiters[activity], let i = queue.firstIndex(where: { $0.id == id }) else { return }
        let w = queue.remove(at: i)
        waiters[activity] = queue.isEmpty ? nil : queue
        w.continuation.resume(returning: nil)
    }

    /// Makes sure the board's timer fires by `due`: a later timer is replaced, an earlier one kept.
    private func arm(_ due: Timestamp, _ clock: any EngineClock) {
        if let armed = sweeperDue, armed <= due { return }
        sweeper?.cancel()
        sweeperGeneration &+= 1
        let generation = sweeperGeneration
        sweeperDue = due
        sweeper = Task { [weak self] in
            try? await clock.sleep(until: due)
            await self?.sweep(generation, clock)
        }
    }

    /// The timer fired: waiters past their deadline answer empty; the timer is set again for
    /// the earliest one left. A replaced timer's firing is ignored (the one that replaced it
    /// is due no later).
    private func sweep(_ generation: UInt64, _ clock: any EngineClock) {
        guard generation == sweeperGeneration else { return }
        sweeper = nil
        sweeperDue = nil
        let now = clock.now()
        var next: Timestamp?
        for (activity, queue) in waiters {
            var kept: [Waiter] = []
            for w in queue {
                if w.deadline <= now {
                    w.continuation.resume(returning: nil)
                } else {
                    kept.append(w)
                    if next.map({ w.deadline < $0 }) ?? true { next = w.deadline }
                }
            }
            if kept.count != queue.count { waiters[activity] = kept.isEmpty ? nil : kept }
        }
        if let next { arm(next, clock) }
    }
}
