import Foundation

/// The journal's read connections: one for each thread that can read at once, handed out
/// from a free list. A read holds its connection for one synchronous call only.
///
/// With a single reader behind a lock, two threads reading at once (GetItem from 16
/// connections on two cores) took turns: one waited on the lock, its core idle, and the
/// futex calls of the hand-over were 3.6 % of the server's CPU.
final class ReaderPool: @unchecked Sendable {
    // @unchecked Sendable: `free` is guarded by `condition`; a connection is used by the one
    // thread that took it until it is put back.
    private let condition = NSCondition()
    private var free: [SQLiteConnection]

    /// `count` connections to `path`, each set up by `configure`.
    init(path: String, count: Int, configure: (SQLiteConnection) throws(JournalError) -> Void) throws(JournalError) {
        var made: [SQLiteConnection] = []
        for _ in 0..<max(1, count) {
            let c = try SQLiteConnection(path: path)
            try configure(c)
            made.append(c)
        }
        free = made
    }

    /// How many readers a machine gets: two per core, at least four, at most eight. Reads run
    /// on Swift's cooperative pool (a thread per core) and on the HTTP server's event loops (as
    /// many again: a connection's requests are answered on its loop), so that many threads can
    /// read at once without one waiting for another's connection.
    static var defaultCount: Int { min(8, max(4, 2 * ProcessInfo.processInfo.activeProcessorCount)) }

    func with<T>(_ body: (SQLiteConnection) throws(JournalError) -> T) throws(JournalError) -> T {
        condition.lock()
        while free.isEmpty { condition.wait() }
        let c = free.removeLast()
        condition.unlock()
        defer {
            c.resetAll()
            condition.lock()
            free.append(c)
            condition.signal()
            condition.unlock()
        }
        return try body(c)
    }
}
