import Foundation
import Journal
import Testing

/// Reads run side by side: one read in progress does not hold up another (with one reader
/// connection behind a lock, a second thread waited for the first's read to end).
@Suite struct ReaderPoolTests {
    @Test func aReadInProgressDoesNotHoldUpAnother() throws {
        let directory = NSTemporaryDirectory() + "readers-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try SQLiteJournal(directory: directory, synchronous: .normal)
        defer { journal.close() }
        let entered = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let first = Thread {
            _ = try? journal.read { (db) throws(JournalError) -> Int in
                entered.signal()
                // Held until the second read has finished (or the test gave up on it).
                release.wait()
                return try db.rows("SELECT 1", []).count
            }
            done.signal()
        }
        first.start()
        entered.wait()
        // The second read finishes while the first still holds its connection. Were reads
        // serialized, it would wait for `release`, which only this thread signals: the bounded
        // wait below turns that deadlock into a failure instead of a hang.
        let second = DispatchSemaphore(value: 0)
        let secondThread = Thread {
            _ = try? journal.read { (db) throws(JournalError) -> Int in try db.rows("SELECT 2", []).count }
            second.signal()
        }
        secondThread.start()
        let finished = second.wait(timeout: .now() + 30) == .success
        release.signal()
        done.wait()
        if !finished { second.wait() }
        #expect(finished, "a second read waited for the first to end")
    }
}
