import CSQLite
import Foundation
import StatesInterpreter
import StatesLanguage

/// The catalogue: state machines, versions, aliases, activities, functions and tags. Rare
/// writes, each through the one writer like every other; reads on the reader connection.
extension SQLiteJournal {
    package func putStateMachine(_ r: StateMachineRecord) async throws(JournalError) {
        defer { machines.clear() }
        try await perform { (db) throws(JournalError) in
            let s = try db.statement("""
                INSERT OR REPLACE INTO state_machines (arn, name, type, role_arn, definition_id, created_ms, attributes)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                """)
            s.bind(1, r.arn)
            s.bind(2, r.name)
            s.bind(3, r.type)
            s.bind(4, r.roleArn)
            s.bind(5, r.definitionId)
            s.bind(6, r.createdMillis)
            s.bind(7, r.attributes)
            try s.run()
        }
    }

    static func machineRecord(_ s: Statement) -> StateMachineRecord {
        StateMachineRecord(arn: s.string(0) ?? "", name: s.string(1) ?? "", type: s.string(2) ?? "STANDARD", roleArn: s.string(3) ?? "",
                           definitionId: s.int64(4), createdMillis: s.int64(5), attributes: s.string(6) ?? "{}")
    }

    package func stateMachine(arn: String) async throws(JournalError) -> StateMachineRecord? {
        let (hit, generation) = machines.lookup(arn)
        if let hit { return hit }
        let record = try read { (db) throws(JournalError) -> StateMachineRecord? in
            let s = try db.statement("SELECT arn, name, type, role_arn, definition_id, created_ms, attributes FROM state_machines WHERE arn = ?1")
            s.bind(1, arn)
            return try s.step() ? Self.machineRecord(s) : nil
        }
        machines.fill(arn, record, readAt: generation)
        return record
    }

    package func stateMachines() async throws(JournalError) -> [StateMachineRecord] {
        try read { (db) throws(JournalError) -> [StateMachineRecord] in
            let s = try db.statement("SELECT arn, name, type, role_arn, definition_id, created_ms, attributes FROM state_machines ORDER BY created_ms, arn")
            return try s.all { s in Self.machineRecord(s) }
        }
    }

    package func deleteStateMachine(arn: String) async throws(JournalError) {
        defer { machines.clear() }
        // One savepoint of the writer's transaction: both deletes or neither.
        try await perform { (db) throws(JournalError) in
            for sql in ["DELETE FROM state_machine_versions WHERE state_machine_arn = ?1", "DELETE FROM state_machines WHERE arn = ?1"] {
                let s = try db.statement(sql)
                s.bind(1, arn)
                try s.run()
            }
        }
    }

    package func putVersion(_ r: StateMachineVersionRecord) async throws(JournalError) {
        try await perform { (db) throws(JournalError) in
            let s = try db.statement("""
                INSERT INTO state_machine_versions (arn, state_machine_arn, version, definition_id, description, created_ms)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                """)
            s.bind(1, r.arn)
            s.bind(2, r.stateMachineArn)
            s.bind(3, r.version)
            s.bind(4, r.definitionId)
            s.bind(5, r.description)
            s.bind(6, r.createdMillis)
            do throws(JournalError) { try s.run() } catch {
                if case .sqlite(let rc) = error.code, rc & 0xFF == SQLITE_CONSTRAINT { throw JournalError(.alreadyExists, "version \(r.arn) exists") }
                throw error
            }
        }
    }

    package func versions(stateMachineArn: String) async throws(JournalError) -> [StateMachineVersionRecord] {
        try read { (db) throws(JournalError) -> [StateMachineVersionRecord] in
            let s = try db.statement("""
                SELECT arn, state_machine_arn, version, definition_id, description, created_ms FROM state_machine_versions
                WHERE state_machine_arn = ?1 ORDER BY version
                """)
            s.bind(1, stateMachineArn)
            return try s.all { s in
                StateMachineVersionRecord(arn: s.string(0) ?? "", stateMachineArn: s.string(1) ?? "", version: Int(s.int64(2)),
                                                     definitionId: s.int64(3), description: s.string(4), createdMillis: s.int64(5))
            }
        }
    }

    package func deleteVersion(arn: String) async throws(JournalError) {
        try await perform { (db) throws(JournalError) in
            let s = try db.statement("DELETE FROM state_machine_versions WHERE arn = ?1")
            s.bind(1, arn)
            try s.run()
        }
    }

    package func putActivity(_ r: ActivityRecord) async throws(JournalError) {
        defer { activityList.clear() }
        try await perform { (db) throws(JournalError) in
            let s = try db.statement("INSERT INTO activities (arn, name, created_ms) VALUES (?1, ?2, ?3)")
            s.bind(1, r.arn)
            s.bind(2, r.name)
            s.bind(3, r.createdMillis)
            do throws(JournalError) { try s.run() } catch {
                if case .sqlite(let rc) = error.code, rc & 0xFF == SQLITE_CONSTRAINT { throw JournalError(.alreadyExists, "activity \(r.arn) exists") }
                throw error
            }
        }
    }

