import Journal

/// A message as the queue keeps it. `document` is what the sender gave (body, attributes and
/// their digests, the system attributes), serialized once at send; the columns are what the
/// queue's semantics read (visibility, receives, the FIFO group).
package struct StoredMessage: Sendable, Equatable {
    /// The order of acceptance, unique in the database: FIFO order and a FIFO message's
    /// SequenceNumber, and the message's part of a receipt handle.
    package var seq: Int64
    package var queue: String
    package var id: String
    package var document: [UInt8]
    package var groupId: String?
    package var sentMillis: Int64
    package var visibleAtMillis: Int64
    package var receiveCount: Int
    package var firstReceiveMillis: Int64?
    /// The latest receive's nonce: a receipt handle names it.
    package var receipt: String?
    /// The queue it was moved from when its receives ran out (DeadLetterQueueSourceArn).
    package var deadLetterSource: String?

    package init(seq: Int64 = 0, queue: String, id: String, document: [UInt8], groupId: String? = nil, sentMillis: Int64,
                 visibleAtMillis: Int64, receiveCount: Int = 0, firstReceiveMillis: Int64? = nil, receipt: String? = nil,
                 deadLetterSource: String? = nil) {
        self.deadLetterSource = deadLetterSource
        self.seq = seq
        self.queue = queue
        self.id = id
        self.document = document
        self.groupId = groupId
        self.sentMillis = sentMillis
        self.visibleAtMillis = visibleAtMillis
        self.receiveCount = receiveCount
        self.firstReceiveMillis = firstReceiveMillis
        self.receipt = receipt
    }
}

/// A message to send, with its FIFO deduplication key (already scoped to its group when the
/// queue deduplicates per group) and when that key stops deduplicating.
package struct OutgoingMessage: Sendable {
    package var message: StoredMessage
    package var deduplication: (key: String, expiresMillis: Int64)?

    package init(_ message: StoredMessage, deduplication: (key: String, expiresMillis: Int64)? = nil) {
        self.message = message
        self.deduplication = deduplication
    }
}

/// What a receive asks for.
package struct ReceiveRequest: Sendable {
    package var queue: String
    package var limit: Int
    package var now: Int64
    package var visibilityMillis: Int64
    /// FIFO: a group's messages go in order, and none while one of the group is in flight.
    package var fifo: Bool
    /// Messages sent before this are past retention and never delivered.
    package var retainedSince: Int64
    /// Where a message received more than `maxReceiveCount` times goes instead of being returned.
    package var deadLetter: (queue: String, maxReceiveCount: Int)?
    /// Nonces for the receipts (one per message returned, drawn by the caller so the store stays deterministic).
    package var nonce: @Sendable () -> String

    package init(queue: String, limit: Int, now: Int64, visibilityMillis: Int64, fifo: Bool, retainedSince: Int64,
                 deadLetter: (queue: String, maxReceiveCount: Int)? = nil, nonce: @escaping @Sendable () -> String) {
        self.queue = queue
        self.limit = limit
        self.now = now
        self.visibilityMillis = visibilityMillis
        self.fifo = fifo
        self.retainedSince = retainedSince
        self.deadLetter = deadLetter
        self.nonce = nonce
    }
}

extension ReceiveRequest {
    /// What a receive does with the messages it found: those past their receives go to the
    /// dead-letter queue; the others are handed out (counted, hidden, a new receipt each). A
    /// FIFO group whose earlier message just went to the dead-letter queue is not served in
    /// this receive (its later messages wait for the next, keeping order simple).
    func sort(_ found: [StoredMessage]) -> (dead: [StoredMessage], taken: [StoredMessage]) {
        var dead: [StoredMessage] = []
        var taken: [StoredMessage] = []
        var heldGroups: Set<String> = []
        for var m in found {
            if let dlq = deadLetter, m.receiveCount >= dlq.maxReceiveCount {
                dead.append(m)
                if let g = m.groupId { heldGroups.insert(g) }
                continue
            }
            if let g = m.groupId, heldGroups.contains(g) { continue }
            m.receiveCount += 1
            m.visibleAtMillis = now + visibilityMillis
            if m.firstReceiveMillis == nil { m.firstReceiveMillis = now }
            m.receipt = nonce()
            taken.append(m)
        }
        return (dead, taken)
    }
}

/// How a delete or a visibility change by receipt went.
package enum ReceiptOutcome: Sendable, Equatable {
    case done
    /// No such message (deleted, expired, or never there).
    case gone
    /// The message exists but is not in flight (a visibility change needs it in flight).
    case notInFlight
    /// The receipt is older than the message's latest receive.
    case stale
}

/// How many messages a queue holds, as GetQueueAttributes reports them.
package struct MessageCounts: Sendable, Equatable {
    package var visible = 0
    package var inFlight = 0
    package var delayed = 0
}

/// The queues' messages on disk: every change through the journal's one writer (grouped with
/// every other commit), so an acknowledged send is durable and a receive's hiding is atomic.
/// Waiting messages cost disk, not memory.
package protocol MessageStore: Sendable {
    /// Sends every message or none; a FIFO message whose deduplication key is live is not
    /// stored again, and the earlier message is returned in its place.
    func send(_ messages: [OutgoingMessage], now: Int64) async throws(JournalError) -> [StoredMessage]
    func receive(_ request: ReceiveRequest) async throws(JournalError) -> [StoredMessage]
    /// Deletes each message a receipt names (`seq`), in one commit.
    func delete(queue: String, seqs: [Int64]) async throws(JournalError) -> [ReceiptOutcome]
    func changeVisibility(queue: String, seq: Int64, receipt: String, visibleAtMillis: Int64, now: Int64) async throws(JournalError) -> ReceiptOutcome
    /// Removes every message of the queue (and its deduplication keys when `dropping`).
    func purge(queue: String, dropping: Bool) async throws(JournalError)
    func counts(queue: String, now: Int64) async throws(JournalError) -> MessageCounts
    /// The earliest moment after `now` at which a message of the queue becomes visible.
    func nextVisible(queue: String, after now: Int64) async throws(JournalError) -> Int64?
    /// Deletes what retention no longer keeps, and deduplication keys past their five minutes.
    func expire(queue: String, sentBefore: Int64, now: Int64) async throws(JournalError) -> Int
    /// Moves up to `limit` visible messages from one queue to another (a DLQ redrive), oldest
    /// first; to each message's own source queue when `to` is nil.
    func move(from: String, to: String?, limit: Int, now: Int64) async throws(JournalError) -> Int
    /// Every queue name that has messages (orphans of a queue deleted mid-crash are purged at start).
    func queuesWithMessages() async throws(JournalError) -> [String]
    /// Sends the messages and enqueues the durable deliveries in one commit (a topic's
    /// publication: its queue subscriptions' messages, its other subscriptions' deliveries);
    /// a delivery whose id is taken is queued already (the same publication planned again).
    func send(_ messages: [OutgoingMessage], enqueueing deliveries: [QueuedMessage], now: Int64) async throws(JournalError) -> [StoredMessage]
    /// Calls `arrived` with a queue's name whenever another node has sent to it, so that this
    /// node's long polls on it look again. A store only this process writes never calls it.
    func observeArrivals(_ arrived: @escaping @Sendable (String) async -> Void)
}

extension MessageStore {
    package func observeArrivals(_ arrived: @escaping @Sendable (String) async -> Void) {}
}
