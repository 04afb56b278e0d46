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
