import Journal
import NIOCore
import PostgresNIO

/// Definitions, state machines, versions, aliases, tags, functions and activities.
extension PostgresJournal {
    package func saveDefinition(stateMachineArn: String, definition: String) async throws(JournalError) -> Int64 {
        let ids = try await all("INSERT INTO definitions (state_machine_arn, definition) VALUES (\(stateMachineArn), \(definition)) RETURNING id",
                                "a definition") { try $0.decode(Int64.self) }
        guard let id = ids.first else { throw JournalError(.corrupt, "the definition of \(stateMachineArn) got no id") }
        return id
    }

    package func definition(id: Int64) async throws(JournalError) -> String? {
        try await all("SELECT definition FROM definitions WHERE id = \(id)", "definition \(id)") { try $0.decode(String.self) }.first
    }

    package func putStateMachine(_ r: StateMachineRecord) async throws(JournalError) {
        try await run("""
            INSERT INTO state_machines (arn, name, type, role_arn, definition_id, created_ms, attributes)
            VALUES (\(r.arn), \(r.name), \(r.type), \(r.roleArn), \(r.definitionId), \(r.createdMillis), \(r.attributes))
            ON CONFLICT (arn) DO UPDATE SET name = EXCLUDED.name, type = EXCLUDED.type, role_arn = EXCLUDED.role_arn,
                definition_id = EXCLUDED.definition_id, created_ms = EXCLUDED.created_ms, attributes = EXCLUDED.attributes
            """, "state machine \(r.arn)")
    }

    static func machineRecord(_ row: PostgresRow) throws -> StateMachineRecord {
        let (arn, name, type, role, definition, created, attributes) = try row.decode((String, String, String, String, Int64, Int64, String).self)
        return StateMachineRecord(arn: arn, name: name, type: type, roleArn: role, definitionId: definition, createdMillis: created,
                                  attributes: attributes)
    }

    package func stateMachine(arn: String) async throws(JournalError) -> StateMachineRecord? {
        try await all("SELECT arn, name, type, role_arn, definition_id, created_ms, attributes FROM state_machines WHERE arn = \(arn)",
                      "state machine \(arn)", Self.machineRecord).first
    }

    package func stateMachines() async throws(JournalError) -> [StateMachineRecord] {
        try await all("SELECT arn, name, type, role_arn, definition_id, created_ms, attributes FROM state_machines ORDER BY created_ms, arn",
                      "state machines", Self.machineRecord)
    }

    package func deleteStateMachine(arn: String) async throws(JournalError) {
        let logger = self.logger
        try await transaction("deleting \(arn)") { c in
            try await c.query("DELETE FROM state_machine_versions WHERE state_machine_arn = \(arn)", logger: logger)
            try await c.query("DELETE FROM state_machines WHERE arn = \(arn)", logger: logger)
        }
    }

    package func putVersion(_ r: StateMachineVersionRecord) async throws(JournalError) {
        do {
            try await run("""
                INSERT INTO state_machine_versions (arn, state_machine_arn, version, definition_id, description, created_ms)
                VALUES (\(r.arn), \(r.stateMachineArn), \(Int64(r.version)), \(r.definitionId), \(r.description), \(r.createdMillis))
                """, "version \(r.arn)")
        } catch where error.code == .alreadyExists {
            throw JournalError(.alreadyExists, "version \(r.arn) exists")
        }
    }

    package func versions(stateMachineArn: String) async throws(JournalError) -> [StateMachineVersionRecord] {
        try await all("""
            SELECT arn, state_machine_arn, version, definition_id, description, created_ms FROM state_machine_versions
            WHERE state_machine_arn = \(stateMachineArn) ORDER BY version
            """, "versions of \(stateMachineArn)") { row in
            let (arn, machine, version, definition, description, created) = try row.decode((String, String, Int64, Int64, String?, Int64).self)
            return StateMachineVersionRecord(arn: arn, stateMachineArn: machine, version: Int(version), definitionId: definition,
                                             description: description, createdMillis: created)
        }
    }

    package func deleteVersion(arn: String) async throws(JournalError) {
        try await run("DELETE FROM state_machine_versions WHERE arn = \(arn)", "deleting \(arn)")
    }

    package func putAlias(_ r: AliasRecord) async throws(JournalError) {
        try await run("""
            INSERT INTO state_machine_aliases (arn, state_machine_arn, name, description, routing, created_ms, updated_ms)
            VALUES (\(r.arn), \(r.stateMachineArn), \(r.name), \(r.description), \(SQLiteJournal.encodeRouting(r.routing)),
                \(r.createdMillis), \(r.updatedMillis))
            ON CONFLICT (arn) DO UPDATE SET state_machine_arn = EXCLUDED.state_machine_arn, name = EXCLUDED.name,
                description = EXCLUDED.description, routing = EXCLUDED.routing, created_ms = EXCLUDED.created_ms,
                updated_ms = EXCLUDED.updated_ms
            """, "alias \(r.arn)")
    }

