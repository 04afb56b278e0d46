/// Task tokens found by correlation key (a webhook's waits register theirs).
extension SQLiteJournal {
    package func tokens(correlation: String) async throws(JournalError) -> [TaskTokenRecord] {
        try read { (db) throws(JournalError) -> [TaskTokenRecord] in
            let s = try db.statement("""
                SELECT token, execution_arn, task_id, activity_arn, input, correlation FROM task_tokens
                WHERE correlation = ?1 ORDER BY execution_arn, task_id
                """)
            s.bind(1, correlation)
            return try s.all { Self.tokenRecord($0) }
        }
    }

    package func correlationOwner(_ correlation: String) async throws(JournalError) -> String? {
        try read { (db) throws(JournalError) -> String? in
            let s = try db.statement("SELECT execution_arn FROM correlation_keys WHERE correlation = ?1")
            s.bind(1, correlation)
            return try s.step() ? s.string(0) : nil
        }
    }
}
