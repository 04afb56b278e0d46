import Journal
import StatesInterpreter

/// The last committed row and decoded state of the executions a partition parked most recently
/// (a callback's run waits a few milliseconds for its worker's answer): the step that resumes
/// one takes them from here instead of reading the row and decoding its snapshot again.
///
/// Bounded, so that parked runs still cost disk and not memory: past `limit` entries the
/// oldest are forgotten (and read from the journal when they resume, as before). An entry is
/// taken, never read in place, so a step that fails leaves nothing stale behind; and a step
/// decided from an entry the journal has moved past (another node stepped the run after a
/// lease moved) is refused by the journal's version check and decided again from the journal.
struct ParkedRuns {
    static let limit = 64
    private var runs: [String: (record: ExecutionRecord, state: ExecutionState)] = [:]
    /// Arrival order, for forgetting the oldest (entries already taken are skipped).
    private var order: [String] = []

    var count: Int { runs.count }

    /// After a committed step: a running execution is remembered, an ended one forgotten.
    mutating func committed(_ record: ExecutionRecord, _ state: ExecutionState) {
        guard record.status == .running else {
            runs[record.arn] = nil
            return
        }
        if runs.updateValue((record, state), forKey: record.arn) == nil { order.append(record.arn) }
        while runs.count > Self.limit, !order.isEmpty {
            runs[order.removeFirst()] = nil
        }
        // Taken entries leave their names in `order`; keep it from growing past twice the bound.
        if order.count > 2 * Self.limit { order = order.filter { runs[$0] != nil } }
    }

    mutating func take(_ arn: String) -> (record: ExecutionRecord, state: ExecutionState)? {
        runs.removeValue(forKey: arn)
    }

    mutating func forget(_ arn: String) { runs[arn] = nil }
}

extension EngineError {
    /// A step decided from a remembered state the journal has moved past (never leaves the partition).
    static let staleMemo = EngineError("BatonStaleMemo", "the remembered state of the execution is stale")
}
