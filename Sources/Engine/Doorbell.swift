import StatesLanguage

/// Wakes one waiter; a ring with nobody waiting is kept for the next wait.
package actor Doorbell {
    package init() {}

    private var rung = false
    private var waiter: CheckedContinuation<Void, Never>?

    package func ring() {
        if let w = waiter {
            waiter = nil
            w.resume()
        } else {
            rung = true
        }
    }

    package func wait() async {
        if rung {
            rung = false
            return
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                if Task.isCancelled { c.resume() } else { waiter = c }
            }
        } onCancel: {
            Task { await self.cancelWait() }
        }
    }

    private func cancelWait() {
        waiter?.resume()
        waiter = nil
    }

    /// Returns when `next` (milliseconds on the engine's clock) is due, or after `seconds` when
    /// nothing is due sooner (work another process added is seen then), or sooner when rung.
    /// False, without waiting, when `next` is already due.
    @discardableResult
    package func wait(forNext next: Int64?, atMostSeconds seconds: Int64 = 60, on clock: any EngineClock) async -> Bool {
        let now = clock.now()
        var until = now.adding(seconds: seconds)
        if let next, next < until.milliseconds { until = Timestamp(milliseconds: max(next, now.milliseconds)) }
        if until <= now { return false }
        await wait(until: until, on: clock)
        return true
    }

    /// Returns at `deadline` on the engine's clock, or sooner when rung: how a loop sleeps
    /// until its next due time while staying awake for new work.
    package func wait(until deadline: Timestamp, on clock: any EngineClock) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(until: deadline) }
            group.addTask { await self.wait() }
            _ = await group.next()
            group.cancelAll()
        }
    }
}
