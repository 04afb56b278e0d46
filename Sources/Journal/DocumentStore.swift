/// One write of a service's document: a body to keep under (owner, key), or nil to remove it.
package struct DocumentWrite: Sendable, Equatable {
    package var owner: String
    package var key: String
    package var body: [UInt8]?

    package init(owner: String, key: String, body: [UInt8]?) {
        self.owner = owner
        self.key = key
        self.body = body
    }
}

/// The store a service adds without a schema of its own: documents by owner and key, in the
/// one database, written through the one writer (grouped with every other commit). A write
/// returns only once it is committed. Every backend passes `DocumentStoreContractTests`.
package protocol DocumentStore: Sendable {
    /// All writes commit together or none does.
    func write(_ documents: [DocumentWrite]) async throws(JournalError)
    /// Every document of `owner`, ordered by key.
    func documents(owner: String) async throws(JournalError) -> [(key: String, body: [UInt8])]
    /// One document of `owner`, or nil.
    func document(owner: String, key: String) async throws(JournalError) -> [UInt8]?
    /// Calls `changed` whenever another process sharing the store (another node on one
    /// PostgreSQL database) has committed a change to a document of `owner`: with its key, or
    /// with nil when changes may have been missed (a notice connection lost) and every
    /// document of `owner` should be read again. A store only this process writes never calls it.
    func observe(owner: String, _ changed: @escaping @Sendable (String?) async -> Void)
    /// Whether other processes may write the store (PostgreSQL: other nodes may).
    var sharedWithOtherNodes: Bool { get }
    /// Writes one document only if the stored one is still `previous` (nil: absent), byte for
    /// byte; false, changing nothing, when another process changed it first.
    func write(_ document: DocumentWrite, expecting previous: [UInt8]?) async throws(JournalError) -> Bool
}

extension DocumentStore {
    package func document(owner: String, key: String) async throws(JournalError) -> [UInt8]? {
        try await documents(owner: owner).first { $0.key == key }?.body
    }

    /// One process owns the store: nothing changes behind its back.
    package func observe(owner: String, _ changed: @escaping @Sendable (String?) async -> Void) {}

    /// Whether other processes may write the store (PostgreSQL: other nodes may).
    package var sharedWithOtherNodes: Bool { false }

    /// One process owns the store (and its books serialize their own changes): nothing to compare.
    package func write(_ document: DocumentWrite, expecting previous: [UInt8]?) async throws(JournalError) -> Bool {
        try await write([document])
        return true
    }
}

/// What the services that keep only documents and durable deliveries need of a store: both,
/// and a write of documents with deliveries in one commit (a schedule's fired occurrence with
/// the deliveries it makes). The journal's backend provides it, SQLite or PostgreSQL, so on
/// PostgreSQL every node sees the same parameters, rules and schedules.
package protocol ServiceStore: DocumentStore, DurableQueueStore {
    /// Commits the documents and the messages together, or nothing; `.alreadyExists` when a
    /// message's id is taken (an occurrence another node fired first).
    func write(_ documents: [DocumentWrite], enqueueing messages: [QueuedMessage]) async throws(JournalError)
}

extension SQLiteJournal: ServiceStore {}

extension SQLiteJournal: DocumentStore {}

/// Documents in memory, for tests and `baton run`.
package actor InMemoryDocumentStore: DocumentStore {
    private var rows: [String: [String: [UInt8]]] = [:]

    package init() {}

    package func write(_ documents: [DocumentWrite]) throws(JournalError) {
        for d in documents {
            if let body = d.body { rows[d.owner, default: [:]][d.key] = body } else { rows[d.owner]?[d.key] = nil }
        }
    }

    package func documents(owner: String) throws(JournalError) -> [(key: String, body: [UInt8])] {
        (rows[owner] ?? [:]).sorted { $0.key < $1.key }.map { (key: $0.key, body: $0.value) }
    }
}
