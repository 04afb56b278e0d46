import Foundation
import Journal
import Logging
import PostgresNIO

/// One partition's lease: which node may commit steps of the partition's executions, until
/// when (the database's clock, in epoch milliseconds), and the fencing token the node got
/// when it took the lease. Every take raises the token, so a write that carries an older one
/// (a node paused past its lease) is refused even if that node still believes it owns it.
package struct PartitionLease: Sendable, Equatable {
    package var partition: Int
    package var owner: String
    package var token: Int64
    package var expiresMillis: Int64
}

/// What a node holds, as the journal checks it on every commit: the partition of each
/// execution (the engine's stable hash) and the token of each lease held.
package final class LeaseFence: @unchecked Sendable {
    // @unchecked Sendable: `tokens` is guarded by `lock`.
    package let node: String
    package let partitions: Int
    private let lock = NSLock()
    private var tokens: [Int: Int64] = [:]

    package init(node: String, partitions: Int) {
        self.node = node
        self.partitions = partitions
    }

    /// The engine's partition of an execution: FNV-1a of its ARN (stable across processes).
    package func partition(of arn: String) -> Int { Self.partition(of: arn, count: partitions) }

    package static func partition(of arn: String, count: Int) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in arn.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(h % UInt64(max(1, count)))
    }

    package func token(_ partition: Int) -> Int64? { lock.withLock { tokens[partition] } }
    package var held: [Int: Int64] { lock.withLock { tokens } }
    package func hold(_ leases: [Int: Int64]) { lock.withLock { tokens = leases } }
}

/// The leases' SQL. Time is the database's (`clock_timestamp()`), never a node's: nodes whose
/// clocks disagree still agree on when a lease ran out.
extension PostgresJournal {
    static let databaseNow = "(extract(epoch from clock_timestamp()) * 1000)::bigint"

    /// Makes the lease rows for `count` partitions if this is the first node; returns the
    /// cluster's partition count (the first node's: executions are hashed by it, so it never changes).
    package func preparePartitions(_ count: Int) async throws(JournalError) -> Int {
        let logger = self.logger
        return try await transaction("the partition leases") { c in
            try await c.query("SELECT pg_advisory_xact_lock(\(PostgresMigrations.lockKey))", logger: logger)
            let existing = try await Self.rows(c, "SELECT COUNT(*) FROM partition_leases", logger: logger) { try $0.decode(Int64.self) }.first ?? 0
            if existing > 0 { return Int(existing) }
            try await c.query("""
                INSERT INTO partition_leases (partition, owner, token, expires_ms) SELECT p, '', 0, 0 FROM generate_series(0, \(Int64(count - 1))) AS p
                """, logger: logger)
            return count
        }
    }

    /// One heartbeat of a node: renews the leases it holds, then takes free or expired ones
    /// until it holds `target` (its fair share). Returns every lease it holds afterwards, by
    /// partition, with its token.
    ///
    /// A renewal touches only the node's own rows and takes no partition lock: steps in flight
    /// never hold it up. A take is one partition per transaction, under the partition's lock
    /// taken exclusively: it waits for the previous owner's steps in flight (each holds the lock
    /// shared while it checks its lease), and holding one lock at a time it can wait for no
    /// one who waits for it.
    package func renewLeases(node: String, ttlMillis: Int64, target: Int) async throws(JournalError) -> [Int: Int64] {
        let now = Self.databaseNow
        var held: [Int: Int64] = [:]
        // Only leases still valid are renewed: one that ran out may already be another's.
        for (p, t) in try await all("""
            UPDATE partition_leases SET expires_ms = \(unescaped: now) + \(ttlMillis)
            WHERE owner = \(node) AND expires_ms > \(unescaped: now) RETURNING partition, token
            """, "the leases of \(node)", { try $0.decode((Int64, Int64).self) }) {
            held[Int(p)] = t
        }
        var wanted = target - held.count
        guard wanted > 0 else { return held }
        let free = try await all("SELECT partition FROM partition_leases WHERE expires_ms <= \(unescaped: now) ORDER BY partition",
                                 "free partitions") { Int(try $0.decode(Int64.self)) }
        let logger = self.logger
        for p in free where wanted > 0 {
            let token = try await transaction("taking partition \(p)") { c -> Int64? in
                try await c.query("SELECT pg_advisory_xact_lock(hashtext(current_schema()), \(Int32(p)))", logger: logger)
                return try await Self.rows(c, """
                    UPDATE partition_leases SET owner = \(node), token = token + 1, expires_ms = \(unescaped: now) + \(ttlMillis)
                    WHERE partition = \(Int64(p)) AND expires_ms <= \(unescaped: now) RETURNING token
                    """, logger: logger) { try $0.decode(Int64.self) }.first
            }
            // Another node may have taken it first: then it is not this one's.
            if let token {
                held[p] = token
                wanted -= 1
            }
        }
        return held
    }

