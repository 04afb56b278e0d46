import Engine
import Foundation
import Journal
import JournalPostgres
import Logging
import StatesLanguage

/// A node of a cluster: nodes share one PostgreSQL journal, and each partition of executions
/// is owned by one node at a time through a lease with a fencing token (`PartitionLeases`).
///
/// The node renews its leases on a heartbeat, takes free and expired ones up to its fair
/// share (partitions ÷ live nodes, rounded up), gives up what exceeds it when nodes join, and
/// hands its engine the partitions it gains (their timers and outbox) and loses. A call for a
/// partition owned elsewhere becomes a request row for the owner (`PostgresJournal+Inbox`),
/// told by NOTIFY and answered the same way.
package final class ClusterNode: PartitionRouter, @unchecked Sendable {
    // @unchecked Sendable: every stored property is immutable or is itself thread-safe.
    package let journal: PostgresJournal
    package let fence: LeaseFence
    let engine: Engine
    let address: String
    let leaseMillis: Int64
    let logger: Logger
    /// When this process started (the engine's clock): Express runs this node began before are lost.
    let startedMillis: Int64
    private let replies = ReplyWaiters()
    private let applying = RequestSet()

    package init(journal: PostgresJournal, fence: LeaseFence, engine: Engine, address: String, leaseSeconds: Double, logger: Logger) {
        self.journal = journal
        self.fence = fence
        self.engine = engine
        self.address = address
        self.leaseMillis = Int64(leaseSeconds * 1000)
        self.logger = logger
        startedMillis = engine.clock.now().milliseconds
    }

    package func owns(_ partition: Int) -> Bool { fence.token(partition) != nil }

    /// How long a forwarded request waits for its answer before the caller is told to retry.
    static let replyTimeoutSeconds: Double = 30

    package func forward(partition: Int, _ request: JSON) async throws(EngineError) -> JSON {
        let id: Int64
        do { id = try await journal.request(partition: partition, request.serialized) } catch {
            throw .internalFailure("the request for partition \(partition) could not be stored: \(error)")
        }
        let deadline = Date().addingTimeInterval(Self.replyTimeoutSeconds)
        while Date() < deadline {
            // Registered before looking, so a notice between the look and the wait is not lost.
            let ticket = await replies.register(id)
            let answer: String?
            do { answer = try await journal.takeReply(id: id) } catch {
                await replies.cancel(id, ticket)
                throw .internalFailure("the answer to request \(id) could not be read: \(error)")
            }
            if let answer {
                await replies.cancel(id, ticket)
                guard let json = try? JSONParser.parse(answer) else { throw .internalFailure("request \(id) got an unreadable answer") }
                return json
            }
            // A notice wakes it; a missed one costs at most a second.
            await replies.wait(id, ticket, seconds: 1)
        }
        throw EngineError("ServiceUnavailable", "the node that owns partition \(partition) did not answer within \(Int(Self.replyTimeoutSeconds)) s; retry")
    }

    package func claim(activityTask token: String) async -> Bool {
        do { return try await journal.claimActivityTask(token: token) } catch {
            logger.error("an activity task could not be claimed", metadata: ["error": "\(error)"])
            return false
        }
    }

    package func announce(activity arn: String) async {
        do { try await journal.announce(activity: arn) } catch {
            logger.warning("an activity's notice was not sent; other nodes' polls find its task when they next look", metadata: ["error": "\(error)"])
        }
    }

    /// Wakes this node's long polls when any node schedules an activity task.
    package func listenForActivities() async {
        await journal.listen(.activities) { [engine] arn in await engine.activityAvailable(arn) }
    }

    /// Calls `changed` with the name of each function another node created, changed or deleted,
    /// and `missed` whenever it starts listening (notices sent before then were not heard).
    package func listenForFunctions(missed: @escaping @Sendable () async -> Void,
                                    _ changed: @escaping @Sendable (String) async -> Void) async {
        let me = fence.node
        await journal.listen(.functions, listening: missed) { payload in
            guard let bar = payload.firstIndex(of: "|"), payload[..<bar] != me else { return }
            await changed(String(payload[payload.index(after: bar)...]))
        }
    }

    // MARK: the node's loops

    /// Heartbeats and leases until cancelled; on the way out the node's leases are given up,
    /// so that the others take its partitions at once instead of after the lease runs out.
    package func keepLeases() async {
        let interval = Double(leaseMillis) / 3000
        while !Task.isCancelled {
            await beat()
            try? await Task.sleep(for: .seconds(interval))
        }
        let held = Array(fence.held.keys)
        fence.hold([:])
        await engine.drop(partitions: Set(held))
        try? await journal.releaseLeases(node: fence.node, partitions: held)
    }

    /// One heartbeat: renew, take or give up leases, tell the engine, and look for requests a
    /// missed notice left waiting.
    package func beat() async {
        do {
            let live = try await journal.heartbeat(node: fence.node, address: address, ttlMillis: leaseMillis)
            let share = (fence.partitions + max(1, live) - 1) / max(1, live)
            let before = fence.held
            var now = try await journal.renewLeases(node: fence.node, ttlMillis: leaseMillis, target: share)
            // More than the share (a node joined): give the rest up, highest partitions first.
            let surplus = Array(now.keys.sorted().dropFirst(share))
            for p in surplus { now[p] = nil }
            fence.hold(now)
            let gained = Set(now.keys).subtracting(before.keys)
            let lost = Set(before.keys).subtracting(now.keys)
            await engine.drop(partitions: lost)
            if !surplus.isEmpty { try await journal.releaseLeases(node: fence.node, partitions: surplus) }
            await engine.adopt(partitions: gained)
            await serve(partitions: Array(now.keys))
            // Express runs held in memory by a node that stopped (or by this one before a restart).
            let orphans = try await journal.orphanedExpress(node: fence.node, ttlMillis: leaseMillis, startedMillis: startedMillis)
            if !orphans.isEmpty { _ = await engine.failOrphanedExpress(orphans) }
        } catch {
            // Leases not renewed run out by the database's clock; the journal refuses what this
            // node then tries for them, whatever it believes.
            logger.error("the heartbeat failed", metadata: ["node": "\(fence.node)", "error": "\(error)"])
        }
    }

    /// Applies requests for partitions this node owns as their notices arrive.
    package func serveInbox() async {
        await journal.listen(.requests) { [self] payload in
            guard let p = Int(payload), owns(p) else { return }
            Task { await self.serve(partitions: [p]) }
        }
    }

    /// Wakes the callers waiting for answers as notices arrive.
    package func listenForReplies() async {
        await journal.listen(.replies) { [replies] payload in
            guard let id = Int64(payload) else { return }
            await replies.wake(id)
        }
    }

    /// Applies the open requests of `partitions`.
    func serve(partitions: [Int]) async {
        guard !partitions.isEmpty else { return }
        let open: [(id: Int64, partition: Int, request: String)]
        do { open = try await journal.requests(partitions: partitions) } catch {
            logger.error("the inbox could not be read", metadata: ["error": "\(error)"])
            return
        }
        await withTaskGroup(of: Void.self) { group in
            for r in open where owns(r.partition) {
                group.addTask { await self.apply(r.id, r.request) }
            }
        }
    }

    private func apply(_ id: Int64, _ text: String) async {
        guard await applying.insert(id) else { return }
        await applyOnce(id, text)
        await applying.remove(id)
    }

    private func applyOnce(_ id: Int64, _ text: String) async {
        guard let request = try? JSONParser.parse(text) else {
            try? await journal.reply(id: id, #"{"error":"InternalFailure","message":"an unreadable request"}"#)
            return
        }
        let journal = self.journal
        let answer = await engine.applyRequest(request) { reply in journal.replyStatement(id: id, reply.serialized) }
        guard let answer else { return }
        do { try await journal.reply(id: id, answer.serialized) } catch {
            logger.error("a request could not be answered; its asker times out", metadata: ["request": "\(id)", "error": "\(error)"])
        }
    }
}
