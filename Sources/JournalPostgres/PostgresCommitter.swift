import Journal
import Logging
import PostgresNIO

/// The group committer: steps queue up while a group commits, then all go in the next one
/// (at most `maxBatch`), to `baton_append_steps` in one statement: one round trip and one WAL
/// flush for the group. Services' statements attached to steps (a webhook delivery's log entry,
/// an inbox answer) run after it in the same transaction, for the steps that applied; should
/// one fail, the whole group rolls back and each of its steps reports the failure (nothing is
/// ever half-applied).
actor PostgresCommitter {
    private struct Job {
        var step: EncodedStep
        var attachments: [StepAttachment]
    }
    private struct Work {
        var job: Job
        var done: CheckedContinuation<Result<Void, JournalError>, Never>
    }

    private let client: PostgresClient
    private let maxBatch: Int
    private let logger: Logger
    private let node: String
    private var pending: [Work] = []
    private var draining = false
    private var closed = false
    private var drained: [CheckedContinuation<Void, Never>] = []

    init(client: PostgresClient, maxBatch: Int, node: String, logger: Logger) {
        self.client = client
        self.maxBatch = maxBatch
        self.node = node
        self.logger = logger
    }

    func submit(_ step: EncodedStep, attachments: [StepAttachment]) async -> Result<Void, JournalError> {
        await submit(Job(step: step, attachments: attachments))
    }

    private func submit(_ job: Job) async -> Result<Void, JournalError> {
        guard !closed else { return .failure(JournalError(.closed, "the journal is closed")) }
        return await withCheckedContinuation { c in
            pending.append(Work(job: job, done: c))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    func close() async {
        closed = true
        guard draining else { return }
        await withCheckedContinuation { drained.append($0) }
    }

    private func drain() async {
        while !pending.isEmpty {
            let work = Array(pending.prefix(maxBatch))
            pending.removeFirst(work.count)
            let results = await commit(work.map(\.job))
            for (w, r) in zip(work, results) { w.done.resume(returning: r) }
        }
        draining = false
        for d in drained { d.resume() }
        drained = []
    }

    private func commit(_ jobs: [Job]) async -> [Result<Void, JournalError>] {
        let logger = self.logger
        let call: PostgresQuery = "SELECT baton_append_steps(\(jobs.map(\.step.json))::jsonb[], \(jobs.map(\.step.snapshot)), \(node))"
        let attached = jobs.contains { !$0.attachments.isEmpty }
        do {
            return try await client.withConnection { c in
                func results(_ outcomes: [String]) -> [Result<Void, JournalError>] {
                    jobs.indices.map { k in k < outcomes.count ? EncodedStep.outcome(outcomes[k]) : .failure(JournalError(.corrupt, "no result for a step")) }
                }
                // Steps alone: one statement is its own transaction.
                guard attached else { return results(try await Self.outcomes(c, call, logger: logger)) }
                return try await PostgresJournal.inTransaction(c, logger: logger) {
                    let out = results(try await Self.outcomes(c, call, logger: logger))
                    for (job, result) in zip(jobs, out) where !job.attachments.isEmpty {
                        // Only a step that applied applies its attachments.
                        guard case .success = result else { continue }
                        let statements = SQLStatements()
                        for a in job.attachments { try a.apply(in: .statements(statements)) }
                        for s in statements.list { try await c.query(PostgresJournal.query(s.sql, s.values), logger: logger) }
                    }
                    return out
                }
            }
        } catch {
            let e = PostgresJournal.journalError(error, "the commit failed")
            return jobs.map { _ in .failure(e) }
        }
    }

    private static func outcomes(_ c: PostgresConnection, _ call: PostgresQuery, logger: Logger) async throws -> [String] {
        var out: [String] = []
        for try await list in try await c.query(call, logger: logger).decode([String].self) { out = list }
        return out
    }
}
