import Engine
import Foundation
import StatesLanguage

/// Long-polling receivers, per queue. A receiver reads the queue's generation before it looks
/// for messages and waits only while the generation is unchanged, so a send that commits
/// between its look and its wait is never missed; each send (after its commit) bumps the
/// generation and wakes every receiver of the queue.
actor QueueWaiters {
    private var generations: [String: UInt64] = [:]
    private var waiting: [String: [UUID: AsyncStream<Void>.Continuation]] = [:]
    /// Set when the server begins a graceful shutdown: every wait ends, and later ones at once.
    private(set) var isClosed = false

    /// Ends every parked wait and every later one (graceful shutdown).
    func close() {
        isClosed = true
        for (_, all) in waiting { for c in all.values { c.finish() } }
        waiting = [:]
    }

    func generation(_ queue: String) -> UInt64 { generations[queue, default: 0] }

    /// How many receivers are parked on the queue (tests wait for one before they send).
    func parked(_ queue: String) -> Int { waiting[queue]?.count ?? 0 }

    func signal(_ queue: String) {
        generations[queue, default: 0] &+= 1
        guard let all = waiting.removeValue(forKey: queue) else { return }
        for c in all.values { c.finish() }
    }

    /// Returns when the queue is signalled after `generation`, at `deadline`, or on cancellation.
    nonisolated func wait(_ queue: String, since generation: UInt64, until deadline: Timestamp, clock: any EngineClock) async {
        let id = UUID()
        guard let stream = await register(queue, id, since: generation) else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(until: deadline) }
            group.addTask { for await _ in stream {} }
            _ = await group.next()
            group.cancelAll()
        }
        await remove(queue, id)
    }

    /// A stream that ends when the queue is signalled; nil when it already was since `generation`.
    private func register(_ queue: String, _ id: UUID, since generation: UInt64) -> AsyncStream<Void>? {
        guard !isClosed, generations[queue, default: 0] == generation else { return nil }
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        waiting[queue, default: [:]][id] = continuation
        return stream
    }

    private func remove(_ queue: String, _ id: UUID) {
        waiting[queue]?.removeValue(forKey: id)?.finish()
        if waiting[queue]?.isEmpty == true { waiting[queue] = nil }
    }
}
