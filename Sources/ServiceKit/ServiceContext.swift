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

    package init(engine: Engine, database: SQLiteJournal, region: String = "us-east-1", account: String = "000000000000",
                 dataDirectory: String) {
        self.engine = engine
        self.database = database
        self.region = region
        self.account = account
        self.dataDirectory = dataDirectory
    }
}
