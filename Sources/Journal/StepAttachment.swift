/// A service's own write attached to an execution step: committed in the step's transaction or
/// not at all. A webhook delivery that resumes a run is recorded this way, so the delivery log
/// never says "applied" for a step that did not commit, nor misses one that did.
///
/// The store that makes an attachment knows which backend it writes to; the journal hands it
/// the transaction it is committing.
package struct StepAttachment: Sendable {
    /// Where the step is being committed.
    package enum Transaction {
        /// SQLite's writer connection, inside the step's savepoint.
        case sqlite(SQLiteConnection)
        /// The in-memory journal, under its lock, after the step's checks passed.
        case memory
        /// A database reached over the network (PostgreSQL): the attachment adds its
        /// statements, which the journal runs in the step's savepoint.
        case statements(SQLStatements)
    }

    /// A name for messages (the store it writes to).
    package let store: String
    let apply: @Sendable (Transaction) throws(JournalError) -> Void

    package init(store: String, _ apply: @escaping @Sendable (Transaction) throws(JournalError) -> Void) {
        self.store = store
        self.apply = apply
    }

    /// Runs the write; a write that does not fit the backend fails the step, never half-applies.
    package func apply(in transaction: Transaction) throws(JournalError) { try apply(transaction) }
}

/// Statements an attachment hands a networked journal to run in a step's savepoint (the
/// journal's connection is asynchronous; an attachment's closure is not).
package final class SQLStatements: @unchecked Sendable {
    // @unchecked Sendable: filled by the attachments of one step, on the committing task, then read by it.
    package enum Value: Sendable, Equatable {
        case text(String?)
        case integer(Int64?)
        case bytes([UInt8]?)
    }

    package private(set) var list: [(sql: String, values: [Value])] = []

    package init() {}

    /// A statement with `$1`, `$2`… placeholders for `values`.
    package func add(_ sql: String, _ values: [Value]) { list.append((sql, values)) }
}
