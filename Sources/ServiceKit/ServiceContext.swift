import Engine
import Journal

/// What every service is built from: the engine (which holds the execution journal), the one
/// database its store shares, and where it runs.
package struct ServiceContext: Sendable {
    package var engine: Engine
    /// The SQLite database in the data directory: the stores of the services whose tables
    /// have not moved to the journal's backend yet (all of them on the SQLite default).
    package var database: SQLiteJournal
    /// The execution journal (SQLite, or PostgreSQL with `--database`): what must live beside
    /// the executions (state machines, functions) goes here.
    package var journal: any JournalStore { engine.journal }
    /// The documents and durable queue beside the journal (SQLite's, or PostgreSQL's with
    /// `--database`, shared by every node): the stores of services that keep nothing else
    /// (parameters and secrets, roles, the bus's rules and schedules, Map runs).
    package var store: any ServiceStore
    /// The durable queue beside the journal.
    package var queues: any DurableQueueStore { store }
    package var region: String
    package var account: String
    package var dataDirectory: String
    /// The endpoint's address as clients reach it (`127.0.0.1:8083`): for URLs a service hands
    /// out outside a request (a notification's SigningCertURL, a queue URL in a workflow's answer).
    package var publicHost: String
    /// The key that seals secrets (nil: `secrets.key` in the data directory). Nodes sharing one
    /// database need the same key.
    package var secretsKeyFile: String?

    package init(engine: Engine, database: SQLiteJournal, store: (any ServiceStore)? = nil, region: String = "us-east-1",
                 account: String = "000000000000", dataDirectory: String, publicHost: String = "127.0.0.1:8083") {
        self.publicHost = publicHost
        self.store = store ?? database
        self.engine = engine
        self.database = database
        self.region = region
        self.account = account
        self.dataDirectory = dataDirectory
    }
}
