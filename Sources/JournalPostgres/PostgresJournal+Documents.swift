import Foundation
import Journal
import Logging
import NIOCore
import PostgresNIO

/// Services' documents, in the journal's database. Every node keeps the documents it serves
/// in memory (a `DocumentBook`), so each commit also tells the other nodes which documents
/// it changed (NOTIFY, delivered at the commit); they read those again. A node whose notice
/// connection drops reads every watched owner again once it listens anew.
extension PostgresJournal: ServiceStore {
    var documentChannel: String { "baton_documents_\(location.schema)" }

    package func write(_ documents: [DocumentWrite]) async throws(JournalError) {
        try await write(documents, enqueueing: [])
    }

    package func write(_ documents: [DocumentWrite], enqueueing messages: [QueuedMessage]) async throws(JournalError) {
        guard !documents.isEmpty || !messages.isEmpty else { return }
        let logger = self.logger
        let channel = documentChannel
        let origin = self.origin
        do {
            try await transaction("documents") { c in
                try await Self.insert(messages, c, logger: logger)
                for d in documents {
                    if let body = d.body {
                        try await c.query("""
                            INSERT INTO documents (owner, key, body) VALUES (\(d.owner), \(d.key), \(ByteBuffer(bytes: body)))
                            ON CONFLICT (owner, key) DO UPDATE SET body = EXCLUDED.body
                            """, logger: logger)
                    } else {
                        try await c.query("DELETE FROM documents WHERE owner = \(d.owner) AND key = \(d.key)", logger: logger)
                    }
                }
                // One notice per owner and key; PostgreSQL folds identical notices of one transaction.
                for d in documents {
                    try await c.query("SELECT pg_notify(\(channel), \(DocumentNotice(origin: origin, owner: d.owner, key: d.key).payload))",
                                      logger: logger)
                }
            }
        } catch where error.code == .alreadyExists && !messages.isEmpty {
            throw JournalError(.alreadyExists, "a message of these exists: \(messages.map(\.id).joined(separator: ", "))")
        }
    }

    package func documents(owner: String) async throws(JournalError) -> [(key: String, body: [UInt8])] {
        try await all("SELECT key, body FROM documents WHERE owner = \(owner) ORDER BY key", "documents of \(owner)") { row in
            let (key, body) = try row.decode((String, ByteBuffer).self)
            return (key: key, body: Array(body.readableBytesView))
        }
    }

    package func document(owner: String, key: String) async throws(JournalError) -> [UInt8]? {
        try await all("SELECT body FROM documents WHERE owner = \(owner) AND key = \(key)", "document \(key) of \(owner)") {
            Array(try $0.decode(ByteBuffer.self).readableBytesView)
        }.first
    }

    package var sharedWithOtherNodes: Bool { true }

    package func write(_ d: DocumentWrite, expecting previous: [UInt8]?) async throws(JournalError) -> Bool {
        let logger = self.logger
        let notice = DocumentNotice(origin: origin, owner: d.owner, key: d.key).payload
        let channel = documentChannel
        return try await transaction("document \(d.key) of \(d.owner)") { c in
            let query: PostgresQuery
            switch (previous, d.body) {
            case (nil, let body?):
                query = """
                    INSERT INTO documents (owner, key, body) VALUES (\(d.owner), \(d.key), \(ByteBuffer(bytes: body)))
                    ON CONFLICT (owner, key) DO NOTHING RETURNING 1
                    """
            case (let before?, let body?):
                query = """
                    UPDATE documents SET body = \(ByteBuffer(bytes: body))
                    WHERE owner = \(d.owner) AND key = \(d.key) AND body = \(ByteBuffer(bytes: before)) RETURNING 1
                    """
            case (let before?, nil):
                query = "DELETE FROM documents WHERE owner = \(d.owner) AND key = \(d.key) AND body = \(ByteBuffer(bytes: before)) RETURNING 1"
            case (nil, nil):
                // Absent and to stay absent: true unless another node created it.
                query = "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM documents WHERE owner = \(d.owner) AND key = \(d.key))"
            }
            let applied = try await !Self.rows(c, query, logger: logger) { _ in 1 }.isEmpty
            if applied && !(previous == nil && d.body == nil) {
                try await c.query("SELECT pg_notify(\(channel), \(notice))", logger: logger)
            }
            return applied
        }
    }

    package func observe(owner: String, _ changed: @escaping @Sendable (String?) async -> Void) {
        guard watchers.add(owner: owner, changed) else { return }
        // The first watcher starts the one listening connection of this journal.
        let journal = self
        watchers.start(Task { await journal.listenForDocuments() })
    }

    /// Tells the other nodes, at the commit of the transaction on `c`, that `key` of `owner`
    /// changed (their `observe(owner:)` watchers are called): for a service's own tables.
    package func notice(owner: String, key: String, on c: PostgresConnection) async throws {
        try await c.query("SELECT pg_notify(\(documentChannel), \(DocumentNotice(origin: origin, owner: owner, key: key).payload))",
                          logger: logger)
    }

    /// The `pg_notify` arguments that tell the other nodes `key` of `owner` changed, for a
    /// statement of a transaction this journal does not run (a `PostgresThread`'s).
    package func noticeArguments(owner: String, key: String) -> (channel: String, payload: String) {
        (documentChannel, DocumentNotice(origin: origin, owner: owner, key: key).payload)
    }

    /// Listens until the journal closes; after a lost connection, every watcher reads its owner again.
    private func listenForDocuments() async {
        let channel = documentChannel
        var first = true
        while !Task.isCancelled {
            do {
                try await client.withConnection { c in
                    let notices = try await c.listen(channel)
                    if !first { await self.watchers.notifyAll() }
                    first = false
                    for try await n in notices {
                        guard let notice = DocumentNotice(payload: n.payload), notice.origin != self.origin else { continue }
                        await self.watchers.notify(owner: notice.owner, key: notice.key)
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("listening for documents' changes failed; again in a second", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

/// A document changed: by which process (to skip its own), whose and which.
struct DocumentNotice: Equatable {
    var origin: String
    var owner: String
    var key: String

    var payload: String { "\(origin)\n\(owner)\n\(key)" }

    init(origin: String, owner: String, key: String) {
        self.origin = origin
        self.owner = owner
        self.key = key
    }

    init?(payload: String) {
        let parts = payload.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        (origin, owner, key) = (String(parts[0]), String(parts[1]), String(parts[2]))
    }
}

/// Who watches which owner's documents, and the task that listens for them.
final class DocumentWatchers: @unchecked Sendable {
    // @unchecked Sendable: every property is guarded by `lock`.
    private let lock = NSLock()
    private var handlers: [String: [@Sendable (String?) async -> Void]] = [:]
    private var listener: Task<Void, Never>?
    private var started = false

    /// Adds a watcher; true for the first of the journal (the caller starts the listener).
    func add(owner: String, _ handler: @escaping @Sendable (String?) async -> Void) -> Bool {
        lock.withLock {
            handlers[owner, default: []].append(handler)
            defer { started = true }
            return !started
        }
    }

    func start(_ task: Task<Void, Never>) { lock.withLock { listener = task } }

    func stop() { lock.withLock { listener }?.cancel() }

    func notify(owner: String, key: String) async {
        for h in lock.withLock({ handlers[owner] ?? [] }) { await h(key) }
    }

    func notifyAll() async {
        for h in lock.withLock({ handlers.values.flatMap { $0 } }) { await h(nil) }
    }
}
