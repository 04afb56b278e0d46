/// Callers waiting for answers to their requests, by request id.
actor ReplyWaiters {
    private var waiting: [Int64: (ticket: Int, continuation: CheckedContinuation<Void, Never>?)] = [:]
    private var woken: Set<Int64> = []
    private var next = 0

    func register(_ id: Int64) -> Int {
        next += 1
        waiting[id] = (next, nil)
        woken.remove(id)
        return next
    }

    func cancel(_ id: Int64, _ ticket: Int) {
        guard waiting[id]?.ticket == ticket else { return }
        waiting[id]?.continuation?.resume()
        waiting[id] = nil
    }

    func wake(_ id: Int64) {
        guard let w = waiting[id] else { return }
        if let c = w.continuation {
            waiting[id] = nil
            c.resume()
        } else {
            woken.insert(id)
        }
    }

    /// Returns when woken, or after `seconds`.
    func wait(_ id: Int64, _ ticket: Int, seconds: Double) async {
        if woken.remove(id) != nil {
            waiting[id] = nil
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                await self.cancel(id, ticket)
            }
            group.addTask {
                await withCheckedContinuation { c in Task { await self.park(id, ticket, c) } }
            }
            await group.next()
            group.cancelAll()
        }
        cancel(id, ticket)
    }

    private func park(_ id: Int64, _ ticket: Int, _ c: CheckedContinuation<Void, Never>) {
        guard waiting[id]?.ticket == ticket, waiting[id]?.continuation == nil else {
            c.resume()
            return
        }
        if woken.remove(id) != nil {
            c.resume()
            return
        }
        waiting[id] = (ticket, c)
    }
}

/// Requests being applied on this node now (a notice and a heartbeat can find the same one).
actor RequestSet {
    private var ids: Set<Int64> = []
    func insert(_ id: Int64) -> Bool { ids.insert(id).inserted }
    func remove(_ id: Int64) { ids.remove(id) }
}
