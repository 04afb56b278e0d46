import Journal
import Logging
import PostgresNIO

/// The inbox: how a node asks the owner of a partition for a step (many nodes on one
/// database). The request is a row, committed before anyone is told; the owner is told by
/// NOTIFY and, should the notice be missed, finds the row when it next looks (on taking a
/// partition over, and at each heartbeat). The answer is written in the same row, and the
/// asker is told by NOTIFY too.
extension PostgresJournal {
    /// Channels are the database's, not the schema's: each deployment has its own.
    var inboxChannel: String { "baton_inbox_\(location.schema)" }
    var replyChannel: String { "baton_reply_\(location.schema)" }
    var activityChannel: String { "baton_activity_\(location.schema)" }
    var functionChannel: String { "baton_function_\(location.schema)" }

    /// Which notices a node listens for.
    package enum Notices: Sendable {
        /// Requests for the partitions a node owns (the payload: the partition).
        case requests
        /// Answers to a node's requests (the payload: the request's id).
        case replies
        /// Activity tasks scheduled on any node (the payload: the activity's ARN).
        case activities
        /// Functions created, changed or deleted through another node (the payload: the function's name).
        case functions
    }

    /// Hands an activity task to one worker across every node: true for the first to ask.
    package func claimActivityTask(token: String) async throws(JournalError) -> Bool {
        try await !all("UPDATE task_tokens SET claimed = TRUE WHERE token = \(token) AND NOT claimed RETURNING 1", "an activity task") { _ in 1 }.isEmpty
    }

    /// Tells every node's long polls that an activity has a task.
    package func announce(activity arn: String) async throws(JournalError) {
        try await run("SELECT pg_notify(\(activityChannel), \(arn))", "an activity's notice")
    }

    /// Stores a request for `partition`'s owner and tells it; returns the request's id.
    package func request(partition: Int, _ request: String) async throws(JournalError) -> Int64 {
        // One statement: the notice is delivered at its commit, so the owner never looks before the row is there.
        let ids = try await all("""
            WITH r AS (INSERT INTO inbox (partition, request) VALUES (\(Int64(partition)), \(request)) RETURNING id)
            SELECT id FROM r, pg_notify(\(inboxChannel), \(String(partition)))
            """, "a request to partition \(partition)") { try $0.decode(Int64.self) }
        guard let id = ids.first else { throw JournalError(.corrupt, "a request to partition \(partition) got no id") }
        return id
    }

    /// Open requests of these partitions, oldest first.
    package func requests(partitions: [Int], limit: Int = 500) async throws(JournalError) -> [(id: Int64, partition: Int, request: String)] {
        try await all("""
            SELECT id, partition, request FROM inbox WHERE reply IS NULL AND partition = ANY(\(partitions.map(Int64.init))) ORDER BY id LIMIT \(Int64(limit))
            """, "the inbox") { row in
            let (id, p, r) = try row.decode((Int64, Int64, String).self)
            return (id: id, partition: Int(p), request: r)
        }
    }

    /// The statement that answers a request, for a step to commit with it (the answer and the
    /// step it reports are one commit: a retried request never applies twice).
    package func replyStatement(id: Int64, _ reply: String) -> StepAttachment {
        let channel = replyChannel
        return StepAttachment(store: "inbox") { (t) throws(JournalError) in
            guard case .statements(let list) = t else { throw JournalError(.corrupt, "the inbox is PostgreSQL's") }
            list.add("UPDATE inbox SET reply = $2 WHERE id = $1 AND reply IS NULL", [.integer(id), .text(reply)])
            list.add("SELECT pg_notify($1, $2)", [.text(channel), .text(String(id))])
        }
    }

    /// Answers a request that took no step (refused, or nothing to do).
    package func reply(id: Int64, _ reply: String) async throws(JournalError) {
        let channel = replyChannel
        let logger = self.logger
        try await transaction("the reply to request \(id)") { c in
            try await c.query("UPDATE inbox SET reply = \(reply) WHERE id = \(id) AND reply IS NULL", logger: logger)
            try await c.query("SELECT pg_notify(\(channel), \(String(id)))", logger: logger)
        }
    }

    /// A request's answer once there is one; the row goes with it.
    package func takeReply(id: Int64) async throws(JournalError) -> String? {
        try await all("DELETE FROM inbox WHERE id = \(id) AND reply IS NOT NULL RETURNING reply", "the reply to request \(id)") {
            try $0.decode(String.self)
        }.first
    }

    /// Calls `notified` with each notice's payload on `channel` until cancelled (one pooled
    /// connection held for it); a lost connection is reopened after a second. `listening` runs
    /// each time the channel is listened to, first time included: notices sent before then
    /// reached nobody, so a listener that keeps state reads it again there.
    package func listen(_ notices: Notices, listening: (@Sendable () async -> Void)? = nil,
                        _ notified: @escaping @Sendable (String) async -> Void) async {
        let channel = switch notices {
        case .requests: inboxChannel
        case .replies: replyChannel
        case .activities: activityChannel
        case .functions: functionChannel
        }
        while !Task.isCancelled {
            do {
                try await client.withConnection { c in
                    let stream = try await c.listen(channel)
                    await listening?()
                    for try await n in stream { await notified(n.payload) }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("listening on \(channel) failed; again in a second", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
