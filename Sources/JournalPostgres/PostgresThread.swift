import Dispatch
import Foundation
import Journal
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// A PostgreSQL connection held by a thread of its own, for the stores whose logic runs
/// synchronously inside a transaction (DynamoDB's conditional writes and their stream
/// records, Kinesis' appends): the same closures SQLite's writer runs, given an `SQLExecutor`.
/// Each statement blocks this thread until its answer arrives (never a task's thread, never
/// an event loop's). A lost connection is opened again for the next transaction.
package final class PostgresThread: @unchecked Sendable {
    // @unchecked Sendable: `connection` and `translated` are touched only on `queue`.
    private let queue: DispatchQueue
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private var connection: PostgresConnection?
    private var translated: [String: String] = [:]

    package init(journal: PostgresJournal, label: String) {
        queue = DispatchQueue(label: "baton.postgres.\(label)")
        configuration = journal.directConfiguration
        logger = journal.logger
        journal.threads.mutate { $0.append(Weak(self)) }
    }

    deinit {
        // Closed by the journal's close as a rule; else the close keeps the connection until it is done.
        if let c = connection { c.close().whenComplete { _ in _ = c } }
    }

    /// Runs `body` between BEGIN and COMMIT on this thread's connection; ROLLBACK when it throws
    /// (its error is rethrown as it was).
    /// A transaction PostgreSQL chose as a deadlock's victim (two writers locking the same
    /// items in different orders) runs again, up to three times.
    package func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) throws -> T) async throws -> T {
        try await onQueue { executor in
            var attempt = 0
            while true {
                attempt += 1
                executor.failure.retryable = false
                _ = try executor.run("BEGIN", [])
                do {
                    let value = try body(executor)
                    _ = try executor.run("COMMIT", [])
                    return value
                } catch {
                    _ = try? executor.run("ROLLBACK", [])
                    if executor.failure.retryable && attempt < 3 { continue }
                    throw error
                }
            }
        }
    }

    /// Runs `body` on this thread's connection, each statement its own transaction (reads).
    package func autocommit<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) throws -> T) async throws -> T {
        try await onQueue { executor in try body(executor) }
    }

    /// Closes the connection once the transactions queued before have run.
    package func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                try? self.connection?.close().wait()
                self.connection = nil
                continuation.resume()
            }
        }
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable (BlockingExecutor) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            queue.async {
                do {
                    let c = try self.open()
                    let executor = BlockingExecutor(connection: c, logger: self.logger, thread: self, failure: FailureNote())
                    continuation.resume(returning: try body(executor))
                } catch {
                    if self.connection?.isClosed ?? false { self.connection = nil }
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    private func open() throws -> PostgresConnection {
        if let c = connection, !c.isClosed { return c }
        do {
            let c = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 1,
                                                   logger: logger).wait()
            connection = c
            return c
        } catch {
            throw PostgresJournal.journalError(error, "cannot connect to PostgreSQL")
        }
    }

    /// `?1`, `?2`… as PostgreSQL's `$1`, `$2`… (only on this thread).
    fileprivate func dollars(_ sql: String) -> String {
        if let t = translated[sql] { return t }
        var out = ""
        out.reserveCapacity(sql.utf8.count)
        var previous: Character = " "
        for ch in sql {
            if previous == "?", ch.isNumber { out.removeLast(); out.append("$") }
            out.append(ch)
            previous = ch
        }
        translated[sql] = out
        return out
    }
}

/// The statements of one transaction on a `PostgresThread`.
struct BlockingExecutor: SQLExecutor {
    let connection: PostgresConnection
    let logger: Logger
    let thread: PostgresThread
    /// Whether the transaction failed in a way that running it again may cure.
    let failure: FailureNote

    var isPostgres: Bool { true }

    func query(_ sql: String, _ values: [SQLValue]) throws(JournalError) -> PostgresQueryResult {
        do {
            return try connection.query(PostgresJournal.query(thread.dollars(sql), values), logger: logger).wait()
        } catch {
            let e = PostgresJournal.journalError(error, "a statement")
            // deadlock_detected, serialization_failure.
            if e.code == .postgres("40P01") || e.code == .postgres("40001") { failure.retryable = true }
            throw e
        }
    }

    func rows(_ sql: String, _ values: [SQLValue]) throws(JournalError) -> [[SQLValue]] {
        let result = try query(sql, values)
        var out: [[SQLValue]] = []
        do {
            for row in result.rows {
                var values: [SQLValue] = []
                for cell in row {
                    guard cell.bytes != nil else {
                        values.append(.text(nil))
                        continue
                    }
                    switch cell.dataType {
                    case .int2, .int4, .int8: values.append(.integer(try cell.decode(Int64.self)))
                    case .bool: values.append(.integer(try cell.decode(Bool.self) ? 1 : 0))
                    case .bytea: values.append(.bytes(cell.bytes.map { Array($0.readableBytesView) }))
                    default: values.append(.text(try cell.decode(String.self)))
                    }
                }
                out.append(values)
            }
        } catch {
            throw PostgresJournal.journalError(error, "a row")
        }
        return out
    }

    @discardableResult
    func run(_ sql: String, _ values: [SQLValue]) throws(JournalError) -> Int {
        try query(sql, values).metadata.rows ?? 0
    }
}

/// A reference that does not keep its object alive (the journal's list of its threads).
struct Weak<T: AnyObject>: @unchecked Sendable {
    // @unchecked Sendable: holds only PostgresThread, which is Sendable.
    weak var value: T?
    init(_ value: T) { self.value = value }
}

/// The threads of a journal, under a lock.
final class LockedThreads: @unchecked Sendable {
    // @unchecked Sendable: `list` is guarded by `lock`.
    private let lock = NSLock()
    private var list: [Weak<PostgresThread>] = []

    func mutate(_ change: (inout [Weak<PostgresThread>]) -> Void) { lock.withLock { change(&list) } }

    var all: [PostgresThread] { lock.withLock { list.compactMap(\.value) } }
}

/// Set by a statement whose failure a new attempt of its transaction may cure (only on the thread's queue).
final class FailureNote: @unchecked Sendable {
    // @unchecked Sendable: read and written on one PostgresThread's queue only.
    var retryable = false
}
