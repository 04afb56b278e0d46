import CSQLite
import Foundation
import Journal

/// The messages in the journal's database. Receives are writes (they hide what they return),
/// so each runs on the one writer inside a group commit: two receivers can never be handed the
/// same message, and many receives share one fsync.
package final class SQLiteMessageStore: MessageStore {
    let db: SQLiteJournal

    package init(_ db: SQLiteJournal) async throws(JournalError) {
        self.db = db
        try await db.migrate(component: "sqs", Self.steps)
    }

    /// Append, never edit: step i is version i + 1.
    static let steps = [
        """
        CREATE TABLE sqs_messages (
            seq INTEGER PRIMARY KEY,
            queue TEXT NOT NULL,
            id TEXT NOT NULL,
            document BLOB NOT NULL,
            group_id TEXT,
            sent_ms INTEGER NOT NULL,
            visible_ms INTEGER NOT NULL,
            receive_count INTEGER NOT NULL DEFAULT 0,
            first_receive_ms INTEGER,
            receipt TEXT,
            dead_letter_source TEXT
        );
        CREATE INDEX sqs_messages_visible ON sqs_messages (queue, visible_ms);
        CREATE INDEX sqs_messages_group ON sqs_messages (queue, group_id, seq) WHERE group_id IS NOT NULL;
        CREATE TABLE sqs_deduplication (
            queue TEXT NOT NULL,
            key TEXT NOT NULL,
            seq INTEGER NOT NULL,
            message_id TEXT NOT NULL,
            expires_ms INTEGER NOT NULL,
            PRIMARY KEY (queue, key)
        );
        """,
        // FIFO groups take turns: a group served by a receive goes behind the others (AWS's order).
        """
        CREATE TABLE sqs_groups (
            queue TEXT NOT NULL,
            group_id TEXT NOT NULL,
            rank INTEGER NOT NULL,
            PRIMARY KEY (queue, group_id)
        );
        """,
    ]

    package func send(_ messages: [OutgoingMessage], now: Int64) async throws(JournalError) -> [StoredMessage] {
        let box = StoredBox()
        try await db.perform { (c) throws(JournalError) in box.messages = try Self.insert(messages, now: now, c) }
        return box.messages
    }

    package func send(_ messages: [OutgoingMessage], enqueueing deliveries: [QueuedMessage],
                      now: Int64) async throws(JournalError) -> [StoredMessage] {
        let box = StoredBox()
        try await db.perform { (c) throws(JournalError) in
            box.messages = try Self.insert(messages, now: now, c)
            for m in deliveries {
                // Taken: queued already (the same publication planned again).
                do throws(JournalError) { try SQLiteJournal.insert(m, c) } catch { if error.code != .alreadyExists { throw error } }
            }
        }
        return box.messages
    }

    /// The inserts of a send, on any writer transaction (a Task state's send runs them in its step's).
    static func insert(_ messages: [OutgoingMessage], now: Int64, _ c: SQLiteConnection) throws(JournalError) -> [StoredMessage] {
        var out: [StoredMessage] = []
        for var o in messages {
            if let d = o.deduplication {
                let f = try c.statement("SELECT seq, message_id FROM sqs_deduplication WHERE queue = ?1 AND key = ?2 AND expires_ms > ?3")
                f.bind(1, o.message.queue)
                f.bind(2, d.key)
                f.bind(3, now)
                if try f.step() {
                    o.message.seq = f.int64(0)
                    o.message.id = f.string(1) ?? o.message.id
                    f.reset()
                    out.append(o.message)
                    continue
                }
                f.reset()
            }
            let m = o.message
            let s = try c.statement("""
                INSERT INTO sqs_messages (queue, id, document, group_id, sent_ms, visible_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                """)
            s.bind(1, m.queue)
            s.bind(2, m.id)
            s.bind(3, blob: m.document)
            s.bind(4, m.groupId)
            s.bind(5, m.sentMillis)
            s.bind(6, m.visibleAtMillis)
            try s.run()
            o.message.seq = sqlite3_last_insert_rowid(c.handle)
            if let g = m.groupId {
                let r = try c.statement("INSERT OR IGNORE INTO sqs_groups (queue, group_id, rank) VALUES (?1, ?2, ?3)")
                r.bind(1, m.queue)
                r.bind(2, g)
                r.bind(3, o.message.seq)
                try r.run()
            }
            if let d = o.deduplication {
                let k = try c.statement("""
                    INSERT OR REPLACE INTO sqs_deduplication (queue, key, seq, message_id, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5)
                    """)
                k.bind(1, m.queue)
                k.bind(2, d.key)
                k.bind(3, o.message.seq)
                k.bind(4, m.id)
                k.bind(5, d.expiresMillis)
                try k.run()
            }
            out.append(o.message)
        }
        return out
    }

    package func receive(_ r: ReceiveRequest) async throws(JournalError) -> [StoredMessage] {
        let box = StoredBox()
        // A receive's hiding need not be durable before it answers: lost in a crash, the
        // messages are delivered again, which at-least-once delivery allows; a delete of what
        // it returned commits after it. Not waiting for the fsync halves a consumer's round trip.
        try await db.performVisible { (c) throws(JournalError) in box.messages = try Self.receive(r, c) }
        return box.messages
    }

    static let columns = "seq, id, document, group_id, sent_ms, visible_ms, receive_count, first_receive_ms, receipt, dead_letter_source"

    static let prefixed = columns.split(separator: ",").map { "m." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")

    static func row(_ s: Statement, queue: String) -> StoredMessage {
        StoredMessage(seq: s.int64(0), queue: queue, id: s.string(1) ?? "", document: s.blob(2) ?? [], groupId: s.string(3),
                      sentMillis: s.int64(4), visibleAtMillis: s.int64(5), receiveCount: Int(s.int64(6)),
                      firstReceiveMillis: s.optionalInt64(7), receipt: s.string(8), deadLetterSource: s.string(9))
    }

    static func receive(_ r: ReceiveRequest, _ c: SQLiteConnection) throws(JournalError) -> [StoredMessage] {
        // A FIFO message is eligible when no message of its group sent before it is hidden (in
        // flight or delayed): strict order per group, and a group whose earlier message became
        // visible again is served again at once (AWS's behaviour).
        let sql = r.fifo
            ? """
              SELECT \(prefixed) FROM sqs_messages m LEFT JOIN sqs_groups g ON g.queue = m.queue AND g.group_id = m.group_id
              WHERE m.queue = ?1 AND m.visible_ms <= ?2 AND m.sent_ms >= ?3
              AND NOT EXISTS (SELECT 1 FROM sqs_messages p WHERE p.queue = ?1 AND p.group_id = m.group_id AND p.seq < m.seq
                              AND p.visible_ms > ?2)
              ORDER BY g.rank, m.seq LIMIT ?4
              """
            : "SELECT \(columns) FROM sqs_messages WHERE queue = ?1 AND visible_ms <= ?2 AND sent_ms >= ?3 ORDER BY visible_ms LIMIT ?4"
        var out: [StoredMessage] = []
        // Messages moved to the dead-letter queue leave room for others: look again.
        while out.count < r.limit {
            let s = try c.statement(sql)
            s.bind(1, r.queue)
            s.bind(2, r.now)
            s.bind(3, r.retainedSince)
            s.bind(4, r.limit - out.count)
            var found: [StoredMessage] = []
            while try s.step() { found.append(row(s, queue: r.queue)) }
            s.reset()
            if found.isEmpty { break }
            let (dead, taken) = r.sort(found)
            for m in dead {
                let u = try c.statement("""
                    UPDATE sqs_messages SET queue = ?2, visible_ms = ?3, receipt = NULL, dead_letter_source = ?4 WHERE seq = ?1
                    """)
                u.bind(1, m.seq)
                u.bind(2, r.deadLetter?.queue ?? r.queue)
                u.bind(3, r.now)
                u.bind(4, r.queue)
                try u.run()
            }
            for m in taken {
                let u = try c.statement("""
                    UPDATE sqs_messages SET visible_ms = ?2, receive_count = ?3, first_receive_ms = ?4, receipt = ?5 WHERE seq = ?1
                    """)
                u.bind(1, m.seq)
                u.bind(2, m.visibleAtMillis)
                u.bind(3, m.receiveCount)
                u.bind(4, m.firstReceiveMillis)
                u.bind(5, m.receipt)
                try u.run()
                out.append(m)
            }
            if dead.isEmpty { break }
        }
        if r.fifo { try sendToBack(Array(distinctInOrder(out.compactMap(\.groupId))), queue: r.queue, c) }
        return out
    }

    /// The groups just served go behind every other group of the queue, in the order served.
    static func sendToBack(_ groups: [String], queue: String, _ c: SQLiteConnection) throws(JournalError) {
        guard !groups.isEmpty else { return }
        let m = try c.statement("SELECT MAX((SELECT IFNULL(MAX(seq), 0) FROM sqs_messages), (SELECT IFNULL(MAX(rank), 0) FROM sqs_groups WHERE queue = ?1))")
        m.bind(1, queue)
        _ = try m.step()
        let base = m.int64(0)
        m.reset()
        for (i, g) in groups.enumerated() {
            let u = try c.statement("UPDATE sqs_groups SET rank = ?3 WHERE queue = ?1 AND group_id = ?2")
            u.bind(1, queue)
            u.bind(2, g)
            u.bind(3, base + 1 + Int64(i))
            try u.run()
        }
    }

    package func delete(queue: String, seqs: [Int64]) async throws(JournalError) -> [ReceiptOutcome] {
        let box = OutcomeBox()
        try await db.perform { (c) throws(JournalError) in
            var out: [ReceiptOutcome] = []
            for seq in seqs {
                let s = try c.statement("DELETE FROM sqs_messages WHERE seq = ?1 AND queue = ?2")
                s.bind(1, seq)
                s.bind(2, queue)
                try s.run()
                out.append(sqlite3_changes(c.handle) > 0 ? .done : .gone)
            }
            box.outcomes = out
        }
        return box.outcomes
    }

    package func changeVisibility(queue: String, seq: Int64, receipt: String, visibleAtMillis: Int64,
                                  now: Int64) async throws(JournalError) -> ReceiptOutcome {
        let box = OutcomeBox()
        try await db.perform { (c) throws(JournalError) in
            let f = try c.statement("SELECT visible_ms, receive_count, receipt FROM sqs_messages WHERE seq = ?1 AND queue = ?2")
            f.bind(1, seq)
            f.bind(2, queue)
            guard try f.step() else {
                box.outcome = .gone
                return
            }
            let visible = f.int64(0), receives = f.int64(1), current = f.string(2)
            f.reset()
            // AWS changes the visibility of a message that was received, whatever the receipt
            // and even once its visibility ran out (standard queues); never of one not yet received.
            _ = (visible, current)
            guard receives > 0 else {
                box.outcome = .notInFlight
                return
            }
            let u = try c.statement("UPDATE sqs_messages SET visible_ms = ?2 WHERE seq = ?1")
            u.bind(1, seq)
            u.bind(2, visibleAtMillis)
            try u.run()
            box.outcome = .done
        }
        return box.outcome
    }

    package func purge(queue: String, dropping: Bool) async throws(JournalError) {
        try await db.perform { (c) throws(JournalError) in
            let s = try c.statement("DELETE FROM sqs_messages WHERE queue = ?1")
            s.bind(1, queue)
            try s.run()
            let g = try c.statement("DELETE FROM sqs_groups WHERE queue = ?1")
            g.bind(1, queue)
            try g.run()
            if dropping {
                let d = try c.statement("DELETE FROM sqs_deduplication WHERE queue = ?1")
                d.bind(1, queue)
                try d.run()
            }
        }
    }

    package func counts(queue: String, now: Int64) async throws(JournalError) -> MessageCounts {
        try db.read { (c) throws(JournalError) -> MessageCounts in
            let s = try c.statement("""
                SELECT SUM(visible_ms <= ?2), SUM(visible_ms > ?2 AND receive_count > 0), SUM(visible_ms > ?2 AND receive_count = 0)
                FROM sqs_messages WHERE queue = ?1
                """)
            s.bind(1, queue)
            s.bind(2, now)
            guard try s.step() else { return MessageCounts() }
            return MessageCounts(visible: Int(s.int64(0)), inFlight: Int(s.int64(1)), delayed: Int(s.int64(2)))
        }
    }

    package func nextVisible(queue: String, after now: Int64) async throws(JournalError) -> Int64? {
        try db.read { (c) throws(JournalError) -> Int64? in
            let s = try c.statement("SELECT MIN(visible_ms) FROM sqs_messages WHERE queue = ?1 AND visible_ms > ?2")
            s.bind(1, queue)
            s.bind(2, now)
            _ = try s.step()
            return s.optionalInt64(0)
        }
    }

    package func expire(queue: String, sentBefore: Int64, now: Int64) async throws(JournalError) -> Int {
        let box = CountBox()
        try await db.perform { (c) throws(JournalError) in
            let s = try c.statement("DELETE FROM sqs_messages WHERE queue = ?1 AND sent_ms < ?2")
            s.bind(1, queue)
            s.bind(2, sentBefore)
            try s.run()
            box.count = Int(sqlite3_changes(c.handle))
            let d = try c.statement("DELETE FROM sqs_deduplication WHERE queue = ?1 AND expires_ms <= ?2")
            d.bind(1, queue)
            d.bind(2, now)
            try d.run()
            let g = try c.statement("""
                DELETE FROM sqs_groups WHERE queue = ?1 AND NOT EXISTS
                    (SELECT 1 FROM sqs_messages m WHERE m.queue = ?1 AND m.group_id = sqs_groups.group_id)
                """)
            g.bind(1, queue)
            try g.run()
        }
        return box.count
    }

    package func move(from: String, to: String?, limit: Int, now: Int64) async throws(JournalError) -> Int {
        let box = CountBox()
        try await db.perform { (c) throws(JournalError) in
            let s = try c.statement("""
                UPDATE sqs_messages SET queue = COALESCE(?2, dead_letter_source), visible_ms = ?3, receive_count = 0,
                    first_receive_ms = NULL, receipt = NULL, dead_letter_source = NULL
                WHERE seq IN (SELECT seq FROM sqs_messages WHERE queue = ?1 AND visible_ms <= ?3
                              AND (?2 IS NOT NULL OR dead_letter_source IS NOT NULL) ORDER BY seq LIMIT ?4)
                """)
            s.bind(1, from)
            s.bind(2, to)
            s.bind(3, now)
            s.bind(4, limit)
            try s.run()
            box.count = Int(sqlite3_changes(c.handle))
        }
        return box.count
    }

    package func queuesWithMessages() async throws(JournalError) -> [String] {
        try db.read { (c) throws(JournalError) -> [String] in
            try c.statement("SELECT DISTINCT queue FROM sqs_messages").all { $0.string(0) ?? "" }
        }
    }
}

/// What a write found, read after its commit resumed the caller (the continuation orders the two).
final class StoredBox: @unchecked Sendable { var messages: [StoredMessage] = [] }
final class OutcomeBox: @unchecked Sendable {
    var outcome: ReceiptOutcome = .gone
    var outcomes: [ReceiptOutcome] = []
}
final class CountBox: @unchecked Sendable { var count = 0 }

/// The distinct elements of a sequence, in first-seen order.
func distinctInOrder(_ items: [String]) -> [String] {
    var seen: Set<String> = []
    return items.filter { seen.insert($0).inserted }
}
