import Foundation
import Journal
import Logging
import NIOCore
import PostgresNIO
import StatesInterpreter
import StatesLanguage

/// The journal on PostgreSQL: the same contracts as the SQLite journal (`JournalStore`,
/// `DocumentStore`, `DurableQueueStore`, one suite each over every backend), for deployments
/// that outgrow one machine's disk or share one database between nodes.
///
/// Steps are group-committed as on SQLite: appends queue up and one committer writes whatever
/// is queued in one transaction, each step in a savepoint so that a step that fails its
/// version check rolls back alone. Nothing is acknowledged before its transaction commits.
/// Reads and the stores' own writes go straight to the connection pool.
package final class PostgresJournal: JournalStore, @unchecked Sendable {
    // @unchecked Sendable: every stored property is immutable after init; the committer is an actor.
    package let location: PostgresLocation
    let client: PostgresClient
    package let logger: Logger
    private let runner: Task<Void, Never>
    private let committer: PostgresCommitter
    /// The leases this node holds, checked by every step's commit; nil for a single node,
    /// which owns every partition.
    package let fence: LeaseFence?
    /// This process, in the notices of its documents' changes (so that it skips its own).
    let origin = UUID().uuidString
    /// Whose receives a durable queue's message records: the node's id, the same after a restart.
    var receiver: String { fence?.node ?? "" }
    let watchers = DocumentWatchers()
    /// The stores' threads with connections of their own, closed with the journal.
    let threads = LockedThreads()
    /// How a connection of its own is opened (a store's thread, `PostgresThread`).
    let directConfiguration: PostgresConnection.Configuration

    /// Connects, creates the schema if absent and migrates it (under an advisory lock).
    package init(location: PostgresLocation, maxBatch: Int = 256, fence: LeaseFence? = nil,
                 logger: Logger = Logger(label: "baton.journal.postgres")) async throws(JournalError) {
        self.location = location
        self.fence = fence
        self.logger = logger
        var config = PostgresClient.Configuration(host: location.host, port: location.port, username: location.user,
                                                  password: location.password, database: location.database, tls: .disable)
        config.options.maximumConnections = location.poolSize
        config.options.connectTimeout = .seconds(10)
        // Every connection works in Baton's schema: its tables are named without a prefix.
        config.options.additionalStartupParameters = [("search_path", location.schema), ("application_name", "baton")]
        // The node's name, for the rows its connections insert (an Express run's `runner`).
        if let node = fence?.node { config.options.additionalStartupParameters.append(("baton.node", node)) }
        // One connection of its own first: the pool retries a database it cannot reach for as
        // long as a caller waits, and a server that cannot reach its database should say so and stop.
        var direct = PostgresConnection.Configuration(host: location.host, port: location.port, username: location.user,
                                                      password: location.password, database: location.database, tls: .disable)
        direct.options.connectTimeout = .seconds(10)
        direct.options.additionalStartupParameters = config.options.additionalStartupParameters
        directConfiguration = direct
        do {
            let c = try await PostgresConnection.connect(configuration: direct, id: 0, logger: logger)
            do {
                try await PostgresMigrations.run(on: c, schema: location.schema, logger: logger)
                try await c.close()
            } catch {
                try? await c.close()
                throw error
            }
        } catch {
            throw Self.journalError(error, "cannot open the PostgreSQL journal at \(location)")
        }
        // The pool's own log at errors only: it warns when a first query races the start of
        // its run loop (the query waits for it and runs; nothing for an operator to do).
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(configuration: config, backgroundLogger: poolLogger)
        self.client = client
        runner = Task { await client.run() }
        committer = PostgresCommitter(client: client, maxBatch: maxBatch, node: fence?.node ?? "", logger: logger)
    }

    /// Stops taking writes once what is queued has committed, then closes the pool.
    package func close() async {
        await committer.close()
        for t in threads.all { await t.close() }
        watchers.stop()
        runner.cancel()
    }

    /// A journal in a schema of its own (`t_` and a fresh UUID) of the database at `url`: tests
    /// that run at once never see each other's rows.
    package static func isolated(url: String, poolSize: Int = 2) async throws(JournalError) -> PostgresJournal {
        var location = try PostgresLocation(url: url)
        location.schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        location.poolSize = poolSize
        return try await PostgresJournal(location: location)
    }

    /// Creates or upgrades a service's own tables: `steps` are its migrations, in order (history:
    /// append, never edit); the version applied is kept per component. Under the same advisory
    /// lock as the journal's migrations, so nodes starting together apply each step once.
    package func migrate(component: String, _ steps: [String]) async throws(JournalError) {
        let logger = self.logger
        try await transaction("the \(component) schema") { c in
            try await c.query("SELECT pg_advisory_xact_lock(\(PostgresMigrations.lockKey))", logger: logger)
            let current = try await Self.rows(c, "SELECT version FROM component_schema WHERE component = \(component)", logger: logger) {
                Int(try $0.decode(Int64.self))
            }.first ?? 0
            guard current < steps.count else { return }
            for sql in steps[current...] {
                for statement in PostgresMigrations.statements(sql) { try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
            }
            try await c.query("""
                INSERT INTO component_schema (component, version) VALUES (\(component), \(Int64(steps.count)))
                ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version
                """, logger: logger)
        }
    }

    /// Queues, topics and tables keep their stores in SQLite yet: a send from a Task state is
    /// made in a commit of its own after the step that scheduled it, not within it.
    package var servicesShareTheDatabase: Bool { false }

    /// The schema version this build migrates to.
    package static var latestSchemaVersion: Int { PostgresMigrations.latestVersion }

    /// The schema version this database reports.
    package func schemaVersion() async throws(JournalError) -> Int {
        try await all("SELECT COALESCE(MAX(version), 0) FROM schema_version", "the schema version") { Int(try $0.decode(Int64.self)) }.first ?? 0
    }

    // MARK: the committer and the pool

    /// Applies a step, and its services' statements, in the next group commit; returns once committed.
    func commit(_ step: EncodedStep, attachments: [StepAttachment] = []) async throws(JournalError) {
        try await committer.submit(step, attachments: attachments).get()
    }

    /// Runs `body` in a transaction of its own on a pooled connection (a store's write that
    /// need not wait for the steps' group).
    package func transaction<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws(JournalError) -> T {
        do {
            return try await client.withConnection { c in try await Self.inTransaction(c, logger: logger) { try await body(c) } }
        } catch {
            throw Self.journalError(error, what)
        }
    }

    /// Runs `body` between BEGIN and COMMIT on `c`; ROLLBACK when it throws.
    static func inTransaction<T>(_ c: PostgresConnection, logger: Logger, _ body: () async throws -> T) async throws -> T {
        try await c.query("BEGIN", logger: logger)
        do {
            let value = try await body()
            try await c.query("COMMIT", logger: logger)
            return value
        } catch {
            _ = try? await c.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// Every row of a read on the pool, each mapped by `row`.
    package func all<T>(_ query: PostgresQuery, _ what: String, _ row: (PostgresRow) throws -> T) async throws(JournalError) -> [T] {
        do {
            var out: [T] = []
            for try await r in try await client.query(query, logger: logger) { out.append(try row(r)) }
            return out
        } catch {
            throw Self.journalError(error, "\(what) could not be read")
        }
    }

    /// Runs a statement on the pool, outside any transaction.
    package func run(_ query: PostgresQuery, _ what: String) async throws(JournalError) {
        do {
            try await client.query(query, logger: logger)
        } catch {
            throw Self.journalError(error, what)
        }
    }

    /// Every row of a query on a connection (inside a transaction).
    package static func rows<T>(_ c: PostgresConnection, _ query: PostgresQuery, logger: Logger, _ row: (PostgresRow) throws -> T) async throws -> [T] {
        var out: [T] = []
        for try await r in try await c.query(query, logger: logger) { out.append(try row(r)) }
        return out
    }

    /// A journal error for a failure of the database (its SQLSTATE kept), or the error itself when it is one.
    static func journalError(_ error: any Error, _ what: String) -> JournalError {
        if let e = error as? JournalError { return e }
        if let e = error as? PSQLError {
            let state = e.serverInfo?[.sqlState] ?? "08006"
            if state == "23505" { return JournalError(.alreadyExists, "\(what): \(e.serverInfo?[.message] ?? "duplicate key")") }
            let detail = e.serverInfo?[.message] ?? (e.underlying.map { "\(e.code): \($0)" } ?? "\(e.code)")
            return JournalError(.postgres(state), "\(what): \(detail)")
        }
        return JournalError(.postgres("58000"), "\(what): \(error)")
    }

    static func bytes(_ buffer: ByteBuffer?) -> [UInt8]? { buffer.map { Array($0.readableBytesView) } }
    static func buffer(_ bytes: [UInt8]?) -> ByteBuffer? { bytes.map { ByteBuffer(bytes: $0) } }
}
