import Journal
import Logging
import NIOCore
import PostgresNIO

/// The durable queue. A receive takes its messages with `FOR UPDATE SKIP LOCKED`, so several
/// nodes receiving from one queue never take the same message at once.
extension PostgresJournal: DurableQueueStore {
    package func enqueue(_ message: QueuedMessage) async throws(JournalError) {
        try await enqueue(all: [message])
    }

    package func enqueue(all messages: [QueuedMessage]) async throws(JournalError) {
        try await write([], enqueueing: messages)
    }

    static func insert(_ messages: [QueuedMessage], _ c: PostgresConnection, logger: Logger) async throws {
        for m in messages {
            try await c.query("""
                INSERT INTO queue_messages (queue, id, body, enqueued_ms, visible_ms, receive_count)
                VALUES (\(m.queue), \(m.id), \(ByteBuffer(bytes: m.body)), \(m.enqueuedMillis), \(m.visibleAtMillis), \(Int64(m.receiveCount)))
                """, logger: logger)
        }
    }

    package func receive(queue: String, limit: Int, now: Int64, visibilityMillis: Int64) async throws(JournalError) -> [QueuedMessage] {
        let rows = try await all("""
            WITH picked AS (
                SELECT id, visible_ms AS was FROM queue_messages WHERE queue = \(queue) AND visible_ms <= \(now)
                ORDER BY visible_ms, id LIMIT \(Int64(limit)) FOR UPDATE SKIP LOCKED)
            UPDATE queue_messages m SET visible_ms = \(now + visibilityMillis), receive_count = m.receive_count + 1, received_by = \(receiver)
            FROM picked WHERE m.queue = \(queue) AND m.id = picked.id
            RETURNING m.id, m.body, m.enqueued_ms, m.visible_ms, m.receive_count, picked.was
            """, "a receive from \(queue)") { try $0.decode((String, ByteBuffer, Int64, Int64, Int64, Int64).self) }
        // RETURNING has no order: put the oldest visibility first, as the contract says.
        return rows.sorted { ($0.5, $0.0) < ($1.5, $1.0) }.map { r in
            QueuedMessage(queue: queue, id: r.0, body: Array(r.1.readableBytesView), enqueuedMillis: r.2, visibleAtMillis: r.3,
                          receiveCount: Int(r.4))
        }
    }

    package func delete(queue: String, id: String) async throws(JournalError) {
        try await run("DELETE FROM queue_messages WHERE queue = \(queue) AND id = \(id)", "deleting message \(id)")
    }

    package func changeVisibility(queue: String, id: String, visibleAtMillis: Int64) async throws(JournalError) {
        try await run("UPDATE queue_messages SET visible_ms = \(visibleAtMillis) WHERE queue = \(queue) AND id = \(id)", "message \(id)")
    }

    package func nextVisible(queue: String) async throws(JournalError) -> Int64? {
        try await all("SELECT MIN(visible_ms) FROM queue_messages WHERE queue = \(queue)", "queue \(queue)") {
            try $0.decode(Int64?.self)
        }.first ?? nil
    }

    package func messages(queue: String) async throws(JournalError) -> [QueuedMessage] {
        try await all("""
            SELECT id, body, enqueued_ms, visible_ms, receive_count FROM queue_messages WHERE queue = \(queue) ORDER BY visible_ms, id
            """, "queue \(queue)") { row in
            let (id, body, enqueued, visible, count) = try row.decode((String, ByteBuffer, Int64, Int64, Int64).self)
            return QueuedMessage(queue: queue, id: id, body: Array(body.readableBytesView), enqueuedMillis: enqueued,
                                 visibleAtMillis: visible, receiveCount: Int(count))
        }
    }

    package func releaseReceived(queue: String, now: Int64) async throws(JournalError) {
        // Only this node's: the other nodes' messages in flight are being worked on.
        try await run("""
            UPDATE queue_messages SET visible_ms = \(now)
            WHERE queue = \(queue) AND receive_count > 0 AND visible_ms > \(now) AND received_by = \(receiver)
            """, "queue \(queue)")
    }
}