    package func aliases(stateMachineArn: String) async throws(JournalError) -> [AliasRecord] {
        try await all("""
            SELECT arn, state_machine_arn, name, description, routing, created_ms, updated_ms FROM state_machine_aliases
            WHERE state_machine_arn = \(stateMachineArn) ORDER BY name
            """, "aliases of \(stateMachineArn)") { row in
            let (arn, machine, name, description, routing, created, updated) = try row.decode((String, String, String, String?, String, Int64, Int64).self)
            return AliasRecord(arn: arn, stateMachineArn: machine, name: name, description: description,
                               routing: SQLiteJournal.decodeRouting(routing), createdMillis: created, updatedMillis: updated)
        }
    }

    package func deleteAlias(arn: String) async throws(JournalError) {
        try await run("DELETE FROM state_machine_aliases WHERE arn = \(arn)", "deleting \(arn)")
    }

    package func tags(resourceArn: String) async throws(JournalError) -> [(key: String, value: String)] {
        try await all("SELECT key, value FROM tags WHERE resource_arn = \(resourceArn) ORDER BY key", "tags of \(resourceArn)") { row in
            let (k, v) = try row.decode((String, String).self)
            return (key: k, value: v)
        }
    }

    package func tag(resourceArn: String, _ tags: [(key: String, value: String)]) async throws(JournalError) {
        guard !tags.isEmpty else { return }
        let logger = self.logger
        let pairs = tags.map { [$0.key, $0.value] }
        try await transaction("tagging \(resourceArn)") { c in
            for p in pairs {
                try await c.query("""
                    INSERT INTO tags (resource_arn, key, value) VALUES (\(resourceArn), \(p[0]), \(p[1]))
                    ON CONFLICT (resource_arn, key) DO UPDATE SET value = EXCLUDED.value
                    """, logger: logger)
            }
        }
    }

    package func untag(resourceArn: String, keys: [String]) async throws(JournalError) {
        try await run("DELETE FROM tags WHERE resource_arn = \(resourceArn) AND key = ANY(\(keys))", "untagging \(resourceArn)")
    }

    /// Tells the other nodes of a cluster that a function changed (`node|name`: a node skips its own).
    func functionChanged(_ name: String) async {
        try? await run("SELECT pg_notify(\(functionChannel), \((fence?.node ?? "") + "|" + name))", "a function's notice")
    }

    package func putFunction(name: String, config: String, code: [UInt8]?) async throws(JournalError) {
        if let code {
            try await run("""
                INSERT INTO functions (name, config, code) VALUES (\(name), \(config), \(ByteBuffer(bytes: code)))
                ON CONFLICT (name) DO UPDATE SET config = EXCLUDED.config, code = EXCLUDED.code
                """, "function \(name)")
        } else {
            try await run("""
                INSERT INTO functions (name, config) VALUES (\(name), \(config)) ON CONFLICT (name) DO UPDATE SET config = EXCLUDED.config
                """, "function \(name)")
        }
        await functionChanged(name)
    }

    package func functions() async throws(JournalError) -> [(name: String, config: String, code: [UInt8]?)] {
        try await all("SELECT name, config, code FROM functions ORDER BY name", "functions") { row in
            let (name, config, code) = try row.decode((String, String, ByteBuffer?).self)
            return (name: name, config: config, code: Self.bytes(code))
        }
    }

    package func deleteFunction(name: String) async throws(JournalError) {
        try await run("DELETE FROM functions WHERE name = \(name)", "deleting function \(name)")
        await functionChanged(name)
    }

    package func putActivity(_ r: ActivityRecord) async throws(JournalError) {
        do {
            try await run("INSERT INTO activities (arn, name, created_ms) VALUES (\(r.arn), \(r.name), \(r.createdMillis))", "activity \(r.arn)")
        } catch where error.code == .alreadyExists {
            throw JournalError(.alreadyExists, "activity \(r.arn) exists")
        }
    }

    package func activities() async throws(JournalError) -> [ActivityRecord] {
        try await all("SELECT arn, name, created_ms FROM activities ORDER BY created_ms, arn", "activities") { row in
            let (arn, name, created) = try row.decode((String, String, Int64).self)
            return ActivityRecord(arn: arn, name: name, createdMillis: created)
        }
    }

    package func deleteActivity(arn: String) async throws(JournalError) {
        try await run("DELETE FROM activities WHERE arn = \(arn)", "deleting \(arn)")
    }
}
