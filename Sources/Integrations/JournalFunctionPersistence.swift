import Journal

/// Keeps functions in the journal's database, beside the runs that call them.
package struct JournalFunctionPersistence: FunctionPersistence {
    let journal: any JournalStore

    package init(journal: any JournalStore) { self.journal = journal }

    package func save(name: String, config: String, code: [UInt8]?) async throws {
        try await journal.putFunction(name: name, config: config, code: code)
    }

    package func remove(name: String) async throws { try await journal.deleteFunction(name: name) }

    package func all() async throws -> [(name: String, config: String, code: [UInt8]?)] { try await journal.functions() }
}
