import StatesInterpreter
import StatesLanguage

/// A journal in memory, for tests and for Express executions' bookkeeping. It passes the
/// same contract suite as the SQLite journal.
package actor InMemoryJournal: JournalStore {
    private var definitions: [Int64: String] = [:]
    private var executionRows: [String: ExecutionRecord] = [:]
    private var events: [String: [HistoryEvent]] = [:]
    private var outboxRows: [String: OutboxEntry] = [:]
    private var timerRows: [String: [Int: TimerRecord]] = [:]
    private var tokenRows: [String: TaskTokenRecord] = [:]

    private var machineRows: [String: StateMachineRecord] = [:]
    private var versionRows: [String: StateMachineVersionRecord] = [:]
    private var activityRows: [String: ActivityRecord] = [:]

    private var aliasRows: [String: AliasRecord] = [:]
    private var tagRows: [String: [(key: String, value: String)]] = [:]

    package init() {}

    private var correlationRows: [String: String] = [:]

    package func tokens(correlation: String) -> [TaskTokenRecord] {
        tokenRows.values.filter { $0.correlation == correlation }.sorted { ($0.executionArn, $0.taskId) < ($1.executionArn, $1.taskId) }
    }

    package func correlationOwner(_ correlation: String) -> String? { correlationRows[correlation] }

    private var functionRows: [String: (config: String, code: [UInt8]?)] = [:]

    package func putFunction(name: String, config: String, code: [UInt8]?) {
        functionRows[name] = (config, code ?? functionRows[name]?.code)
    }

    package func functions() -> [(name: String, config: String, code: [UInt8]?)] {
        functionRows.sorted { $0.key < $1.key }.map { ($0.key, $0.value.config, $0.value.code) }
    }

    package func deleteFunction(name: String) { functionRows[name] = nil }

    package func putAlias(_ r: AliasRecord) { aliasRows[r.arn] = r }
    package func aliases(stateMachineArn: String) -> [AliasRecord] {
        aliasRows.values.filter { $0.stateMachineArn == stateMachineArn }.sorted { $0.name < $1.name }
    }
    package func deleteAlias(arn: String) { aliasRows[arn] = nil }

    package func tags(resourceArn: String) -> [(key: String, value: String)] { tagRows[resourceArn] ?? [] }

    package func tag(resourceArn: String, _ tags: [(key: String, value: String)]) {
        var current = tagRows[resourceArn] ?? []
        for t in tags {
            if let i = current.firstIndex(where: { $0.key == t.key }) { current[i] = t } else { current.append(t) }
        }
        tagRows[resourceArn] = current.sorted { $0.key < $1.key }
    }

    package func untag(resourceArn: String, keys: [String]) {
        tagRows[resourceArn] = (tagRows[resourceArn] ?? []).filter { !keys.contains($0.key) }
    }

    package func putStateMachine(_ r: StateMachineRecord) { machineRows[r.arn] = r }
    package func stateMachine(arn: String) -> StateMachineRecord? { machineRows[arn] }
    package func stateMachines() -> [StateMachineRecord] { machineRows.values.sorted { ($0.createdMillis, $0.arn) < ($1.createdMillis, $1.arn) } }

    package func deleteStateMachine(arn: String) {
        machineRows[arn] = nil
        versionRows = versionRows.filter { $0.value.stateMachineArn != arn }
    }

    package func putVersion(_ r: StateMachineVersionRecord) throws(JournalError) {
        guard versionRows[r.arn] == nil,
              !versionRows.values.contains(where: { $0.stateMachineArn == r.stateMachineArn && $0.version == r.version })
        else { throw JournalError(.alreadyExists, "version \(r.arn) exists") }
        versionRows[r.arn] = r
    }

    package func versions(stateMachineArn: String) -> [StateMachineVersionRecord] {
        versionRows.values.filter { $0.stateMachineArn == stateMachineArn }.sorted { $0.version < $1.version }
    }

    package func deleteVersion(arn: String) { versionRows[arn] = nil }

    package func putActivity(_ r: ActivityRecord) throws(JournalError) {
        guard activityRows[r.arn] == nil else { throw JournalError(.alreadyExists, "activity \(r.arn) exists") }
        activityRows[r.arn] = r
    }

    package func activities() -> [ActivityRecord] { activityRows.values.sorted { ($0.createdMillis, $0.arn) < ($1.createdMillis, $1.arn) } }
    package func deleteActivity(arn: String) { activityRows[arn] = nil }

    /// Test seam: the next append that `predicate` picks fails as a disk error would, writing nothing.
    private var failure: (@Sendable (JournalBatch) -> Bool)?

    package func failNextAppend(where predicate: @escaping @Sendable (JournalBatch) -> Bool) { failure = predicate }

    /// Appends asked of the journal per execution (each a commit): what tests count commits by.
    private var appendCounts: [String: Int] = [:]
    package func appends(of arn: String) -> Int { appendCounts[arn, default: 0] }

    package func append(_ b: JournalBatch) throws(JournalError) {
        defer { appendCounts[b.execution.arn, default: 0] += 1 }
        if let failure, failure(b) {
            self.failure = nil
            throw JournalError(.sqlite(10), "injected I/O error")
        }
        let arn = b.execution.arn
        if let expected = b.expectedVersion {
            guard let current = executionRows[arn] else { throw JournalError(.notFound, "no execution \(arn)") }
            guard current.lastEventId == expected else {
                throw JournalError(.versionConflict, "execution \(arn) is at event \(current.lastEventId), not \(expected)")
            }
        } else if executionRows[arn] != nil {
            throw JournalError(.alreadyExists, "execution \(arn) already exists")
        }
        // Services' writes first: one that fails leaves the step unapplied.
        for a in b.attachments { try a.apply(in: .memory) }
        var row = b.execution
        row.output = row.output  // kept as text: made once, not on every read
        if b.expectedVersion != nil, let current = executionRows[arn] { row = row.written(over: current) }
        executionRows[arn] = row
        events[arn, default: []].append(contentsOf: b.events)
        for o in b.outboxAdds { outboxRows[o.key] = o }
        for k in b.outboxRemovals { outboxRows[k] = nil }
        for t in b.timerAdds { timerRows[t.executionArn, default: [:]][t.timerId] = t }
        for id in b.timerRemovals { timerRows[arn]?[id] = nil }
        for t in b.tokenAdds {
            tokenRows[t.token] = t
            if let c = t.correlation { correlationRows[c] = t.executionArn }
        }
        for t in b.tokenRemovals { tokenRows[t] = nil }
        if b.clearsWaits {
            timerRows[arn] = nil
            tokenRows = tokenRows.filter { $0.value.executionArn != arn }
            outboxRows = outboxRows.filter { $0.value.executionArn != arn }
        }
    }

    package func saveDefinition(stateMachineArn: String, definition: String) -> Int64 {
        let id = Int64(definitions.count + 1)
        definitions[id] = definition
        return id
    }

    package func definition(id: Int64) -> String? { definitions[id] }
    package func execution(arn: String) -> ExecutionRecord? { executionRows[arn] }
    package func history(arn: String) -> [HistoryEvent] { events[arn] ?? [] }

    package func deleteFinishedExecutions(stoppedBefore: Int64, limit: Int) -> Int {
        let old = executionRows.values.filter { $0.status != .running && ($0.stopMillis ?? .max) < stoppedBefore }
            .sorted { ($0.stopMillis ?? 0, $0.arn) < ($1.stopMillis ?? 0, $1.arn) }.prefix(limit)
        for r in old {
            executionRows[r.arn] = nil
            events[r.arn] = nil
            timerRows[r.arn] = nil
            outboxRows = outboxRows.filter { $0.value.executionArn != r.arn }
            tokenRows = tokenRows.filter { $0.value.executionArn != r.arn }
        }
        return old.count
    }
    package func history(arn: String, after: Int, limit: Int) -> [HistoryEvent] {
        Array((events[arn] ?? []).lazy.filter { $0.id > after }.prefix(limit))
    }

    package func executions(status: ExecutionStatus?) -> [ExecutionRecord] {
        executionRows.values.filter { status == nil || $0.status == status }.sorted { ($0.startMillis, $0.arn) < ($1.startMillis, $1.arn) }
    }

    package func runningExecutions(startedBy: Int64, limit: Int) -> [String] {
        Array(executions(status: .running).filter { $0.startMillis <= startedBy }.prefix(limit).map(\.arn))
    }

    package func listExecutions(_ q: ExecutionQuery) -> [ExecutionSummary] {
        let rows = executionRows.values.filter { e in
            q.admits(stateMachineArn: e.stateMachineArn, name: e.name, status: e.status, startMillis: e.startMillis)
                && (q.after.map { $0.precedes(startMillis: e.startMillis, arn: e.arn) } ?? true)
                && (q.qualifiedArn.map { qa in e.qualifiedArn?.split(separator: "|").contains { String($0) == qa } ?? false } ?? true)
        }
        return rows.sorted { ($0.startMillis, $0.arn) > ($1.startMillis, $1.arn) }.prefix(q.limit).map { e in
            ExecutionSummary(arn: e.arn, stateMachineArn: e.stateMachineArn, name: e.name, status: e.status, startMillis: e.startMillis,
                             stopMillis: e.stopMillis, redriveCount: e.redriveCount)
        }
    }

    package func timers(dueBefore: Int64?) -> [TimerRecord] {
        timerRows.values.flatMap(\.values).filter { $0.dueMillis <= (dueBefore ?? Int64.max) }.sorted { ($0.dueMillis, $0.executionArn, $0.timerId) < ($1.dueMillis, $1.executionArn, $1.timerId) }
    }

    package func outbox() -> [OutboxEntry] { outboxRows.values.sorted { $0.key < $1.key } }
    package func token(_ token: String) -> TaskTokenRecord? { tokenRows[token] }
    package func callbackTokens() -> [TaskTokenRecord] {
        tokenRows.values.filter { $0.activityArn == nil }.sorted { $0.token < $1.token }
    }

    package func tokens(activityArn: String) -> [TaskTokenRecord] {
        tokenRows.values.filter { $0.activityArn == activityArn }.sorted { $0.token < $1.token }
    }
}
