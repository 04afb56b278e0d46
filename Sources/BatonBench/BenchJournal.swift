import Engine
import Foundation
import Journal
import Logging
import ServiceKit

/// A benchmark's journal (synchronous FULL, in a temporary directory removed on `close`), its
/// engine (16 partitions, warnings only) and the services' context over them.
struct BenchJournal {
    let dir: String
    let journal: SQLiteJournal
    let engine: Engine
    let context: ServiceContext

    init(_ name: String) throws {
        dir = NSTemporaryDirectory() + "baton-\(name)-\(UUID().uuidString)"
        journal = try SQLiteJournal(directory: dir)
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        engine = Engine(journal: journal, partitions: 16, logger: logger)
        context = ServiceContext(engine: engine, database: journal, dataDirectory: dir)
    }

    func close() {
        journal.close()
        try? FileManager.default.removeItem(atPath: dir)
    }
}
