import CoreMetrics
import Foundation
import Journal
import Logging
import StatesInterpreter
import StatesLanguage

/// The durable engine: decide, persist, then perform.
///
/// Every step is decided by the pure interpreter, committed to the journal (events, execution
/// row with the state snapshot, outbox, timers, tokens in one transaction), and only then are
/// its effects performed. A parked execution is rows on disk: no actor, task or decoded JSON
/// is kept for it in memory.
package final class Engine: Sendable {
    package let journal: any JournalStore
    package let clock: any EngineClock
    /// Filled once, before `recover()` and `run()`, by the services that were built with this engine.
    private let installedRegistry: LockedValue<TaskRegistry>
    var registry: TaskRegistry { installedRegistry.value }
    let partitions: [Partition]
    let timers = TimerService()
    let tracker = WorkTracker()
    let completions = CompletionWaiters()
    /// Rung after each committed step of a watched execution (the console's live view).
    package let historyWatchers = HistoryWatchers()
    /// Execution, state and task spans (when tracing is on).
    let spans = ExecutionSpans()
    let definitions = DefinitionCache()
    let activities = ActivityBoard()
    /// Outbox keys being performed now: the periodic rescan leaves them alone.
    let inFlight = InFlightKeys()
    package let logger: Logger
    /// Step Functions Local's mock configuration, when the server was given one.
    let mocks = LockedValue<MockConfigFile?>(nil)
    /// Who hears of Standard executions starting and ending (the event bus's status-change events).
    let statusListeners = LockedValue<[@Sendable (ExecutionRecord) async -> Void]>([])
    /// Told when this node takes partitions over (a cluster's node): what fires per partition looks again.
    let adoptionListeners = LockedValue<[@Sendable () async -> Void]>([])
    /// Who reads each committed step's events (execution logging).
    let eventListeners = LockedValue<[@Sendable (ExecutionRecord, [HistoryEvent]) async -> Void]>([])
    /// Whether any listener wants a state machine's events (an Express run keeps its events in
    /// memory only then).
    let eventInterest = LockedValue<[@Sendable (String) async -> Bool]>([])
    package let limits: Limits
    /// The cluster's router, on a node that shares its journal with others (see `Engine+Cluster`).
    let routerBox = LockedValue<(any PartitionRouter)?>(nil)
    /// Whether a transactional Task handler's write rides with the step that schedules it
    /// (the journal's `servicesShareTheDatabase`, read once).
    let attachesServiceWrites: Bool
    private let work: AsyncStream<Work>
    let workSink: AsyncStream<Work>.Continuation

    /// AWS's limits, configurable.
    package struct Limits: Sendable {
        package var maximumPayloadBytes = 256 * 1024
        package var maximumHistoryEvents = 25_000
        package var maximumDurationSeconds: Int64 = 365 * 24 * 3600
        package init() {}
    }

    enum Work: Sendable {
        case invoke(arn: String, TaskInvocation)
        /// A timer already due when its step committed (Wait 0, a zero backoff): fired at once.
        case fire(arn: String, TimerID)
        /// An asynchronous Express execution, run in memory to its end.
        case express(ExpressStart)
    }

    package init(journal: any JournalStore, clock: any EngineClock = SystemEngineClock(), registry: TaskRegistry = TaskRegistry(),
                 partitions: Int = 16, limits: Limits = Limits(), logger: Logger = Logger(label: "baton.engine")) {
        self.logger = logger
        self.journal = journal
        self.clock = clock
        let installed = LockedValue(registry)
        self.installedRegistry = installed
        let mocks = self.mocks
        let board = self.activities, router = self.routerBox
        let attaching = journal.servicesShareTheDatabase
        attachesServiceWrites = attaching
        self.limits = limits
        self.partitions = (0..<max(1, partitions)).map { _ in
            Partition(journal: journal, clock: clock, scheduling: { inv in
                // A mocked task sends nothing: no correlation, no transactional send.
                if inv.mock != nil, MockConfigFile.outcome(inv, mocks.value) != nil { return SchedulingWrites(correlation: nil, attachments: []) }
                let handler = installed.value.handler(for: inv.resource)
                return SchedulingWrites(correlation: handler?.tokenCorrelation(for: inv),
                                        attachments: attaching ? (handler as? any TransactionalTaskHandler)?.attachments(scheduling: inv) ?? [] : [])
            }, reserveWorker: { inv, activity in
                // A worker already waiting takes the task in the step that schedules it (its
                // ActivityStarted commits with the ActivityScheduled): one commit fewer per task.
                // Not for a mocked task, and not in a cluster, where the journal hands tasks out.
                if inv.mock != nil, MockConfigFile.outcome(inv, mocks.value) != nil { return nil }
                guard router.value == nil else { return nil }
                return await board.reserve(activity)
            })
        }
        (work, workSink) = AsyncStream.makeStream(of: Work.self)
    }

    /// Installs the Task handlers (services are built with the engine, so their handlers come after it).
    package func install(_ registry: TaskRegistry) { installedRegistry.value = registry }

    /// Installs a mock configuration: executions started on `stateMachineArn#CASE` take their
    /// listed Task states' answers from it.
    package func install(mocks file: MockConfigFile?) { mocks.value = file }

    /// The mock configuration in force, if any.
    package var mockConfiguration: MockConfigFile? { mocks.value }

    /// A test case's mocked answer for a task; a run outside a test case (no `inv.mock`)
    /// pays nothing, not even the configuration's lock.
    func mocked(_ inv: TaskInvocation) -> TaskOutcome? {
        guard inv.mock != nil else { return nil }
        return MockConfigFile.outcome(inv, mocks.value)
    }

    /// Calls `listener` with an execution's record when a Standard execution starts (RUNNING)
    /// and when it ends, after the step that says so is committed.
    package func onStatusChange(_ listener: @escaping @Sendable (ExecutionRecord) async -> Void) {
        statusListeners.value.append(listener)
    }

    /// Calls `listener` with each step's events once they are committed (and an Express
    /// execution's, kept in memory, once it ends).
    /// `wants`: whether the listener cares about a state machine's events at all.
    package func onCommittedEvents(wants: @escaping @Sendable (String) async -> Bool = { _ in true },
                                   _ listener: @escaping @Sendable (ExecutionRecord, [HistoryEvent]) async -> Void) {
        eventListeners.mutate { $0.append(listener) }
        eventInterest.mutate { $0.append(wants) }
    }

    func wantsEvents(_ stateMachineArn: String) async -> Bool {
        for wants in eventInterest.value where await wants(stateMachineArn) { return true }
        return false
    }

    func committed(_ record: ExecutionRecord, _ events: [HistoryEvent]) async {
        let listeners = eventListeners.value
        guard !listeners.isEmpty, !events.isEmpty else { return }
        for listener in listeners { await listener(record, events) }
    }

    func announce(_ record: ExecutionRecord) async {
        for listener in statusListeners.value { await listener(record) }
    }

    /// The handler that performs a resource (a function ARN, an integration), for services
    /// that call one outside a Task state (an event bus target).
    package func taskHandler(for resource: String) -> (any TaskHandler)? { installedRegistry.value.handler(for: resource) }

    /// Calls a Task resource for a service, outside any execution (a bus target, a schedule's
    /// universal target, a connection's secret): nil when no service on this endpoint serves it.
    /// `key` makes redeliveries of the same call recognisable, as a step's idempotency key does.
    package func call(_ resource: String, parameters: JSON, caller: String, key: String, traceHeader: String? = nil) async -> TaskOutcome? {
        guard let handler = taskHandler(for: resource) else { return nil }
        let invocation = TaskInvocation(id: TaskID(0), stateName: caller, resource: resource, parameters: parameters,
                                        timeoutSeconds: nil, heartbeatSeconds: nil, taskToken: nil, idempotencyKey: key,
                                        traceHeader: traceHeader)
        // Outside a step, a transactional task has no step to write with: it commits on its own.
        if let transactional = handler as? any TransactionalTaskHandler { return await transactional.invokeAlone(invocation) }
        return await handler.invoke(invocation)
    }

    func partition(for arn: String) -> Partition {
        // FNV-1a: stable across runs (Swift's Hasher is seeded per process).
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in arn.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return partitions[Int(h % UInt64(partitions.count))]
    }

    // MARK: service

    /// Runs the dispatcher and the timer service until cancelled.
    package func run() async {
        // A discarding group: finished dispatches leave nothing behind (a plain task group keeps
        // every child's result until it is awaited, which grows without bound in a service).
        await withDiscardingTaskGroup { group in
            group.addTask { await self.timerLoop() }
            for await item in work {
                switch item {
                case .invoke(let arn, let invocation):
                    group.addTask {
                        await self.perform(arn, invocation)
                        await self.tracker.end()
                    }
                case .fire(let arn, let timer):
                    group.addTask {
                        await self.deliverLogged(arn, [.timerFired(timer)], "a due timer")
                        await self.tracker.end()
                    }
                case .express(let begun):
                    group.addTask {
                        do { _ = try await self.finishExpress(begun) } catch {
                            self.logger.error("an Express execution failed to finish", metadata: ["execution": "\(begun)", "error": "\(error)"])
                        }
                        await self.tracker.end()
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// Stops accepting work; `run()` returns once in-flight work is done.
    package func shutdown() { workSink.finish() }

    /// Timers due within this many seconds are held in memory; later ones stay rows on disk
    /// until a scan brings them in, so a parked execution costs no memory for its deadlines.
    static let timerHorizonSeconds: Int64 = 60

    /// Loads the journal's timers that fall due within the horizon.
    package func loadNearTimers() async {
        let horizon = clock.now().adding(seconds: Self.timerHorizonSeconds)
        guard let rows = try? await journal.timers(dueBefore: horizon.milliseconds) else { return }
        for t in rows where owns(t.executionArn) { await timers.schedule(t.executionArn, t.timerId, due: Timestamp(milliseconds: t.dueMillis)) }
        await timers.setLoadedUntil(horizon)
    }

    /// How often the outbox is scanned for invocations whose outcome never committed (a
    /// failed step append, a handler that vanished): each is performed again, at least once.
    static let outboxRescanSeconds: Int64 = 30

    private func timerLoop() async {
        var lastRescan = clock.now()
        var lastSweep: Timestamp?
        while !Task.isCancelled {
            if clock.now() >= lastRescan.adding(seconds: Self.outboxRescanSeconds) {
                lastRescan = clock.now()
                await rescanOutbox()
            }
            if lastSweep.map({ clock.now() >= $0.adding(seconds: Self.maximumDurationSweepSeconds) }) ?? true {
                lastSweep = clock.now()
                await timeOutOverdueExecutions()
            }
            if await timers.loadedUntil <= clock.now().adding(seconds: Self.timerHorizonSeconds / 2) { await loadNearTimers() }
            await fireDueTimers()
            // Until the earliest timer, or a second when none is sooner (the rescans and the
            // horizon above are looked at then); a timer scheduled sooner rings the timers'
            // bell. The loop looked every 20 ms before: 50 wake-ups a second, idle or not.
            let next = await timers.sleep(cap: clock.now().adding(milliseconds: Self.timerIdleMillis))
            await timers.bell.wait(until: next, on: clock)
        }
    }

    /// The longest the timer loop sleeps when no timer is due sooner.
    static let timerIdleMillis: Int64 = 1_000

    /// How often running executions are checked against the maximum duration.
    static let maximumDurationSweepSeconds: Int64 = 3600

    /// Times out the runs that outlived AWS's maximum duration of a Standard execution (one
    /// year). A sweep, not a timer per run: a run far from its limit costs no row for it, and
    /// an hour late on a year is inside what AWS promises.
    package func timeOutOverdueExecutions() async {
        let cutoff = clock.now().milliseconds - limits.maximumDurationSeconds * 1000
        var previous: [String] = []
        while true {
            let arns: [String]
            do { arns = try await journal.runningExecutions(startedBy: cutoff, limit: 500) } catch {
                logger.error("the maximum-duration sweep could not read the journal", metadata: ["error": "\(error)"])
                return
            }
            // A page that did not move (a run that could not be timed out) waits for the next sweep.
            guard !arns.isEmpty, arns != previous else { return }
            for arn in arns where owns(arn) { await deliverLogged(arn, [.maximumDurationReached], "the maximum duration") }
            if arns.count < 500 { return }
            previous = arns
        }
    }

    /// Fires every timer due now; each becomes a step of its execution.
    package func fireDueTimers() async {
        if await timers.loadedUntil < clock.now() { await loadNearTimers() }
        // A timer of a partition this node lost is its new owner's to fire.
        let due = await timers.takeDue(now: clock.now()).filter { owns($0.executionArn) }
        guard !due.isEmpty else { return }
        if MetricHandles.enabled {
            // How late each timer fires after its due time.
            let now = clock.now().milliseconds, lag = MetricHandles.shared.timer("baton_timer_lag_seconds")
            for e in due { lag.recordMilliseconds(max(0, now - e.due.milliseconds)) }
        }
        await withTaskGroup(of: Void.self) { group in
            for e in due {
                group.addTask { await self.deliverLogged(e.executionArn, [.timerFired(TimerID(e.timerId))], "a due timer") }
            }
        }
    }

    /// The history retention sweep: deletes finished executions that stopped more than
    /// `retentionDays` ago (AWS keeps a closed execution's history for 90 days), with their
    /// events, a page at a time; never a running one. Returns how many it deleted.
    package func sweepHistory(retentionDays: Int, pageSize: Int = 500) async -> Int {
        let cutoff = clock.now().adding(seconds: -Int64(retentionDays) * 86_400).milliseconds
        var total = 0
        while !Task.isCancelled {
            let n: Int
            do { n = try await journal.deleteFinishedExecutions(stoppedBefore: cutoff, limit: pageSize) } catch {
                logger.error("the history retention sweep failed", metadata: ["error": "\(error)"])
                break
            }
            total += n
            if n < pageSize { break }
        }
        if total > 0 { logger.info("history retention", metadata: ["deleted_executions": "\(total)", "retention_days": "\(retentionDays)"]) }
        return total
    }

    /// Waits until no dispatched task and no step is in flight.
    package func settle() async { await tracker.idle() }

    /// Tasks being performed and steps being committed, now (what a shutdown drains).
    package func inFlightWork() async -> Int { await tracker.count }

    /// Resumes after a restart: re-arms every durable timer and re-dispatches every effect not
    /// yet confirmed. Running executions need nothing else: their state is in their rows.
    @discardableResult
    package func recover() async throws(EngineError) -> Recovery {
        do {
            var recovery = Recovery()
            await loadNearTimers()
            // Express executions are not resumed (AWS's at-most-once semantics): one that a
            // crash interrupted has a RUNNING row without a snapshot and is marked failed.
            for r in try await journal.executions(status: .running) {
                // In a cluster an Express run belongs to the node that runs it in memory, which may be alive.
                guard r.snapshot == nil, routerBox.value == nil else {
                    recovery.running += 1
                    continue
                }
                recovery.expressFailed += 1
                try await failExpress(r, cause: "The engine restarted while this Express execution ran.")
            }
            recovery.redispatched = try await dispatchOutbox()
            return recovery
        } catch {
            throw .internalFailure("recovery failed: \(error)")
        }
    }

    /// Ends an Express execution whose run was lost (its process stopped): FAILED, as AWS's
    /// at-most-once Express semantics have it, never resumed.
    func failExpress(_ r: ExecutionRecord, cause: String) async throws(JournalError) {
        var row = r
        row.status = .failed
        row.error = StatesError.runtime
        row.cause = cause
        row.stopMillis = clock.now().milliseconds
        try await journal.append(JournalBatch(execution: row, expectedVersion: r.lastEventId))
    }

    /// A cluster's node: fails the Express executions of stopped nodes that fall in this node's
    /// partitions (each is failed once, by its partition's owner); returns how many.
    package func failOrphanedExpress(_ rows: [ExecutionRecord]) async -> Int {
        var failed = 0
        for r in rows where owns(r.arn) {
            do {
                try await failExpress(r, cause: "The node running this Express execution stopped.")
                failed += 1
            } catch {
                // Another node's step got there first, or the partition changed hands: the next heartbeat looks again.
                logger.warning("an orphaned Express execution was not failed", metadata: ["execution": "\(r.arn)", "error": "\(error)"])
            }
        }
        if failed > 0 { logger.info("Express executions of stopped nodes failed", metadata: ["count": "\(failed)"]) }
        return failed
    }

    /// Dispatches every outbox row not being performed now; returns how many.
    @discardableResult
    func dispatchOutbox() async throws(JournalError) -> Int {
        var count = 0
        for o in try await journal.outbox() where owns(o.executionArn) {
            guard await !inFlight.contains(o.key) else { continue }
            guard let inv = try? JSONDecoder().decode(TaskInvocation.self, from: Data(o.payload.utf8)) else {
                logger.error("an outbox row cannot be decoded; it stays for inspection", metadata: ["execution": "\(o.executionArn)", "key": "\(o.key)"])
                continue
            }
            await tracker.begin()
            workSink.yield(.invoke(arn: o.executionArn, inv))
            count += 1
        }
        return count
    }

    /// The periodic pass over the outbox (driven by the engine's clock).
    package func rescanOutbox() async {
        do { try await dispatchOutbox() } catch {
            logger.error("the outbox rescan failed; the next one retries", metadata: ["error": "\(error)"])
        }
    }

    /// A step whose failure has no caller to tell: logged, and left to the outbox rescan.
    func deliverLogged(_ arn: String, _ kinds: [Trigger.Kind], _ what: String) async {
        do { _ = try await deliver(arn, kinds) } catch {
            logger.error("a step failed to commit", metadata: ["execution": "\(arn)", "cause": "\(what)", "error": "\(error)"])
        }
    }

    // MARK: executions

    /// Validates and stores a definition; returns its id.
    package func saveDefinition(stateMachineArn: String, definition: String) async throws(EngineError) -> Int64 {
        let (machine, diagnostics) = DefinitionCheck.validate(definition)
        guard machine != nil else {
            throw .invalidDefinition(diagnostics.filter { $0.severity == .error }.map(\.description).joined(separator: "; "))
        }
        do {
            return try await journal.saveDefinition(stateMachineArn: stateMachineArn, definition: definition)
        } catch {
            throw .internalFailure("\(error)")
        }
    }

    func interpreter(_ id: Int64) async throws(EngineError) -> Interpreter {
        if let i = await definitions.get(id) { return i }
        let text: String?
        do { text = try await journal.definition(id: id) } catch { throw .internalFailure("\(error)") }
        guard let text, let machine = try? DefinitionCheck.parse(text) else { throw .internalFailure("definition \(id) is missing") }
        var i = Interpreter(machine: machine)
        i.maximumPayloadBytes = limits.maximumPayloadBytes
        i.maximumHistoryEvents = limits.maximumHistoryEvents
        i.mapRunsAsExecutions = registry.handler(for: Interpreter.mapRunResource) != nil
        await definitions.put(id, i)
        return i
    }

    /// Starts an execution; returns once its first step is committed.
    package func startExecution(stateMachineArn: String, definitionId: Int64, name: String, input: String,
                                roleArn: String = "arn:aws:iam::000000000000:role/baton", qualifiedArn: String? = nil,
                                parsedInput: JSON? = nil, traceHeader: String? = nil, testCase: String? = nil,
                                attachments: [StepAttachment] = [])
        async throws(EngineError) -> ExecutionRecord
    {
        let inputValue: JSON
        if let parsedInput {
            inputValue = parsedInput
        } else {
            do { inputValue = try JSONParser.parse(input) } catch { throw .invalidExecutionInput("Invalid State Machine Execution Input: '\(error)'") }
        }
        guard input.utf8.count <= limits.maximumPayloadBytes else {
            throw .invalidExecutionInput("The input exceeds the maximum size of \(limits.maximumPayloadBytes) bytes.")
        }
        let interpreter = try await interpreter(definitionId)
        let now = clock.now()
        let arn = Self.executionArn(stateMachineArn: stateMachineArn, name: name)
        if let (router, p) = remote(arn), testCase == nil {
            return try await forwardStart(router, partition: p, stateMachineArn: stateMachineArn, definitionId: definitionId, name: name,
                                          input: input, roleArn: roleArn, qualifiedArn: qualifiedArn, traceHeader: traceHeader)
        }
        let smName = Self.stateMachineName(stateMachineArn)
        var context = ExecutionContext(executionArn: arn, name: name, roleArn: roleArn, stateMachineArn: stateMachineArn,
                                       stateMachineName: smName, startTime: now, traceHeader: traceHeader)
        context.testCase = testCase
        var record = ExecutionRecord(arn: arn, stateMachineArn: stateMachineArn, definitionId: definitionId, name: name,
                                     status: .running, input: input, startMillis: now.milliseconds, qualifiedArn: qualifiedArn)
        record.traceHeader = traceHeader
        let partition = partition(for: arn)
        let row = try await step { () throws(EngineError) in
            let result = try await partition.start(record, input: inputValue, context: context, interpreter: interpreter,
                                                   attachments: attachments)
            // Before the step's effects are performed: a run that ends in its first step logs its end after this.
            var metadata: Logger.Metadata = ["execution": "\(arn)"]
            if let traceHeader { metadata["trace"] = "\(traceHeader)" }
            self.logger.info("execution started", metadata: metadata)
            // Announced before the step's effects, so a run that ends in its first step is heard starting first.
            var running = result.record
            running.status = .running
            running.stopMillis = nil
            running.output = nil
            running.error = nil
            running.cause = nil
            await self.announce(running)
            return result
        }
        return row ?? record
    }

    /// Runs one step, then performs its effects; the work tracker sees it in flight throughout.
    private func step(_ body: () async throws(EngineError) -> StepResult?) async throws(EngineError) -> ExecutionRecord? {
        await tracker.begin()
        let result: StepResult?
        do {
            result = try await body()
        } catch {
            await tracker.end()
            throw error
        }
        if let result { await performEffects(result) }
        await tracker.end()
        return result?.record
    }

    /// `kind` is `execution`, or `express` for an Express run's ARN.
    package static func executionArn(stateMachineArn: String, name: String, kind: Substring = "execution") -> String {
        // By hand: Foundation's replacingOccurrences and range(of:) were 3 % of a routed event's CPU,
        // and splitting into fields 2 % of an Express run's.
        // The resource type is the sixth field: arn:partition:states:region:account:stateMachine:NAME.
        var out = ""
        out.reserveCapacity(stateMachineArn.utf8.count + name.utf8.count + 8)
        if let type = ARN.field(5, of: stateMachineArn), type == "stateMachine", ARN.field(6, of: stateMachineArn) != nil {
            out += stateMachineArn[..<type.startIndex]
            out += kind
            out += stateMachineArn[type.endIndex...]
        } else {
            out += stateMachineArn
        }
        out += ":"
        out += name
        return out
    }

    /// A state machine's name from its ARN (`…:stateMachine:NAME`, a version's or alias's
    /// qualifier after it dropped).
    package static func stateMachineName(_ arn: String) -> String {
        ARN.field(6, of: arn).map(String.init) ?? ""
    }

    /// Applies triggers to an execution as one committed step, then performs its effects.
    /// `attachments` (a service's own writes) commit with the step, and are dropped when no
    /// step is taken (nil: the execution is not running).
    @discardableResult
    package func deliver(_ arn: String, _ kinds: [Trigger.Kind], attachments: [StepAttachment] = [], traceHeader: String? = nil)
        async throws(EngineError) -> ExecutionRecord?
    {
        if let (router, p) = remote(arn) {
            return try await forwardDeliver(router, partition: p, arn: arn, kinds, attachments: attachments, traceHeader: traceHeader)
        }
        let partition = partition(for: arn)
        return try await step { () throws(EngineError) in
            try await partition.deliver(arn, kinds, attachments: attachments, traceHeader: traceHeader) { (id) throws(EngineError) in
                try await self.interpreter(id)
            }
        }
    }

    /// Performs a committed step's effects.
    private func performEffects(_ r: StepResult) async {
        let arn = r.record.arn
        StepMetrics.record(r.record, events: r.events)
        if Spans.enabled { spans.committed(r.record, r.events) }
        await committed(r.record, r.events)
        await historyWatchers.committed(arn)
        if !r.closedTokens.isEmpty { await activities.closed(r.closedTokens) }
        for effect in r.effects {
            switch effect {
            case .invokeTask(let inv):
                if let activity = r.state.activityArn(of: inv.id), mocked(inv) == nil {
                    let task = r.activityTasks.first { $0.taskId == inv.id.rawValue }
                    if let reservation = r.reservations[inv.id] {
                        if let task {
                            await activities.fulfil(reservation, task)
                            continue
                        }
                        await activities.release(reservation)
                    }
                    await activities.scheduled(activity, task)
                    if let router = routerBox.value { await router.announce(activity: activity) }
                } else if r.state.pendingTasks.contains(inv.id) {
                    await tracker.begin()
                    workSink.yield(.invoke(arn: arn, inv))
                }
            case .startTimer(let id, let due):
                // Due already: fire now. Far deadlines stay on disk; the horizon scan brings them in.
                guard r.state.pendingTimers.contains(id) else { break }
                let now = clock.now()
                if due <= now {
                    await tracker.begin()
                    workSink.yield(.fire(arn: arn, id))
                } else if due <= now.adding(seconds: Self.timerHorizonSeconds) {
                    if await timers.schedule(arn, id.rawValue, due: due) { await timers.bell.ring() }
                }
            case .cancelTimer(let id):
                await timers.cancel(arn, id.rawValue)
            case .cancelTask:
                break
            case .executionFinished(let status):
                var metadata: Logger.Metadata = ["execution": "\(arn)", "status": "\(status.rawValue)"]
                if let e = r.state.failure?.error { metadata["error"] = "\(e)" }
                logger.info("execution finished", metadata: metadata)
                await announce(r.record)
                await timers.cancelAll(arn)
                await completions.finished(arn)
            }
        }
    }

    /// Calls the task's handler and feeds its outcome back as a step.
    private func perform(_ arn: String, _ inv: TaskInvocation) async {
        let key = StepBatchBuilder.outboxKey(arn, inv.id)
        // Already being performed (a rescan raced a slow handler): once is enough.
        guard await inFlight.insert(key) else { return }
        await performOnce(arn, inv)
        await inFlight.remove(key)
    }

    private func performOnce(_ arn: String, _ inv: TaskInvocation) async {
        if let mocked = self.mocked(inv) {
            await deliverLogged(arn, [.taskStarted(inv.id), taskOutcome(inv.id, mocked)].compactMap { $0 }, "the mocked outcome of \(inv.stateName)")
            return
        }
        guard let handler = registry.handler(for: inv.resource) else {
            await deliverLogged(arn, [.taskStarted(inv.id), taskOutcome(inv.id, LocalRunner.unknownResource(inv))].compactMap { $0 }, "an unknown resource")
            return
        }
        // Traced: the task is a span of its own, and what it calls sees that span as its parent.
        var inv = inv
        var taskSpan: (traceId: TraceId, id: SpanId, parent: SpanId?, start: Int64)?
        if Spans.enabled, case let (traceId, _, true) = ExecutionSpans.trace(arn: arn, header: inv.traceHeader) {
            let id = Spans.newSpanId()
            taskSpan = (traceId, id, spans.stateSpan(arn: arn, state: inv.stateName), Spans.nowNanos())
            inv.traceHeader = TraceContext(traceId: traceId, parentId: id, sampled: true).xray
        }
        defer {
            if let taskSpan { Self.emitTaskSpan(taskSpan, inv, arn: arn) }
        }
        // A quick handler's TaskStarted commits with its outcome, in one step; a slow one's is
        // recorded on its own once it has run for a moment, so the history shows it running.
        let invocation = inv
        let outcome: TaskOutcome = await withTaskGroup(of: TaskOutcome?.self) { group in
            group.addTask {
                // A transactional handler whose write could not ride with the step makes it now, on its own.
                if !self.attachesServiceWrites, let alone = handler as? any TransactionalTaskHandler {
                    return await alone.invokeAlone(invocation)
                }
                return await handler.invoke(invocation)
            }
            group.addTask {
                try? await self.clock.sleep(until: self.clock.now().adding(milliseconds: 25))
                return nil
            }
            while let next = await group.next() {
                if let done = next {
                    group.cancelAll()
                    return done
                }
                await deliverLogged(arn, [.taskStarted(inv.id)], "TaskStarted of \(inv.resource)")
            }
            return .pending
        }
        await deliverLogged(arn, [.taskStarted(inv.id), taskOutcome(inv.id, outcome)].compactMap { $0 }, "the outcome of \(inv.resource)")
    }

    static func emitTaskSpan(_ span: (traceId: TraceId, id: SpanId, parent: SpanId?, start: Int64), _ inv: TaskInvocation, arn: String) {
        Spans.emit(SpanRecord(traceId: span.traceId, spanId: span.id, parentSpanId: span.parent, name: "task \(inv.resource)", kind: .client,
                              startNanos: span.start, endNanos: Spans.nowNanos(),
                              attributes: [("aws.step_functions.resource", .string(inv.resource)), ("aws.step_functions.state_name", .string(inv.stateName)),
                                           ("aws.step_functions.execution_arn", .string(arn))]))
    }

    private func taskOutcome(_ id: TaskID, _ outcome: TaskOutcome) -> Trigger.Kind? {
        switch outcome {
        case .succeeded(let v): return .taskSucceeded(id, output: v)
        case .failed(let e): return .taskFailed(id, e)
        case .pending: return nil
        }
    }

    // MARK: queries

    package func describe(_ arn: String) async throws(EngineError) -> ExecutionRecord {
        let r: ExecutionRecord?
        do { r = try await journal.execution(arn: arn) } catch { throw .internalFailure("\(error)") }
        guard let r else { throw .executionDoesNotExist(arn) }
        return r
    }

    package func history(_ arn: String) async throws(EngineError) -> [HistoryEvent] {
        _ = try await describe(arn)
        do { return try await journal.history(arn: arn) } catch { throw .internalFailure("\(error)") }
    }

    /// Waits until the execution is no longer RUNNING and returns its row.
    package func waitForCompletion(_ arn: String) async throws(EngineError) -> ExecutionRecord {
        let id = await completions.register(arn)
        let r = try await describe(arn)
        if r.status != .running {
            await completions.cancel(arn, id)
            return r
        }
        await completions.wait(id)
        return try await describe(arn)
    }

    package func stopExecution(_ arn: String, error: String?, cause: String?) async throws(EngineError) -> ExecutionRecord {
        let r = try await describe(arn)
        guard r.status == .running else { return r }
        if let updated = try await deliver(arn, [.stop(error: error, cause: cause)]) { return updated }
        return try await describe(arn)
    }

    /// RedriveExecution: a FAILED, TIMED_OUT or ABORTED Standard execution starts again at the
    /// top-level state it was in when it ended, with that state's input; its history goes on
    /// with an ExecutionRedriven event.
    package func redriveExecution(_ arn: String, roleArn: String, attachments: [StepAttachment] = []) async throws(EngineError) -> ExecutionRecord {
        let record = try await describe(arn)
        if let (router, partition) = remote(arn) {
            // Applied by the owner of the run's partition, as a start or a task's answer is.
            try Self.check(try await router.forward(partition: partition, ["op": "redrive", "arn": .string(arn), "roleArn": .string(roleArn)]))
            return try await describe(arn)
        }
        guard [.failed, .timedOut, .aborted].contains(record.status), !arn.contains(":express:") else {
            throw EngineError("ExecutionNotRedrivable", "Execution with ARN \(arn) cannot be redriven because it is \(record.status.rawValue).")
        }
        let interpreter = try await interpreter(record.definitionId)
        let events = try await history(arn)
        let topLevel = Set(interpreter.definition.states.map(\.name))
        guard let entered = events.last(where: { $0.type.hasSuffix("StateEntered") && topLevel.contains($0.details["name"]?.stringValue ?? "") }),
              let stateName = entered.details["name"]?.stringValue, let stateInput = entered.details["input"],
              let input = try? JSONParser.parse(record.input)
        else {
            throw EngineError("ExecutionNotRedrivable", "Execution with ARN \(arn) has no state to redrive from.")
        }
        let smName = Self.stateMachineName(record.stateMachineArn)
        var context = ExecutionContext(executionArn: arn, name: record.name, roleArn: roleArn, stateMachineArn: record.stateMachineArn,
                                       stateMachineName: smName, startTime: Timestamp(milliseconds: record.startMillis))
        context.redriveCount = events.filter { $0.type == "ExecutionRedriven" }.count
        var state = ExecutionState(context: context, input: input, seed: UInt64.random(in: 0...UInt64.max))
        state.status = record.status
        var row = record
        row.redriveCount += 1
        row.redriveMillis = clock.now().milliseconds
        let partition = partition(for: arn)
        let updated = try await step { () throws(EngineError) in
            try await partition.redrive(row, state: state, kind: .redrive(state: stateName, input: stateInput, lastEventId: record.lastEventId),
                                        interpreter: interpreter, attachments: attachments)
        }
        return updated ?? row
    }

    // MARK: task tokens

    /// A well-formed token: base64url, as the interpreter makes them, up to AWS's 2,048 characters
    /// (a token names its execution's ARN, so its length follows the ARN's).
    static func isWellFormed(_ token: String) -> Bool {
        (16...2048).contains(token.utf8.count)
            && token.utf8.allSatisfy { c in
                (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 95
            }
    }

    static let closedTask = "Task Timed Out: the task for this token has closed"

    func openTask(_ token: String) async throws(EngineError) -> TaskTokenRecord {
        guard Self.isWellFormed(token) else { throw .invalidToken("Invalid token") }
        let record: TaskTokenRecord?
        do { record = try await journal.token(token) } catch { throw .internalFailure("\(error)") }
        // AWS answers TaskTimedOut for a token whose task has closed (finished, timed out, stopped).
        guard let record else { throw .taskTimedOut(Self.closedTask) }
        return record
    }

    /// A callback by task token, applied as one step of the token's execution. A token that
    /// names its task (`TaskToken`) goes straight to its execution's partition, which checks it
    /// against the open task; one of the earlier form, or one for another node's partition, is
    /// looked up by its row first. Nil when the callback decided nothing (a heartbeat with no
    /// heartbeat timeout).
    func callback(_ token: String, traceHeader: String? = nil, _ kinds: (TaskID) -> [Trigger.Kind]) async throws(EngineError) -> ExecutionRecord? {
        if Self.isWellFormed(token), let named = TaskToken(token), remote(named.executionArn) == nil {
            let partition = partition(for: named.executionArn)
            let triggers = kinds(named.taskId)
            return try await step { () throws(EngineError) in
                try await partition.deliver(named.executionArn, triggers, traceHeader: traceHeader, token: (named.taskId, token)) {
                    (id) throws(EngineError) in try await self.interpreter(id)
                }
            }
        }
        let t = try await openTask(token)
        return try await deliver(t.executionArn, kinds(TaskID(t.taskId)), traceHeader: traceHeader)
    }

    package func sendTaskSuccess(token: String, output: String, traceHeader: String? = nil) async throws(EngineError) {
        let value: JSON
        do { value = try JSONParser.parse(output) } catch { throw EngineError("InvalidOutput", "Invalid output: \(error)") }
        let r = try await callback(token, traceHeader: traceHeader) { [.taskSucceeded($0, output: value)] }
        if r == nil { throw .taskTimedOut() }
    }

    package func sendTaskFailure(token: String, error: String?, cause: String?, traceHeader: String? = nil) async throws(EngineError) {
        let r = try await callback(token, traceHeader: traceHeader) { [.taskFailed($0, StatesError(error ?? "", cause))] }
        if r == nil { throw .taskTimedOut() }
    }

    package func sendTaskHeartbeat(token: String) async throws(EngineError) {
        _ = try await callback(token) { [.taskHeartbeat($0)] }
    }

    // MARK: activities

    /// The server is shutting down gracefully: parked GetActivityTask polls answer empty now,
    /// and later ones at once, instead of holding the endpoint's shutdown for up to a minute.
    package func endLongPolls() {
        let board = activities
        Task { await board.close() }
    }

    /// GetActivityTask: hands out one open task of the activity, or nil after `timeoutSeconds`
    /// (or when the caller is cancelled, or once `endLongPolls` has closed the board). A task
    /// this node scheduled is handed from memory to a waiting worker when its step commits;
    /// the journal is read only for tasks this node has not seen (after a start, or announced
    /// by another node).
    package func getActivityTask(activityArn: String, workerName: String?, timeoutSeconds: Int64 = 60) async throws(EngineError)
        -> (token: String, input: String)?
    {
        let deadline = clock.now().adding(seconds: timeoutSeconds)
        while true {
            var task = await activities.take(activityArn)
            if task == nil, let ticket = await activities.scanTicket(activityArn) {
                let open: [TaskTokenRecord]
                do { open = try await journal.tokens(activityArn: activityArn) } catch { throw .internalFailure("\(error)") }
                await activities.scanned(activityArn, open, ticket: ticket)
                continue
            }
            if task == nil {
                if clock.now() >= deadline || Task.isCancelled { return nil }
                if await activities.isClosed { return nil }
                let handOff = await activities.wait(activityArn, until: deadline, clock: clock, workerName: workerName)
                // Reserved by the step that scheduled it: started in that step already.
                if let handOff, handOff.started { return (handOff.task.token, handOff.task.input ?? "{}") }
                task = handOff?.task
            }
            guard let t = task else { continue }
            // In a cluster, workers polling other nodes see the same open tasks: the journal hands each out once.
            if let router = routerBox.value, await !router.claim(activityTask: t.token) { continue }
            // A task whose execution ended (stopped, timed out) before a worker came is skipped.
            guard try await deliver(t.executionArn, [.taskStarted(TaskID(t.taskId), workerName: workerName)]) != nil else { continue }
            return (t.token, t.input ?? "{}")
        }
    }
}

/// Interpreters by definition id, built once.
actor DefinitionCache {
    private var cache: [Int64: Interpreter] = [:]
    func get(_ id: Int64) -> Interpreter? { cache[id] }
    func put(_ id: Int64, _ i: Interpreter) { cache[id] = i }
}

