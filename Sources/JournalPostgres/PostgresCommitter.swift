import Journal
import Logging
import PostgresNIO

/// The group committer: steps queue up while a group commits, then all go in the next one
/// (at most `maxBatch`). Plain steps go to `baton_append_steps` in one statement: one round
/// trip and one WAL flush for the group. A step with services' statements attached runs as
/// its own savepoint in the same transaction.
actor PostgresCommitter {
    typealias Body = @Sendable (PostgresConnection) async throws -> Void
    private enum Job {
        case step(EncodedStep)
        case body(Body)
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

    func submit(_ body: @escaping Body) async -> Result<Void, JournalError> { await submit(.body(body)) }
    func submit(_ step: EncodedStep) async -> Result<Void, JournalError> { await submit(.step(step)) }

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
        var steps: [(index: Int, step: EncodedStep)] = []
        var bodies: [(index: Int, body: Body)] = []
        for (i, job) in jobs.enumerated() {
            switch job {
            case .step(let s): steps.append((i, s))
            case .body(let b): bodies.append((i, b))
            }
        }
        let call: PostgresQuery = "SELECT baton_append_steps(\(steps.map(\.step.json))::jsonb[], \(steps.map(\.step.snapshot)), \(node))"
        do {
            return try await client.withConnection { c in
                var results = [Result<Void, JournalError>](repeating: .success(()), count: jobs.count)
                // Steps alone: one statement is its own transaction.
                if bodies.isEmpty {
                    let outcomes = try await Self.outcomes(c, call, logger: logger)
                    for (k, s) in steps.enumerated() { results[s.index] = k < outcomes.count ? EncodedStep.outcome(outcomes[k]) : .failure(JournalError(.corrupt, "no result for a step")) }
                    return results
                }
                try await c.query("BEGIN", logger: logger)
                do {
                    if !steps.isEmpty {
                        let outcomes = try await Self.outcomes(c, call, logger: logger)
                        for (k, s) in steps.enumerated() { results[s.index] = k < outcomes.count ? EncodedStep.outcome(outcomes[k]) : .failure(JournalError(.corrupt, "no result for a step")) }
                    }
                    for (i, body) in bodies {
                        try await c.query("SAVEPOINT step", logger: logger)
                        do {
                            try await body(c)
                            try await c.query("RELEASE SAVEPOINT step", logger: logger)
                        } catch {
                            // A failed statement aborts the transaction until the savepoint is rolled back.
                            try await c.query("ROLLBACK TO SAVEPOINT step", logger: logger)
                            try await c.query("RELEASE SAVEPOINT step", logger: logger)
                            results[i] = .failure(PostgresJournal.journalError(error, "the step was not applied"))
                        }
                    }
                    try await c.query("COMMIT", logger: logger)
                } catch {
                    _ = try? await c.query("ROLLBACK", logger: logger)
                    throw error
                }
                return results
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
