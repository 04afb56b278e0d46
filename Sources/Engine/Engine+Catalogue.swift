import Journal
import StatesInterpreter
import StatesLanguage

/// The catalogue's rules, owned by the engine so that every caller (the Step Functions API,
/// and Task integrations such as `states:startExecution`) applies the same ones: which
/// definition an ARN runs (a version, or an alias choosing among versions by weight), version
/// numbering, and idempotent starts.
extension Engine {
    /// What a start on a state machine, version or alias ARN runs.
    package struct Target: Sendable {
        package var stateMachine: StateMachineRecord
        package var definitionId: Int64
        package var versionArn: String?
        package var aliasArn: String?

        /// Kept as "version|alias" so DescribeExecution can name both.
        package var qualifiedArn: String? { versionArn.map { v in aliasArn.map { "\(v)|\($0)" } ?? v } }
    }

    /// Resolves `…:stateMachine:NAME[:VERSION|:ALIAS]`. `roll` (0–99) picks an alias's route:
    /// the caller passes its randomness in, so tests can choose.
    package func resolveTarget(_ arn: String, roll: Int = Int.random(in: 0..<100)) async throws(EngineError) -> Target {
        guard let parsed = ARN(arn), parsed.service == "states", parsed.resourceFields.count >= 2, parsed.resourceFields.count <= 3,
              parsed.resourceFields[0] == "stateMachine" else {
            throw EngineError("InvalidArn", "Invalid Arn: '\(arn)'")
        }
        let qualifier = parsed.resourceFields.count == 3 ? parsed.resourceFields[2] : nil
        let base = qualifier == nil ? arn : String(arn.dropLast((qualifier?.count ?? 0) + 1))
        let sm: StateMachineRecord?
        do { sm = try await journal.stateMachine(arn: base) } catch { throw .internalFailure("\(error)") }
        guard let sm else { throw EngineError("StateMachineDoesNotExist", "State Machine Does Not Exist: '\(base)'") }
        guard let qualifier else { return Target(stateMachine: sm, definitionId: sm.definitionId) }
        let versions: [StateMachineVersionRecord]
        do { versions = try await journal.versions(stateMachineArn: base) } catch { throw .internalFailure("\(error)") }
        if let n = Int(qualifier) {
            guard let v = versions.first(where: { $0.version == n }) else {
                throw EngineError("StateMachineDoesNotExist", "State Machine Does Not Exist: '\(arn)'")
            }
            return Target(stateMachine: sm, definitionId: v.definitionId, versionArn: v.arn)
        }
        let aliases: [AliasRecord]
        do { aliases = try await journal.aliases(stateMachineArn: base) } catch { throw .internalFailure("\(error)") }
        guard let alias = aliases.first(where: { $0.name == qualifier }) else { throw EngineError("ResourceNotFound", "Resource not found: '\(arn)'") }
        var remaining = roll
        var chosen = alias.routing.first?.versionArn ?? ""
        for route in alias.routing {
            if remaining < route.weight {
                chosen = route.versionArn
                break
            }
            remaining -= route.weight
        }
        guard let v = versions.first(where: { $0.arn == chosen }) else { throw EngineError("ResourceNotFound", "Resource not found: '\(chosen)'") }
        return Target(stateMachine: sm, definitionId: v.definitionId, versionArn: v.arn, aliasArn: alias.arn)
    }

    /// Publishes the state machine's current definition as its next version; an unchanged
    /// definition returns the latest version, as AWS does.
    package func publishVersion(_ sm: StateMachineRecord, description: String?) async throws(EngineError) -> StateMachineVersionRecord {
        do {
            let versions = try await journal.versions(stateMachineArn: sm.arn)
            if let last = versions.last, last.definitionId == sm.definitionId { return last }
            let n = (versions.map(\.version).max() ?? 0) + 1
            let v = StateMachineVersionRecord(arn: "\(sm.arn):\(n)", stateMachineArn: sm.arn, version: n, definitionId: sm.definitionId,
                                              description: description, createdMillis: clock.now().milliseconds)
            try await journal.putVersion(v)
            return v
        } catch where error.code == .alreadyExists {
            throw EngineError("ConflictException", "Another request published a version of \(sm.arn) at the same time; retry.")
        } catch {
            throw .internalFailure("\(error)")
        }
    }

    /// Starts a standard execution of a resolved target. AWS: starting again with the same name
    /// and input while the first run is still running returns that run.
    package func start(_ target: Target, name: String, input: String, parsedInput: JSON? = nil, traceHeader: String? = nil,
                       testCase: String? = nil)
        async throws(EngineError) -> ExecutionRecord
    {
        // An EXPRESS machine runs with Express semantics whoever starts it (a rule, a pipe, a
        // schedule): asynchronously, its steps in memory.
        if target.stateMachine.type == "EXPRESS" {
            return try await startExpressExecution(stateMachineArn: target.stateMachine.arn, definitionId: target.definitionId, name: name,
                                                   input: input, roleArn: target.stateMachine.roleArn, testCase: testCase)
        }
        do {
            return try await startExecution(stateMachineArn: target.stateMachine.arn, definitionId: target.definitionId, name: name,
                                            input: input, roleArn: target.stateMachine.roleArn, qualifiedArn: target.qualifiedArn,
                                            parsedInput: parsedInput, traceHeader: traceHeader, testCase: testCase)
        } catch {
            if error.code == "ExecutionAlreadyExists",
               let existing = try? await describe(Engine.executionArn(stateMachineArn: target.stateMachine.arn, name: name)),
               existing.status == .running, existing.input == input {
                return existing
            }
            throw error
        }
    }
}
