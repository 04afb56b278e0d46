import CSQLite
import Foundation

/// Copies the write-ahead log back into the database on a thread of its own, so the journal's
/// writer never stops committing to do it.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, on the
/// committing connection: with large payloads that was a third of the writer thread's time
/// (copying WAL frames into the database file and fsyncing it) while every queued step waited.
/// A PASSIVE checkpoint from another connection runs beside the writer ("checkpoint as many
/// frames as possible without waiting for any database readers or writers to finish", SQLite's
/// `sqlite3_wal_checkpoint_v2`), and the WAL restarts from its beginning once a checkpoint has
/// caught up. If the log still grows past `inlineFrames` (the checkpointer cannot keep up), the
/// writer checkpoints inline, as SQLite would, so the log stays bounded.
final class WALCheckpointer: @unchecked Sendable {
    // @unchecked Sendable: `pending` and `stopping` are guarded by `condition`; `connection`
    // is used only on the checkpointer's thread.
    private let connection: SQLiteConnection
    private let condition = NSCondition()
    private var pending = false
    private var stopping = false
    /// The frames each checkpoint of this thread copied (newest kept), for tests and diagnostics.
    let copies: AsyncStream<Int32>
    private let copiesContinuation: AsyncStream<Int32>.Continuation
    /// The WAL size (in frames) that wakes the checkpointer: SQLite's own default.
    let frames: Int32
    /// The WAL size at which the writer checkpoints itself.
    let inlineFrames: Int32

    init(path: String, frames: Int32 = 1000, inlineFrames: Int32 = 16_000) throws(JournalError) {
        connection = try SQLiteConnection(path: path)
        // A connection that has not read the database has not opened its WAL, and SQLite 3.40
        // answers a checkpoint on it with success having copied nothing.
        try connection.execute("SELECT COUNT(*) FROM sqlite_schema")
        (copies, copiesContinuation) = AsyncStream.makeStream(of: Int32.self, bufferingPolicy: .bufferingNewest(16))
        self.frames = frames
        self.inlineFrames = inlineFrames
        let t = Thread { self.loop() }
        t.name = "baton-journal-checkpointer"
        t.start()
    }

    /// Installs the hook on the writer connection, replacing SQLite's automatic checkpoint.
    /// The writer keeps `self` alive for as long as the hook can run.
    func install(on writer: SQLiteConnection) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        sqlite3_wal_hook(writer.handle, { context, db, _, frames in
            guard let context else { return SQLITE_OK }
            let me = Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue()
            if frames >= me.inlineFrames, let db {
                // Far behind: checkpoint here; the writer is between transactions.
                sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            } else if frames >= me.frames {
                me.wake()
            }
            return SQLITE_OK
        }, context)
    }

    private func wake() {
        condition.lock()
        pending = true
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread after any checkpoint in progress.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while !pending && !stopping { condition.wait() }
            if stopping {
                condition.unlock()
                copiesContinuation.finish()
                return
            }
            pending = false
            condition.unlock()
            // A failed passive checkpoint (a busy database) is retried on the next wake; the
            // WAL keeps every frame until then, so nothing is lost.
            var log: Int32 = 0
            var copied: Int32 = 0
            let rc = sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
            if rc == SQLITE_OK && copied > 0 { copiesContinuation.yield(copied) }
        }
    }
}
