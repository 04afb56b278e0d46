import Engine
import Journal

/// What every service is built from: the engine (which holds the execution journal), the one
/// database its store shares, and where it runs.
package struct ServiceContext: Sendable {
    package var engine: Engine
    package var database: SQLiteJournal
    package var region: String
    package var account: String
    package var dataDirectory: String
    /// The endpoint's address as clients reach it (`127.0.0.1:8083`): for URLs a service hands
    /// out outside a request (a notification's SigningCertURL, a queue URL in a workflow's answer).
    package var publicHost: String

    package init(engine: Engine, database: SQLiteJournal, region: String = "us-east-1", account: String = "000000000000",
                 dataDirectory: String, publicHost: String = "127.0.0.1:8083") {
        self.publicHost = publicHost
        self.engine = engine
        self.database = database
        self.region = region
        self.account = account
        self.dataDirectory = dataDirectory
    }
}
