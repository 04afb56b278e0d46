/// Versioned schema migrations: each entry runs once, in order, recorded in `schema_version`.
package enum Migrations {
    /// The schema version a migrated database reports.
    package static var latestVersion: Int { all.count }

    static let all: [String] = [
        // 1: the first schema.
        """
        CREATE TABLE definitions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            state_machine_arn TEXT NOT NULL,
            definition TEXT NOT NULL
        );
        CREATE TABLE executions (
            arn TEXT PRIMARY KEY,
            state_machine_arn TEXT NOT NULL,
            definition_id INTEGER NOT NULL REFERENCES definitions(id),
            name TEXT NOT NULL,
            status TEXT NOT NULL,
            input TEXT NOT NULL,
            output TEXT,
            error TEXT,
            cause TEXT,
            start_ms INTEGER NOT NULL,
            stop_ms INTEGER,
            last_event_id INTEGER NOT NULL,
            snapshot BLOB
        ) WITHOUT ROWID;
        CREATE INDEX executions_by_status ON executions(status);
        CREATE INDEX executions_by_machine ON executions(state_machine_arn, start_ms);
        CREATE TABLE events (
            execution_arn TEXT NOT NULL,
            id INTEGER NOT NULL,
            previous_id INTEGER NOT NULL,
            ts_ms INTEGER NOT NULL,
            type TEXT NOT NULL,
            details_key TEXT,
            details TEXT,
            PRIMARY KEY (execution_arn, id)
        ) WITHOUT ROWID;
        CREATE TABLE outbox (
            key TEXT PRIMARY KEY,
            execution_arn TEXT NOT NULL,
            payload TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE timers (
            execution_arn TEXT NOT NULL,
            timer_id INTEGER NOT NULL,
            due_ms INTEGER NOT NULL,
            PRIMARY KEY (execution_arn, timer_id)
        ) WITHOUT ROWID;
        CREATE INDEX timers_by_due ON timers(due_ms);
        CREATE TABLE task_tokens (
            token TEXT PRIMARY KEY,
            execution_arn TEXT NOT NULL,
            task_id INTEGER NOT NULL,
            activity_arn TEXT,
            input TEXT
        ) WITHOUT ROWID;
        CREATE INDEX task_tokens_by_execution ON task_tokens(execution_arn);
        CREATE INDEX task_tokens_by_activity ON task_tokens(activity_arn);
        CREATE TABLE activities (
            arn TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
        // 2: finishing an execution clears its outbox rows by execution.
        """
        CREATE INDEX outbox_by_execution ON outbox(execution_arn);
        """,
        // 3: state machines and their published versions (each points at a stored definition).
        """
        CREATE TABLE state_machines (
            arn TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            type TEXT NOT NULL,
            role_arn TEXT NOT NULL,
            definition_id INTEGER NOT NULL REFERENCES definitions(id),
            created_ms INTEGER NOT NULL,
            attributes TEXT NOT NULL DEFAULT '{}'
        ) WITHOUT ROWID;
        CREATE TABLE state_machine_versions (
            arn TEXT PRIMARY KEY,
            state_machine_arn TEXT NOT NULL,
            version INTEGER NOT NULL,
            definition_id INTEGER NOT NULL REFERENCES definitions(id),
            description TEXT,
            created_ms INTEGER NOT NULL,
            UNIQUE (state_machine_arn, version)
        ) WITHOUT ROWID;
        """,
        // 4: aliases with routing weights, and tags on any resource.
        """
        CREATE TABLE state_machine_aliases (
            arn TEXT PRIMARY KEY,
            state_machine_arn TEXT NOT NULL,
            name TEXT NOT NULL,
            description TEXT,
            routing TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE tags (
            resource_arn TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (resource_arn, key)
        ) WITHOUT ROWID;
        """,
        // 5: the version or alias an execution was started through, and its redrives.
        """
        ALTER TABLE executions ADD COLUMN qualified_arn TEXT;
        ALTER TABLE executions ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE executions ADD COLUMN redrive_ms INTEGER;
        """,
        // 6: functions: configuration and code (the zip), so they are as durable as runs.
        """
        CREATE TABLE functions (
            name TEXT PRIMARY KEY,
            config TEXT NOT NULL,
            code BLOB
        ) WITHOUT ROWID;
        """,
        // 7: task tokens found by correlation key. (Databases made before the webhooks owned
        // their tables got `webhooks` and `webhook_deliveries` here; the Webhooks store now
        // creates them if absent.)
        """
        ALTER TABLE task_tokens ADD COLUMN correlation TEXT;
        CREATE INDEX task_tokens_by_correlation ON task_tokens (correlation) WHERE correlation IS NOT NULL;
        CREATE TABLE correlation_keys (
            correlation TEXT PRIMARY KEY,
            execution_arn TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
        // 8: documents that services keep in the shared database, by owner (a service) and key.
        """
        CREATE TABLE documents (
            owner TEXT NOT NULL,
            key TEXT NOT NULL,
            body BLOB NOT NULL,
            PRIMARY KEY (owner, key)
        ) WITHOUT ROWID;
        """,
        // 9: ListExecutions filtered by status and paged in SQL.
        """
        CREATE INDEX executions_by_machine_status ON executions(state_machine_arn, status, start_ms);
        """,
        // 10: payloads journaled once per execution; events reference them.
        """
        CREATE TABLE payloads (
            execution_arn TEXT NOT NULL,
            id INTEGER NOT NULL,
            hash INTEGER NOT NULL,
            body TEXT NOT NULL,
            parts TEXT,
            PRIMARY KEY (execution_arn, id)
        ) WITHOUT ROWID;
        CREATE INDEX payloads_by_hash ON payloads (execution_arn, hash);
        ALTER TABLE events ADD COLUMN refs TEXT;
        """,
        // 11: the durable queue.
        """
        CREATE TABLE queue_messages (
            queue TEXT NOT NULL,
            id TEXT NOT NULL,
            body BLOB NOT NULL,
            enqueued_ms INTEGER NOT NULL,
            visible_ms INTEGER NOT NULL,
            receive_count INTEGER NOT NULL,
            PRIMARY KEY (queue, id)
        ) WITHOUT ROWID;
        CREATE INDEX queue_messages_by_visibility ON queue_messages (queue, visible_ms);
        """,
        // 12: the schema versions of the components (services) that keep tables here.
        """
        CREATE TABLE component_schema (
            component TEXT PRIMARY KEY,
            version INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
        // 13: tables whose rows can be large keep them in rowid tables. SQLite: "WITHOUT ROWID
        // tables work best when individual rows are not too large. A good rule-of-thumb is that
        // the average size of a single row in a WITHOUT ROWID table should be less than about
        // 1/20th the size of a database page." A WITHOUT ROWID table is an index b-tree, and a
        // search compares keys against whole records: every comparison with a row that spills
        // onto overflow pages read the whole row (a 200 KiB execution input, payload, message or
        // function zip) just to compare its key. In a rowid table the key lives in a small index.
        // Executions also refer to their input and output chunks instead of copying them.
        """
        CREATE TABLE executions_13 (
            arn TEXT NOT NULL PRIMARY KEY,
            state_machine_arn TEXT NOT NULL,
            definition_id INTEGER NOT NULL REFERENCES definitions(id),
            name TEXT NOT NULL,
            status TEXT NOT NULL,
            input TEXT NOT NULL,
            output TEXT,
            error TEXT,
            cause TEXT,
            start_ms INTEGER NOT NULL,
            stop_ms INTEGER,
            last_event_id INTEGER NOT NULL,
            snapshot BLOB,
            qualified_arn TEXT,
            redrive_count INTEGER NOT NULL DEFAULT 0,
            redrive_ms INTEGER,
            -- The input's (output's) chunk in payloads, when the text above is left empty (null).
            input_ref INTEGER,
            output_ref INTEGER
        );
        INSERT INTO executions_13 (arn, state_machine_arn, definition_id, name, status, input, output, error, cause, start_ms,
            stop_ms, last_event_id, snapshot, qualified_arn, redrive_count, redrive_ms)
            SELECT arn, state_machine_arn, definition_id, name, status, input, output, error, cause, start_ms,
            stop_ms, last_event_id, snapshot, qualified_arn, redrive_count, redrive_ms FROM executions;
        DROP TABLE executions;
        ALTER TABLE executions_13 RENAME TO executions;
        CREATE INDEX executions_by_status ON executions (status);
        CREATE INDEX executions_by_machine ON executions (state_machine_arn, start_ms, arn);
        CREATE INDEX executions_by_machine_status ON executions (state_machine_arn, status, start_ms, arn);

        CREATE TABLE payloads_13 (
            execution_arn TEXT NOT NULL,
            id INTEGER NOT NULL,
            hash INTEGER NOT NULL,
            body TEXT NOT NULL,
            parts TEXT,
            PRIMARY KEY (execution_arn, id)
        );
        INSERT INTO payloads_13 (execution_arn, id, hash, body, parts) SELECT execution_arn, id, hash, body, parts FROM payloads;
        DROP TABLE payloads;
        ALTER TABLE payloads_13 RENAME TO payloads;
        CREATE INDEX payloads_by_hash ON payloads (execution_arn, hash);

        CREATE TABLE outbox_13 (
            key TEXT NOT NULL PRIMARY KEY,
            execution_arn TEXT NOT NULL,
            payload TEXT NOT NULL
        );
        INSERT INTO outbox_13 (key, execution_arn, payload) SELECT key, execution_arn, payload FROM outbox;
        DROP TABLE outbox;
        ALTER TABLE outbox_13 RENAME TO outbox;
        CREATE INDEX outbox_by_execution ON outbox (execution_arn);

        CREATE TABLE task_tokens_13 (
            token TEXT NOT NULL PRIMARY KEY,
            execution_arn TEXT NOT NULL,
            task_id INTEGER NOT NULL,
            activity_arn TEXT,
            input TEXT,
            correlation TEXT
        );
        INSERT INTO task_tokens_13 (token, execution_arn, task_id, activity_arn, input, correlation)
            SELECT token, execution_arn, task_id, activity_arn, input, correlation FROM task_tokens;
        DROP TABLE task_tokens;
        ALTER TABLE task_tokens_13 RENAME TO task_tokens;
        CREATE INDEX task_tokens_by_execution ON task_tokens (execution_arn);
        CREATE INDEX task_tokens_by_activity ON task_tokens (activity_arn);
        CREATE INDEX task_tokens_by_correlation ON task_tokens (correlation) WHERE correlation IS NOT NULL;

        CREATE TABLE functions_13 (
            name TEXT NOT NULL PRIMARY KEY,
            config TEXT NOT NULL,
            code BLOB
        );
        INSERT INTO functions_13 (name, config, code) SELECT name, config, code FROM functions;
        DROP TABLE functions;
        ALTER TABLE functions_13 RENAME TO functions;

        CREATE TABLE documents_13 (
            owner TEXT NOT NULL,
            key TEXT NOT NULL,
            body BLOB NOT NULL,
            PRIMARY KEY (owner, key)
        );
        INSERT INTO documents_13 (owner, key, body) SELECT owner, key, body FROM documents;
        DROP TABLE documents;
        ALTER TABLE documents_13 RENAME TO documents;

        CREATE TABLE queue_messages_13 (
            queue TEXT NOT NULL,
            id TEXT NOT NULL,
            body BLOB NOT NULL,
            enqueued_ms INTEGER NOT NULL,
            visible_ms INTEGER NOT NULL,
            receive_count INTEGER NOT NULL,
            PRIMARY KEY (queue, id)
        );
        INSERT INTO queue_messages_13 (queue, id, body, enqueued_ms, visible_ms, receive_count)
            SELECT queue, id, body, enqueued_ms, visible_ms, receive_count FROM queue_messages;
        DROP TABLE queue_messages;
        ALTER TABLE queue_messages_13 RENAME TO queue_messages;
        CREATE INDEX queue_messages_by_visibility ON queue_messages (queue, visible_ms);
        """,
        // 14: the trace an execution was started in.
        """
        ALTER TABLE executions ADD COLUMN trace_header TEXT;
        """,
        // 15: the console lists every state machine's executions newest first, by status or
        // not; (status, start_ms) serves what (status) alone did. The retention sweep finds
        // the oldest finished executions by their stop time.
        """
        CREATE INDEX executions_by_start ON executions (start_ms);
        CREATE INDEX executions_by_status_start ON executions (status, start_ms);
        DROP INDEX executions_by_status;
        CREATE INDEX executions_by_stop ON executions (stop_ms) WHERE stop_ms IS NOT NULL;
        """,
    ]

    static func run(on db: SQLiteConnection) throws(JournalError) {
        try db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        let s = try db.statement("SELECT COALESCE(MAX(version), 0) FROM schema_version")
        _ = try s.step()
        let current = Int(s.int64(0))
        // End the read transaction: a stale snapshot cannot be upgraded to a write later.
        db.resetAll()
        try run(on: db, after: current)
    }

    /// Applies the steps after `current`, the version this process last read (it may be stale).
    static func run(on db: SQLiteConnection, after current: Int) throws(JournalError) {
        guard current < all.count else { return }
        for (i, sql) in all.enumerated() where i + 1 > current {
            try db.transaction { () throws(JournalError) in
                // Read again under the write lock: another process opening the same database
                // (the CLI beside `baton serve`) may have applied this step since.
                let again = try db.statement("SELECT COALESCE(MAX(version), 0) FROM schema_version")
                _ = try again.step()
                let applied = Int(again.int64(0))
                db.resetAll()
                guard applied < i + 1 else { return }
                try db.execute(sql)
                try db.execute("INSERT INTO schema_version (version) VALUES (\(i + 1))")
            }
        }
    }
}
