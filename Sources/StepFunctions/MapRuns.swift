import Engine
import Journal
import StatesInterpreter
import StatesLanguage

/// Distributed Maps' Map Runs, run as child executions: the handler of the interpreter's
/// `Interpreter.mapRunResource` task. Each item (after ItemSelector and ItemBatcher) becomes an
/// execution of the processor's definition, at most MaxConcurrency at once; their outputs, in
/// item order, are the task's answer; a failure past the tolerated ones fails the run (the
/// child's own error when nothing is tolerated, AWS's `States.ExceedToleratedFailureThreshold`
/// otherwise) and aborts the children still running.
///
/// Durable as any run: the task is in the parent's outbox, so after a restart it is performed
/// again, and the run picks up from the journal (children are named by their item's index:
/// those that ended give their results, those running are waited for, the rest are started).
package actor MapRuns: TaskHandler {
    let engine: Engine
    let documents: any DocumentStore
    private var live: [String: Live] = [:]
    /// Child state machine ARN → run ARN, and parent execution ARN → run ARNs: read on every
    /// execution's status change without a hop onto this actor.
    private let machines = LockedValue<[String: String]>([:])
    private let parents = LockedValue<[String: Set<String>]>([:])
    /// AWS's ceiling on a Distributed Map's concurrent children (MaxConcurrency 0 means it).
    static let maximumConcurrency = 10_000

    final class Live {
        var record: MapRunRecord
        let definitionId: Int64
        let inputs: [JSON]
        /// Items in each child (1 unless batched).
        let sizes: [Int]
        let traceHeader: String?
        let writesResults: Bool
        var results: [JSON?]
        /// Items whose child failed, timed out or was aborted.
        var failedItems: Set<Int> = []
        var next = 0
        var running: Set<Int> = []
        var ended: Set<Int> = []
        var outcome: TaskOutcome?
        /// The failure that ends the run, once one has (the children started with it are heard first).
        var failure: StatesError?
        /// Starts in flight: the run is settled once they are heard.
        var starting = 0
        var waiters: [CheckedContinuation<TaskOutcome, Never>] = []

        init(record: MapRunRecord, definitionId: Int64, inputs: [JSON], batched: Bool, traceHeader: String?, writesResults: Bool) {
            self.record = record
            self.definitionId = definitionId
            self.inputs = inputs
            sizes = inputs.map { batched ? ($0["Items"]?.arrayValue?.count ?? 1) : 1 }
            self.traceHeader = traceHeader
            self.writesResults = writesResults
            results = Array(repeating: nil, count: inputs.count)
        }
    }

    package init(engine: Engine, documents: any DocumentStore) {
        self.engine = engine
        self.documents = documents
        let machines = self.machines, parents = self.parents
        engine.onStatusChange { [weak self] record in
            guard record.status != .running, let self else { return }
            if let run = machines.value[record.stateMachineArn] {
                // Counted before the status change is heard further (DescribeMapRun agrees with
                // it); the children it makes room for start on their own.
                await self.childEnded(run: run, record)
            } else if let runs = parents.value[record.arn] {
                Task { for run in runs { await self.abort(run) } }
            }
        }
    }

    // MARK: the task

    package func invoke(_ inv: TaskInvocation) async -> TaskOutcome {
        let p = inv.parameters
        guard let runArn = p["MapRunArn"]?.stringValue, let parent = p["ExecutionArn"]?.stringValue,
              let definition = p["Definition"]?.stringValue, let items = p["Items"]?.arrayValue,
              let machine = MapRunRecord.childMachine(of: runArn) else {
            return .failed(StatesError(StatesError.runtime, "The map run's task is malformed."))
        }
        if let run = live[runArn] { return await wait(for: run) }
        let definitionId: Int64
        do { definitionId = try await engine.saveDefinition(stateMachineArn: machine, definition: definition) } catch {
            return .failed(StatesError(StatesError.runtime, "The map run's processor cannot be stored: \(error)"))
        }
        // A restart finds the run's record (with any UpdateMapRun applied) and its children.
        let stored = (try? await documents.document(owner: MapRunRecord.owner, key: runArn)).flatMap { $0.flatMap(MapRunRecord.init) }
        var record = stored ?? MapRunRecord(mapRunArn: runArn, executionArn: parent, stateMachineArn: machine,
                                            startMillis: engine.clock.now().milliseconds,
                                            maxConcurrency: Int(p["MaxConcurrency"]?.integerValue ?? 0))
        if stored == nil {
            record.toleratedFailureCount = p["ToleratedFailureCount"]?.integerValue.map { Int($0) }
            record.toleratedFailurePercentage = p["ToleratedFailurePercentage"]?.doubleValue
        }
        if let run = live[runArn] { return await wait(for: run) }
        let run = Live(record: record, definitionId: definitionId, inputs: items, batched: p["Batched"]?.boolValue ?? false,
                       traceHeader: inv.traceHeader, writesResults: p["WritesResults"]?.boolValue ?? false)
        live[runArn] = run
        machines.mutate { $0[machine] = runArn }
        parents.mutate { $0[parent, default: []].insert(runArn) }
        if stored == nil {
            do {
                try await documents.write([
                    DocumentWrite(owner: MapRunRecord.owner, key: runArn, body: record.json.serializedBytes),
                    DocumentWrite(owner: MapRunRecord.executionOwner(parent), key: runArn, body: []),
                    DocumentWrite(owner: MapRunRecord.machineOwner, key: machine, body: Array(runArn.utf8)),
                ])
            } catch {
                forget(runArn)
                return .failed(StatesError(StatesError.runtime, "The map run cannot be recorded: \(error)"))
            }
        } else {
            await recoverChildren(run)
        }
        Task { await self.pump(runArn) }
        return await wait(for: run)
    }

    /// Waits for the run's outcome; a cancelled wait (the server stopping) answers nothing, and
    /// the task is performed again after the restart.
    private func wait(for run: Live) async -> TaskOutcome {
        if let outcome = run.outcome { return outcome }
        let runArn = run.record.mapRunArn
        return await withTaskCancellationHandler {
            await withCheckedContinuation { c in
                if let outcome = run.outcome { c.resume(returning: outcome) } else { run.waiters.append(c) }
            }
        } onCancel: {
            Task { await self.releaseWaiters(runArn) }
        }
    }

    private func releaseWaiters(_ runArn: String) {
        guard let run = live[runArn] else { return }
        let waiters = run.waiters
        run.waiters = []
        for w in waiters { w.resume(returning: .pending) }
    }

    /// After a restart: every child the journal has, ended or running.
    private func recoverChildren(_ run: Live) async {
        var after: ExecutionCursor?
        while true {
            let page = (try? await engine.journal.listExecutions(ExecutionQuery(stateMachineArn: run.record.stateMachineArn, limit: 1000,
                                                                                  after: after))) ?? []
            for child in page {
                guard let i = MapRunRecord.index(ofChild: child.name), i < run.inputs.count else { continue }
                run.running.insert(i)
                if child.status != .running, let ended = try? await engine.describe(child.arn) { record(ended: ended, index: i, in: run) }
            }
            guard page.count == 1000, let last = page.last else { break }
            after = last.cursor
        }
    }

    // MARK: children

    /// Starts children while MaxConcurrency allows, then ends the run when every child has.
    private func pump(_ runArn: String) async {
        guard let run = live[runArn], run.outcome == nil else { return }
        settle(run)
        guard run.outcome == nil else { return }
        let limit = run.record.maxConcurrency == 0 ? Self.maximumConcurrency : min(run.record.maxConcurrency, Self.maximumConcurrency)
        // Every child there is room for is claimed at once and started together: their first
        // steps share the journal's group commits.
        var batch: [Int] = []
        while run.outcome == nil && run.failure == nil && run.running.count - run.ended.count < limit {
            while run.next < run.inputs.count && run.running.contains(run.next) { run.next += 1 }
            guard run.next < run.inputs.count else { break }
            batch.append(run.next)
            run.running.insert(run.next)
            run.next += 1
        }
        if !batch.isEmpty {
            let starts = batch.map { (i: $0, request: startRequest($0, of: run)) }
            let engine = self.engine
            run.starting += 1
            let outcomes = await withTaskGroup(of: (Int, Result<ExecutionRecord, EngineError>).self) { group in
                for s in starts { group.addTask { (s.i, await s.request(engine)) } }
                var out: [(Int, Result<ExecutionRecord, EngineError>)] = []
                for await o in group { out.append(o) }
                return out
            }
            for (i, outcome) in outcomes { await started(i, outcome, of: run) }
            run.starting -= 1
        }
        settle(run)
    }

    /// A child's start, to run off the actor.
    private func startRequest(_ i: Int, of run: Live) -> @Sendable (Engine) async -> Result<ExecutionRecord, EngineError> {
        let (machine, definitionId, trace) = (run.record.stateMachineArn, run.definitionId, run.traceHeader)
        let name = MapRunRecord.childName(runArn: run.record.mapRunArn, index: i)
        let input = run.inputs[i]
        return { engine in
            do throws(EngineError) {
                return .success(try await engine.startExecution(stateMachineArn: machine, definitionId: definitionId, name: name,
                                                                input: input.serialized, parsedInput: input, traceHeader: trace))
            } catch {
                return .failure(error)
            }
        }
    }

    /// What a child's start came to: ended already (in its first step, or before a restart), or
    /// running (its end is heard), or not started at all (a failed child).
    private func started(_ i: Int, _ outcome: Result<ExecutionRecord, EngineError>, of run: Live) async {
        let name = MapRunRecord.childName(runArn: run.record.mapRunArn, index: i)
        let arn = Engine.executionArn(stateMachineArn: run.record.stateMachineArn, name: name)
        switch outcome {
        case .success(let record):
            if record.status != .running { self.record(ended: record, index: i, in: run) }
        case .failure(let error) where error.code == "ExecutionAlreadyExists":
            if let record = try? await engine.describe(arn), record.status != .running { self.record(ended: record, index: i, in: run) }
        case .failure(let error):
            var failed = ExecutionRecord(arn: arn, stateMachineArn: run.record.stateMachineArn, definitionId: run.definitionId, name: name,
                                         status: .failed, input: run.inputs[i].serialized, startMillis: engine.clock.now().milliseconds)
            failed.error = StatesError.runtime
            failed.cause = "The child execution could not start: \(error.message)"
            self.record(ended: failed, index: i, in: run)
        }
    }

    func childEnded(run runArn: String, _ record: ExecutionRecord) {
        guard let run = live[runArn], let i = MapRunRecord.index(ofChild: record.name), i < run.inputs.count else { return }
        self.record(ended: record, index: i, in: run)
        settle(run)
        Task { await self.pump(runArn) }
    }

    /// One child's end, counted once.
    private func record(ended record: ExecutionRecord, index i: Int, in run: Live) {
        guard run.outcome == nil, record.status != .running, run.ended.insert(i).inserted else { return }
        if record.status == .succeeded {
            run.results[i] = record.outputValue ?? record.output.flatMap { try? JSONParser.parse($0) } ?? .null
            return
        }
        run.results[i] = .null
        run.failedItems.insert(i)
        switch record.status {
        case .failed: run.record.executions.failed += 1; run.record.items.failed += run.sizes[i]
        case .timedOut: run.record.executions.timedOut += 1; run.record.items.timedOut += run.sizes[i]
        default: run.record.executions.aborted += 1; run.record.items.aborted += run.sizes[i]
        }
        // As an inline Map's iterations: with no tolerance the first failure ends the run with
        // the child's error; past a tolerance, with AWS's threshold error.
        let failures = run.failedItems.count
        let tolerant = run.record.toleratedFailureCount != nil || run.record.toleratedFailurePercentage != nil
        var exceeded = !tolerant
        if let n = run.record.toleratedFailureCount, failures > n { exceeded = true }
        if let p = run.record.toleratedFailurePercentage, Double(failures) * 100 / Double(max(1, run.inputs.count)) > p { exceeded = true }
        guard exceeded else { return }
        guard run.failure == nil else { return }
        run.failure = tolerant
            ? StatesError(StatesError.exceedToleratedFailureThreshold, "The specified tolerated failure threshold was exceeded")
            : StatesError(record.error ?? (record.status == .timedOut ? "States.Timeout" : "States.Aborted"), record.cause)
    }

    /// Ends the run once it has failed, or once every child has ended.
    private func settle(_ run: Live) {
        guard run.outcome == nil, run.starting == 0 else { return }
        if let failure = run.failure {
            end(run, outcome: .failed(failure), status: "FAILED")
        } else if run.ended.count == run.inputs.count {
            finish(run)
        }
    }

    private func finish(_ run: Live) {
        let results = run.results.map { $0 ?? .null }
        end(run, outcome: .succeeded(["Results": .array(results)]), status: "SUCCEEDED")
    }

    /// The run's end: its children still running aborted, its record kept, the parent answered.
    private func end(_ run: Live, outcome: TaskOutcome, status: String) {
        run.outcome = outcome
        let runArn = run.record.mapRunArn
        let abandoned = run.running.subtracting(run.ended).sorted()
        run.record.status = status
        run.record.stopMillis = engine.clock.now().milliseconds
        run.record.executions = counts(run, executions: true)
        run.record.items = counts(run, executions: false)
        // The children still running are being aborted, and counted so.
        for keyPath in [\MapRunRecord.executions, \MapRunRecord.items] {
            run.record[keyPath: keyPath].aborted += run.record[keyPath: keyPath].running
            run.record[keyPath: keyPath].running = 0
        }
        if run.writesResults && status == "SUCCEEDED" { run.record.items.resultsWritten = run.record.items.succeeded }
        let record = run.record
        let waiters = run.waiters
        run.waiters = []
        forget(runArn)
        let engine = self.engine, documents = self.documents
        Task {
            // The record first: once a child is heard aborted, DescribeMapRun says why.
            try? await documents.write([DocumentWrite(owner: MapRunRecord.owner, key: runArn, body: record.json.serializedBytes)])
            for i in abandoned {
                let arn = Engine.executionArn(stateMachineArn: record.stateMachineArn, name: MapRunRecord.childName(runArn: runArn, index: i))
                _ = try? await engine.stopExecution(arn, error: nil, cause: nil)
            }
            for w in waiters { w.resume(returning: outcome) }
        }
    }

    private func forget(_ runArn: String) {
        guard let run = live.removeValue(forKey: runArn) else { return }
        machines.mutate { $0[run.record.stateMachineArn] = nil }
        parents.mutate { parents in
            parents[run.record.executionArn]?.remove(runArn)
            // No entry left behind per parent: the table lives as long as the server.
            if parents[run.record.executionArn]?.isEmpty == true { parents[run.record.executionArn] = nil }
        }
    }

    /// The parent ended (stopped, timed out): its run ends and its children are aborted.
    func abort(_ runArn: String) {
        guard let run = live[runArn], run.outcome == nil else { return }
        end(run, outcome: .failed(StatesError("States.Aborted", "The map run was aborted")), status: "ABORTED")
    }

    // MARK: what the API shows

    /// Executions or items by how they are, as DescribeMapRun counts them.
    private func counts(_ run: Live, executions: Bool) -> MapRunRecord.Counts {
        var c = executions ? run.record.executions : run.record.items
        let weight: (Int) -> Int = { executions ? 1 : run.sizes[$0] }
        c.succeeded = run.ended.subtracting(run.failedItems).reduce(0) { $0 + weight($1) }
        c.running = run.running.subtracting(run.ended).reduce(0) { $0 + weight($1) }
        let started = run.running.count
        c.pending = executions ? run.inputs.count - started
                               : run.sizes.reduce(0, +) - run.running.reduce(0) { $0 + weight($1) }
        return c
    }

    /// A run's record: live counts while it runs, else as kept.
    func describe(_ runArn: String) async -> MapRunRecord? {
        if let run = live[runArn] {
            var r = run.record
            r.executions = counts(run, executions: true)
            r.items = counts(run, executions: false)
            return r
        }
        return (try? await documents.document(owner: MapRunRecord.owner, key: runArn)).flatMap { $0.flatMap(MapRunRecord.init) }
    }

    /// The runs of an execution's Distributed Maps, by ARN.
    func runArns(ofExecution arn: String) async -> [String] {
        ((try? await documents.documents(owner: MapRunRecord.executionOwner(arn))) ?? []).map(\.key)
    }

    /// The run whose children are executions of `machine`.
    func runArn(ofChildMachine machine: String) async -> String? {
        guard let bytes = try? await documents.document(owner: MapRunRecord.machineOwner, key: machine) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// UpdateMapRun: new limits for a running run (kept, and applied to the children yet to start).
    func update(_ runArn: String, maxConcurrency: Int?, toleratedFailureCount: Int?, toleratedFailurePercentage: Double?) async -> Bool {
        guard let run = live[runArn], run.outcome == nil else { return false }
        if let n = maxConcurrency { run.record.maxConcurrency = n }
        if let n = toleratedFailureCount { run.record.toleratedFailureCount = n }
        if let p = toleratedFailurePercentage { run.record.toleratedFailurePercentage = p }
        try? await documents.write([DocumentWrite(owner: MapRunRecord.owner, key: runArn, body: run.record.json.serializedBytes)])
        Task { await self.pump(runArn) }
        return true
    }
}