    /// Gives leases up at once (a node stopping, or holding more than its share).
    package func releaseLeases(node: String, partitions: [Int]) async throws(JournalError) {
        guard !partitions.isEmpty else { return }
        try await run("UPDATE partition_leases SET expires_ms = 0 WHERE owner = \(node) AND partition = ANY(\(partitions.map(Int64.init)))",
                      "releasing leases of \(node)")
    }

    /// Every lease, by partition (`baton cluster status`).
    package func leases() async throws(JournalError) -> [PartitionLease] {
        try await all("SELECT partition, owner, token, expires_ms FROM partition_leases ORDER BY partition", "the leases") { row in
            let (p, owner, token, expires) = try row.decode((Int64, String, Int64, Int64).self)
            return PartitionLease(partition: Int(p), owner: owner, token: token, expiresMillis: expires)
        }
    }

    /// Records that a node is alive (and where it answers); returns how many nodes are.
    package func heartbeat(node: String, address: String, ttlMillis: Int64) async throws(JournalError) -> Int {
        let now = Self.databaseNow
        try await run("""
            INSERT INTO cluster_nodes (node, address, seen_ms) VALUES (\(node), \(address), \(unescaped: now))
            ON CONFLICT (node) DO UPDATE SET address = EXCLUDED.address, seen_ms = EXCLUDED.seen_ms
            """, "the heartbeat of \(node)")
        return try await all("SELECT COUNT(*) FROM cluster_nodes WHERE seen_ms > \(unescaped: now) - \(ttlMillis)", "the live nodes") {
            Int(try $0.decode(Int64.self))
        }.first ?? 1
    }

    /// Every node that ever heartbeat here: its name, address, and when it was last seen (database clock, ms).
    package func nodes() async throws(JournalError) -> [(node: String, address: String, seenMillis: Int64)] {
        try await all("SELECT node, address, seen_ms FROM cluster_nodes ORDER BY node", "the nodes") { row in
            let (n, a, s) = try row.decode((String, String, Int64).self)
            return (node: n, address: a, seenMillis: s)
        }
    }

    /// The database's clock now, in epoch milliseconds.
    package func databaseMillis() async throws(JournalError) -> Int64 {
        try await all("SELECT \(unescaped: Self.databaseNow)", "the database's clock") { try $0.decode(Int64.self) }.first ?? 0
    }
}

extension PostgresJournal {
    /// Express executions still RUNNING whose node no longer runs them: a node whose heartbeat
    /// is older than `ttlMillis`, or `node` itself for runs it began before `startedMillis`
    /// (before its restart). Their rows are failed by the owner of their partition.
    package func orphanedExpress(node: String, ttlMillis: Int64, startedMillis: Int64, limit: Int = 500) async throws(JournalError) -> [ExecutionRecord] {
        let now = Self.databaseNow
        return try await all("""
            SELECT \(unescaped: Self.executionColumns) FROM executions e
            WHERE status = 'RUNNING' AND snapshot IS NULL AND runner IS NOT NULL
            AND ((runner = \(node) AND start_ms < \(startedMillis))
                 OR (runner <> \(node) AND NOT EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.node = e.runner AND n.seen_ms > \(unescaped: now) - \(ttlMillis))))
            ORDER BY start_ms LIMIT \(Int64(limit))
            """, "the orphaned Express executions", Self.executionRecord)
    }
}
