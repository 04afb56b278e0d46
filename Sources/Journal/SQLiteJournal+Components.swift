/// Tables a service adds to the shared database, versioned per component, so that a service
/// owns its schema in its own target and the journal's migrations never list it.
extension SQLiteJournal {
    /// Applies the steps of `component` not applied yet, each in its own savepoint of a group
    /// commit on the one writer (step `i` is version `i + 1`). Steps are history: append, never edit.
    package func migrate(component: String, _ steps: [String]) async throws(JournalError) {
        try await perform { (db) throws(JournalError) in
            let s = try db.statement("SELECT version FROM component_schema WHERE component = ?1")
            s.bind(1, component)
            let current = try s.step() ? Int(s.int64(0)) : 0
            db.resetAll()
            guard current < steps.count else { return }
            for (i, sql) in steps.enumerated() where i + 1 > current {
                try db.execute(sql)
            }
            let u = try db.statement("INSERT INTO component_schema (component, version) VALUES (?1, ?2) ON CONFLICT (component) DO UPDATE SET version = ?2")
            u.bind(1, component)
            u.bind(2, steps.count)
            try u.run()
        }
    }
}
