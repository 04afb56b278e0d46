import Foundation

/// Records read often and written rarely (state machines: every StartExecution reads its
/// machine), kept beside the database so a hot read skips the reader connection.
///
/// Correctness rests on two rules. A write clears the cache after its commit, so a read that
/// starts after the write returns cannot find the old record. A read fills the cache only when
/// no write cleared it while the read ran (the generation is unchanged), so a read of the old
/// row that finishes after the write's clear cannot put it back.
final class RecordCache<Record: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: `records` and `generation` are guarded by `lock`.
    private let lock = NSLock()
    private var records: [String: Record?] = [:]
    private var generation: UInt64 = 0
    /// Past this many keys the cache starts over (a bound, not a policy: machines are few).
    private let limit: Int

    init(limit: Int = 4096) { self.limit = limit }

    /// The cached record (`.some(nil)`: known absent), or the generation a read must present to fill it.
    func lookup(_ key: String) -> (hit: Record??, generation: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        return (records[key], generation)
    }

    func fill(_ key: String, _ record: Record?, readAt generation: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        guard generation == self.generation else { return }
        if records.count >= limit { records.removeAll(keepingCapacity: true) }
        records[key] = .some(record)
    }

    /// After a committed write of any record.
    func clear() {
        lock.lock()
        defer { lock.unlock() }
        generation &+= 1
        records.removeAll(keepingCapacity: true)
    }
}
