/// A message of a durable queue: accepted once committed, hidden while a consumer holds it,
/// visible again (at least once delivery) if that consumer never finishes.
package struct QueuedMessage: Sendable, Equatable {
    package var queue: String
    package var id: String
    package var body: [UInt8]
    package var enqueuedMillis: Int64
    package var visibleAtMillis: Int64
    /// How many times it was received (the first delivery is 1).
    package var receiveCount: Int

    package init(queue: String, id: String, body: [UInt8], enqueuedMillis: Int64, visibleAtMillis: Int64, receiveCount: Int = 0) {
        self.queue = queue
        self.id = id
        self.body = body
        self.enqueuedMillis = enqueuedMillis
        self.visibleAtMillis = visibleAtMillis
        self.receiveCount = receiveCount
    }
}

/// The journal's durable queue: Lambda's asynchronous invocations now, the event bus's target
/// retries and the message queues next. Time is an argument: the engine's clock drives it.
/// Every backend passes `DurableQueueContractTests`.
package protocol DurableQueueStore: Sendable {
    /// Returns once the message is committed. Throws `.alreadyExists` for a taken id.
    func enqueue(_ message: QueuedMessage) async throws(JournalError)
    /// Commits every message or none (one PutEvents' deliveries).
    func enqueue(all messages: [QueuedMessage]) async throws(JournalError)
    /// Up to `limit` messages visible at `now`, oldest visibility first; each is hidden until
    /// `now + visibilityMillis` and its receive count goes up, in one commit.
    func receive(queue: String, limit: Int, now: Int64, visibilityMillis: Int64) async throws(JournalError) -> [QueuedMessage]
    func delete(queue: String, id: String) async throws(JournalError)
    func changeVisibility(queue: String, id: String, visibleAtMillis: Int64) async throws(JournalError)
    /// The earliest time a message of the queue becomes visible; nil when the queue is empty.
    func nextVisible(queue: String) async throws(JournalError) -> Int64?
    /// Every message of the queue, by visibility (inspection and tests).
    func messages(queue: String) async throws(JournalError) -> [QueuedMessage]
    /// Makes every hidden message that was already received visible at `now`: on a node's
    /// start nothing of its queues is really in flight, so a message a crash interrupted is
    /// tried again at once rather than after its visibility timeout. (One node owns its
    /// queues today; several nodes sharing one store would release only their own.)
    func releaseReceived(queue: String, now: Int64) async throws(JournalError)
}

/// The queue in memory, for tests.
package actor InMemoryQueueStore: DurableQueueStore {
    private var rows: [String: [String: QueuedMessage]] = [:]

    package init() {}

    package func enqueue(_ m: QueuedMessage) throws(JournalError) {
        guard rows[m.queue]?[m.id] == nil else { throw JournalError(.alreadyExists, "message \(m.id) exists") }
        rows[m.queue, default: [:]][m.id] = m
    }

    package func receive(queue: String, limit: Int, now: Int64, visibilityMillis: Int64) throws(JournalError) -> [QueuedMessage] {
        let visible = (rows[queue] ?? [:]).values.filter { $0.visibleAtMillis <= now }
            .sorted { ($0.visibleAtMillis, $0.id) < ($1.visibleAtMillis, $1.id) }.prefix(limit)
        var out: [QueuedMessage] = []
        for var m in visible {
            m.visibleAtMillis = now + visibilityMillis
            m.receiveCount += 1
            rows[queue]?[m.id] = m
            out.append(m)
        }
        return out
    }

    package func enqueue(all messages: [QueuedMessage]) throws(JournalError) {
        for m in messages where rows[m.queue]?[m.id] != nil { throw JournalError(.alreadyExists, "message \(m.id) exists") }
        for m in messages { rows[m.queue, default: [:]][m.id] = m }
    }

    package func delete(queue: String, id: String) throws(JournalError) { rows[queue]?[id] = nil }

    package func changeVisibility(queue: String, id: String, visibleAtMillis: Int64) throws(JournalError) {
        rows[queue]?[id]?.visibleAtMillis = visibleAtMillis
    }

    package func nextVisible(queue: String) throws(JournalError) -> Int64? { rows[queue]?.values.map(\.visibleAtMillis).min() }

    package func releaseReceived(queue: String, now: Int64) throws(JournalError) {
        for (id, m) in rows[queue] ?? [:] where m.receiveCount > 0 && m.visibleAtMillis > now { rows[queue]?[id]?.visibleAtMillis = now }
    }

    package func messages(queue: String) throws(JournalError) -> [QueuedMessage] {
        (rows[queue] ?? [:]).values.sorted { ($0.visibleAtMillis, $0.id) < ($1.visibleAtMillis, $1.id) }
    }
}