    /// Read by every GetActivityTask (the activity must exist), so kept (see `RecordCache`).
    package func activities() async throws(JournalError) -> [ActivityRecord] {
        let (hit, generation) = activityList.lookup("")
        if let hit, let hit { return hit }
        let list = try read { (db) throws(JournalError) -> [ActivityRecord] in
            let s = try db.statement("SELECT arn, name, created_ms FROM activities ORDER BY created_ms, arn")
            return try s.all { s in ActivityRecord(arn: s.string(0) ?? "", name: s.string(1) ?? "", createdMillis: s.int64(2)) }
        }
        activityList.fill("", list, readAt: generation)
        return list
    }

    package func deleteActivity(arn: String) async throws(JournalError) {
        defer { activityList.clear() }
        try await perform { (db) throws(JournalError) in
            let s = try db.statement("DELETE FROM activities WHERE arn = ?1")
            s.bind(1, arn)
            try s.run()
        }
    }

    package func putFunction(name: String, config: String, code: [UInt8]?) async throws(JournalError) {
        try await perform { (db) throws(JournalError) in
            let s = try db.statement(code == nil
                ? "INSERT INTO functions (name, config) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET config = excluded.config"
                : "INSERT OR REPLACE INTO functions (name, config, code) VALUES (?1, ?2, ?3)")
            s.bind(1, name)
            s.bind(2, config)
            if let code { s.bind(3, blob: code) }
            try s.run()
        }
    }

    package func functions() async throws(JournalError) -> [(name: String, config: String, code: [UInt8]?)] {
        try read { (db) throws(JournalError) -> [(name: String, config: String, code: [UInt8]?)] in
            let s = try db.statement("SELECT name, config, code FROM functions ORDER BY name")
            return try s.all { s in (name: s.string(0) ?? "", config: s.string(1) ?? "{}", code: s.blob(2)) }
        }
    }

    package func deleteFunction(name: String) async throws(JournalError) {
        try await perform { (db) throws(JournalError) in
            let s = try db.statement("DELETE FROM functions WHERE name = ?1")
            s.bind(1, name)
            try s.run()
        }
    }

    package static func encodeRouting(_ routes: [AliasRecord.Route]) -> String {
        JSON.array(routes.map { ["stateMachineVersionArn": .string($0.versionArn), "weight": .int(Int64($0.weight))] }).serialized
    }

    package static func decodeRouting(_ text: String?) -> [AliasRecord.Route] {
        guard let text, case .array(let a)? = try? JSONParser.parse(text) else { return [] }
        return a.map { AliasRecord.Route(versionArn: $0["stateMachineVersionArn"]?.stringValue ?? "", weight: Int($0["weight"]?.integerValue ?? 0)) }
    }

    package func putAlias(_ r: AliasRecord) async throws(JournalError) {
        try await perform { (db) throws(JournalError) in
            let s = try db.statement("""
                INSERT OR REPLACE INTO state_machine_aliases (arn, state_machine_arn, name, description, routing, created_ms, updated_ms)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                """)
            s.bind(1, r.arn)
            s.bind(2, r.stateMachineArn)
            s.bind(3, r.name)
            s.bind(4, r.description)
            s.bind(5, Self.encodeRouting(r.routing))
            s.bind(6, r.createdMillis)
            s.bind(7, r.updatedMillis)
            try s.run()
        }
    }

    package func aliases(stateMachineArn: String) async throws(JournalError) -> [AliasRecord] {
        try read { (db) throws(JournalError) -> [AliasRecord] in
            let s = try db.statement("""
                SELECT arn, state_machine_arn, name, description, routing, created_ms, updated_ms FROM state_machine_aliases
                WHERE state_machine_arn = ?1 ORDER BY name
                """)
            s.bind(1, stateMachineArn)
            return try s.all { s in
                AliasRecord(arn: s.string(0) ?? "", stateMachineArn: s.string(1) ?? "", name: s.string(2) ?? "", description: s.string(3),
                            routing: Self.decodeRouting(s.string(4)), createdMillis: s.int64(5), updatedMillis: s.int64(6))
            }
        }
    }

    package func deleteAlias(arn: String) async throws(JournalError) {
        try await perform { (db) throws(JournalError) in
            let s = try db.statement("DELETE FROM state_machine_aliases WHERE arn = ?1")
            s.bind(1, arn)
            try s.run()
        }
    }

    package func tags(resourceArn: String) async throws(JournalError) -> [(key: String, value: String)] {
        try read { (db) throws(JournalError) -> [(key: String, value: String)] in
            let s = try db.statement("SELECT key, value FROM tags WHERE resource_arn = ?1 ORDER BY key")
            s.bind(1, resourceArn)
            return try s.all { s in (key: s.string(0) ?? "", value: s.string(1) ?? "") }
        }
    }

    package func tag(resourceArn: String, _ tags: [(key: String, value: String)]) async throws(JournalError) {
        try await perform { (db) throws(JournalError) in
            for t in tags {
                let s = try db.statement("INSERT OR REPLACE INTO tags (resource_arn, key, value) VALUES (?1, ?2, ?3)")
                s.bind(1, resourceArn)
                s.bind(2, t.key)
                s.bind(3, t.value)
                try s.run()
            }
        }
    }

    package func untag(resourceArn: String, keys: [String]) async throws(JournalError) {
        try await perform { (db) throws(JournalError) in
            for k in keys {
                let s = try db.statement("DELETE FROM tags WHERE resource_arn = ?1 AND key = ?2")
                s.bind(1, resourceArn)
                s.bind(2, k)
                try s.run()
            }
        }
    }

    /// The schema's migration level.
}
