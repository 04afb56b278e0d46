import Integrations
import Journal

/// Keeps functions in the journal's database, beside the runs that call them.
struct JournalFunctionPersistence: FunctionPersistence {
    let journal: any JournalStore

    func save(name: String, config: String, code: [UInt8]?) async throws {
        try await journal.putFunction(name: name, config: config, code: code)
    }

    func remove(name: String) async throws { try await journal.deleteFunction(name: name) }

    func all() async throws -> [(name: String, config: String, code: [UInt8]?)] { try await journal.functions() }
}
