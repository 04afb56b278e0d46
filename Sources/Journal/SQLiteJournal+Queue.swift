import CSQLite

/// The durable queue in the journal's database, every change through the one writer.
extension SQLiteJournal: DurableQueueStore {
    package func enqueue(_ m: QueuedMessage) async throws(JournalError) {
        try await perform { (db) throws(JournalError) in try Self.insert(m, db) }
    }

    /// All of them in one savepoint: every message or none.
    package func enqueue(all messages: [QueuedMessage]) async throws(JournalError) {
        guard !messages.isEmpty else { return }
        try await perform { (db) throws(JournalError) in
            for m in messages { try Self.insert(m, db) }
        }
    }

    package static func insert(_ m: QueuedMessage, _ db: SQLiteConnection) throws(JournalError) {
        let exists = try db.statement("SELECT 1 FROM queue_messages WHERE queue = ?1 AND id = ?2")
        exists.bind(1, m.queue)
        exists.bind(2, m.id)
        let taken = try exists.step()
        sqlite3_reset(exists.handle)
        if taken { throw JournalError(.alreadyExists, "message \(m.id) exists") }
        let s = try db.statement("""
            INSERT INTO queue_messages (queue, id, body, enqueued_ms, visible_ms, receive_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """)
        s.bind(1, m.queue)
        s.bind(2, m.id)
        s.bind(3, blob: m.body)
        s.bind(4, m.enqueuedMillis)
        s.bind(5, m.visibleAtMillis)
        s.bind(6, m.receiveCount)
        try s.run()
    }

    package func releaseReceived(queue: String, now: Int64) async throws(JournalError) {
        try await perform { (db) throws(JournalError) in
            let s = try db.statement("UPDATE queue_messages SET visible_ms = ?2 WHERE queue = ?1 AND receive_count > 0 AND visible_ms > ?2")
            s.bind(1, queue)
            s.bind(2, now)
            try s.run()
        }
    }

    package func receive(queue: String, limit: Int, now: Int64, visibilityMillis: Int64) async throws(JournalError) -> [QueuedMessage] {
        let taken = MessageBox()
        try await perform { (db) throws(JournalError) in
            let s = try db.statement("""
                SELECT id, body, enqueued_ms, visible_ms, receive_count FROM queue_messages
                WHERE queue = ?1 AND visible_ms <= ?2 ORDER BY visible_ms, id LIMIT ?3
                """)
            s.bind(1, queue)
            s.bind(2, now)
            s.bind(3, limit)
            var found: [QueuedMessage] = []
            while try s.step() {
                found.append(QueuedMessage(queue: queue, id: s.string(0) ?? "", body: s.blob(1) ?? [], enqueuedMillis: s.int64(2),
                                           visibleAtMillis: now + visibilityMillis, receiveCount: Int(s.int64(4)) + 1))
            }
            sqlite3_reset(s.handle)
            let u = try db.statement("UPDATE queue_messages SET visible_ms = ?3, receive_count = ?4 WHERE queue = ?1 AND id = ?2")
            for m in found {
                u.bind(1, queue)
                u.bind(2, m.id)
                u.bind(3, m.visibleAtMillis)
                u.bind(4, m.receiveCount)
                try u.run()
            }
            taken.messages = found
        }
        return taken.messages
    }

    package func delete(queue: String, id: String) async throws(JournalError) {
        try await perform { (db) throws(JournalError) in
            let s = try db.statement("DELETE FROM queue_messages WHERE queue = ?1 AND id = ?2")
            s.bind(1, queue)
            s.bind(2, id)
            try s.run()
        }
    }

    package func changeVisibility(queue: String, id: String, visibleAtMillis: Int64) async throws(JournalError) {
        try await perform { (db) throws(JournalError) in
            let s = try db.statement("UPDATE queue_messages SET visible_ms = ?3 WHERE queue = ?1 AND id = ?2")
            s.bind(1, queue)
            s.bind(2, id)
            s.bind(3, visibleAtMillis)
            try s.run()
        }
    }

    package func nextVisible(queue: String) async throws(JournalError) -> Int64? {
        try read { (db) throws(JournalError) -> Int64? in
            let s = try db.statement("SELECT MIN(visible_ms) FROM queue_messages WHERE queue = ?1")
            s.bind(1, queue)
            _ = try s.step()
            return s.optionalInt64(0)
        }
    }

    package func messages(queue: String) async throws(JournalError) -> [QueuedMessage] {
        try read { (db) throws(JournalError) -> [QueuedMessage] in
            let s = try db.statement("""
                SELECT id, body, enqueued_ms, visible_ms, receive_count FROM queue_messages WHERE queue = ?1 ORDER BY visible_ms, id
                """)
            s.bind(1, queue)
            var out: [QueuedMessage] = []
            while try s.step() {
                out.append(QueuedMessage(queue: queue, id: s.string(0) ?? "", body: s.blob(1) ?? [], enqueuedMillis: s.int64(2),
                                         visibleAtMillis: s.int64(3), receiveCount: Int(s.int64(4))))
            }
            return out
        }
    }
}

/// Carries what a write found back from the writer thread; read only after the write's commit
/// resumed the caller (the continuation orders the two).
final class MessageBox: @unchecked Sendable {
    var messages: [QueuedMessage] = []
}

/// A number a write found (the row id it made, the rows it deleted), read after its commit
/// resumed the caller.
final class RowIdBox: @unchecked Sendable {
    var value: Int64 = 0
}
