import Foundation
import StatesLanguage

/// The execution rows the writer committed last, kept so that DescribeExecution (which every
/// client waiting on a run polls) and a step's fallback read skip the reader connection.
///
/// Correctness rests on who fills it. Only the writer does, after its COMMIT and before it
/// answers the group's writes, one group at a time in commit order: an entry is never older than
/// its row, and a write's caller finds its own row the moment it is answered. A row the writer
/// changes any other way (the retention sweep's delete) is forgotten before that change commits.
/// A read that misses goes to the database and leaves the cache alone, so no read can put back a
/// row older than one committed since.
///
/// It is bounded twice: a row larger than `rowLimit` bytes (input, output and state together)
/// is not kept, and past `limit` rows or `byteLimit` bytes the cache starts over.
final class CommittedExecutions: @unchecked Sendable {
    // @unchecked Sendable: `rows` and `bytes` are guarded by `lock`.
    private let lock = NSLock()
    private var rows: [String: (record: ExecutionRecord, bytes: Int)] = [:]
    private var bytes = 0
    let limit: Int
    let byteLimit: Int
    let rowLimit: Int

    init(limit: Int = 4096, byteLimit: Int = 16 << 20, rowLimit: Int = 64 << 10) {
        self.limit = limit
        self.byteLimit = byteLimit
        self.rowLimit = rowLimit
    }

    func lookup(_ arn: String) -> ExecutionRecord? {
        lock.lock()
        defer { lock.unlock() }
        return rows[arn]?.record
    }

    /// After a COMMIT, the committed steps' batches in the order they ran. A step that created
    /// its execution wrote the whole row; a later step wrote only the columns a step changes
    /// (`writeExecution`'s UPDATE), so it refreshes a kept row and cannot start one.
    func committed(_ batches: [JournalBatch]) {
        guard !batches.isEmpty else { return }
        lock.lock()
        defer { lock.unlock() }
        for b in batches {
            let e = b.execution
            let row: ExecutionRecord
            if b.expectedVersion == nil {
                row = e
            } else {
                guard let kept = rows[e.arn]?.record else { continue }
                row = e.written(over: kept)
            }
            // The older row goes either way: it is no longer the row.
            remove(e.arn)
            guard let size = size(of: row) else { continue }
            if rows.count >= limit || bytes + size > byteLimit {
                rows.removeAll(keepingCapacity: true)
                bytes = 0
            }
            rows[e.arn] = (row, size)
            bytes += size
        }
    }

    /// Before a write other than a step's changes these rows.
    func forget(_ arns: [String]) {
        lock.lock()
        defer { lock.unlock() }
        for arn in arns { remove(arn) }
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return rows.count
    }

    private func remove(_ arn: String) {
        if let old = rows.removeValue(forKey: arn) { bytes -= old.bytes }
    }

    /// The row's payload bytes, or nil when it is over `rowLimit`. An output kept as a value is
    /// measured against the limit by its bound first, never serialized here.
    private func size(of row: ExecutionRecord) -> Int? {
        var size = row.input.utf8.count + (row.snapshot?.count ?? 0) + (row.error?.utf8.count ?? 0) + (row.cause?.utf8.count ?? 0)
        guard size <= rowLimit else { return nil }
        if let value = row.outputValue {
            guard value.serializes(within: rowLimit - size, memo: ByteCountMemo()) else { return nil }
            size += rowLimit / 16  // an estimate: the exact size would cost the serialization
        } else if let text = row.output {
            size += text.utf8.count
        }
        return size <= rowLimit ? size : nil
    }
}
