import Foundation
import StatesLanguage

/// The engine's only source of time. Tests inject `ManualEngineClock` and move it by hand.
package protocol EngineClock: Sendable {
    func now() -> Timestamp
    /// Returns at `deadline`, or early when cancelled (then throws CancellationError).
    func sleep(until deadline: Timestamp) async throws
}

/// The system clock.
package struct SystemEngineClock: EngineClock {
    package init() {}

    package func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(seconds: Int64(ts.tv_sec), nanoseconds: Int32(ts.tv_nsec))
    }

    package func sleep(until deadline: Timestamp) async throws {
        let ms = deadline.milliseconds - now().milliseconds
        if ms > 0 { try await Task.sleep(nanoseconds: UInt64(ms) * 1_000_000) }
    }
}

/// A clock that moves only when a test says so; sleepers wake when it passes their deadline.
package final class ManualEngineClock: EngineClock, @unchecked Sendable {
    // @unchecked Sendable: `current` and `sleepers` are guarded by `lock`.
    private let lock = NSLock()
    private var current: Timestamp
    private var sleepers: [(UUID, Timestamp, CheckedContinuation<Void, Never>)] = []

    package init(_ start: Timestamp = Timestamp(seconds: 1_700_000_000)) { current = start }

    package func now() -> Timestamp {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    package func advance(seconds: Int64) { advance(to: now().adding(seconds: seconds)) }

    /// Tasks asleep on this clock (tests wait for a run to park before they move time).
    package var sleeperCount: Int { lock.withLock { sleepers.count } }

    package func advance(to t: Timestamp) {
        lock.lock()
        if t > current { current = t }
        let due = sleepers.filter { $0.1 <= current }
        sleepers.removeAll { $0.1 <= current }
        lock.unlock()
        for (_, _, c) in due { c.resume() }
    }

    package func sleep(until deadline: Timestamp) async throws {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                lock.lock()
                if deadline <= current || Task.isCancelled {
                    lock.unlock()
                    c.resume()
                } else {
                    sleepers.append((id, deadline, c))
                    lock.unlock()
                }
            }
        } onCancel: {
            lock.lock()
            let mine = sleepers.filter { $0.0 == id }
            sleepers.removeAll { $0.0 == id }
            lock.unlock()
            for (_, _, c) in mine { c.resume() }
        }
        try Task.checkCancellation()
    }
}
