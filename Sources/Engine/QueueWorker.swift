import CoreMetrics
import Journal
import Logging
import StatesLanguage

/// What a consumer decides for one message.
package enum QueueOutcome: Sendable, Equatable {
    /// Done: the message is deleted.
    case done
    /// Try again later (with backoff), unless its receives or its age are used up.
    case retry(String)
    /// Give up now: the message goes to the dead-letter target.
    case deadLetter(String)
}

/// How long a message may live and how often it is tried: AWS's knobs (a function's
/// MaximumRetryAttempts and MaximumEventAgeInSeconds, a queue's maxReceiveCount).
package struct QueuePolicy: Sendable {
    package var maximumReceives: Int
    package var maximumAgeMillis: Int64?
    /// How long a received message stays hidden while it is being handled.
    package var visibilityMillis: Int64
    /// The delay before the next try after the `n`th receive failed.
    package var backoffMillis: @Sendable (Int) -> Int64

    package init(maximumReceives: Int, maximumAgeMillis: Int64? = nil, visibilityMillis: Int64 = 15 * 60_000,
                 backoffMillis: @escaping @Sendable (Int) -> Int64 = { n in min(60_000 * Int64(n), 300_000) }) {
        self.maximumReceives = maximumReceives
        self.maximumAgeMillis = maximumAgeMillis
        self.visibilityMillis = visibilityMillis
        self.backoffMillis = backoffMillis
    }
}

/// Handles a queue's messages; called at least once per message.
package protocol QueueConsumer: Sendable {
    func policy(for message: QueuedMessage) async -> QueuePolicy
    func handle(_ message: QueuedMessage) async -> QueueOutcome
    /// The message used up its tries (or was refused): record it where the consumer's
    /// dead-letter target is. Throwing leaves the message in the queue to be tried again.
    func deadLetter(_ message: QueuedMessage, reason: String) async throws
}

/// Drives one durable queue on the engine's clock: takes visible messages, handles them
/// concurrently (a message waiting for its retry never holds up the others), deletes what is
/// done, hides what failed until its backoff has passed, dead-letters what is used up. A
/// message a crash interrupted becomes visible again when its visibility timeout passes.
package final class QueueWorker: Sendable {
    package let queue: String
    let store: any DurableQueueStore
    let clock: any EngineClock
    let consumer: any QueueConsumer
    let concurrency: Int
    let logger: Logger
    private let bell = Doorbell()

    package init(queue: String, store: any DurableQueueStore, clock: any EngineClock, consumer: any QueueConsumer, concurrency: Int = 8,
                 logger: Logger = Logger(label: "baton.queue")) {
        self.queue = queue
        self.store = store
        self.clock = clock
        self.consumer = consumer
        self.concurrency = max(1, concurrency)
        self.logger = logger
    }

    /// A message was enqueued: look now rather than at the next due time.
    package func signal() {
        let bell = self.bell
        Task { await bell.ring() }
    }

    /// Runs until cancelled.
    package func run() async {
        // Nothing of this queue is in flight when its worker starts: what a crash interrupted goes again now.
        do { try await store.releaseReceived(queue: queue, now: clock.now().milliseconds) } catch {
            logger.error("the queue's interrupted messages cannot be released", metadata: ["queue": "\(queue)", "error": "\(error)"])
        }
        while !Task.isCancelled {
            await drain()
            let next = (try? await store.nextVisible(queue: queue)) ?? nil
            // Sleep until the next message is due (at most a minute), or until signalled.
            await bell.wait(forNext: next, on: clock)
        }
    }

    /// Handles every message visible now, up to `concurrency` at a time, and returns when they
    /// are settled (done, hidden for a retry, or dead-lettered). A sliding window: once half
    /// the window has settled it is refilled, so one slow message does not hold up the next
    /// batch, and receives stay batched (each is a commit).
    package func drain() async {
        // `baton_durable_queue_in_flight{queue}`: messages of this queue being handled now.
        let gauge = MetricHandles.enabled ? Gauge(label: "baton_durable_queue_in_flight", dimensions: [("queue", queue)]) : nil
        defer { gauge?.record(0) }
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            var exhausted = false
            while !Task.isCancelled {
                if !exhausted && inFlight <= concurrency / 2 {
                    let requested = concurrency - inFlight
                    let batch: [QueuedMessage]
                    do {
                        batch = try await store.receive(queue: queue, limit: requested, now: clock.now().milliseconds,
                                                        visibilityMillis: await visibility())
                    } catch {
                        logger.error("the queue cannot be read", metadata: ["queue": "\(queue)", "error": "\(error)"])
                        exhausted = true
                        continue
                    }
                    for m in batch { group.addTask { await self.settle(m) } }
                    inFlight += batch.count
                    // Fewer than asked for: nothing more is visible now. What settles from
                    // here on is awaited; new messages ring the bell and are taken on the next drain.
                    if batch.count < requested { exhausted = true }
                }
                gauge?.record(inFlight)
                if inFlight == 0 { return }
                await group.next()
                inFlight -= 1
                // A settled message may have been the last of a full batch: look again.
                if exhausted && inFlight == 0 { return }
            }
        }
    }

    /// The longest visibility any message needs (a policy is per message; the receive hides
    /// the batch once, and each message's own outcome then moves it).
    private func visibility() async -> Int64 { 15 * 60_000 }

    private func settle(_ m: QueuedMessage) async {
        let policy = await consumer.policy(for: m)
        let now = clock.now().milliseconds
        var verdict: QueueOutcome
        if let age = policy.maximumAgeMillis, now - m.enqueuedMillis > age {
            verdict = .deadLetter("EventAgeExceeded: the event is older than \(age / 1000) seconds")
        } else {
            verdict = await consumer.handle(m)
        }
        if case .retry(let reason) = verdict, m.receiveCount >= policy.maximumReceives {
            verdict = .deadLetter(reason)
        }
        do {
            switch verdict {
            case .done:
                try await store.delete(queue: queue, id: m.id)
            case .retry:
                try await store.changeVisibility(queue: queue, id: m.id, visibleAtMillis: clock.now().milliseconds + policy.backoffMillis(m.receiveCount))
            case .deadLetter(let reason):
                try await consumer.deadLetter(m, reason: reason)
                try await store.delete(queue: queue, id: m.id)
            }
        } catch {
            // Left hidden: it is tried again when its visibility timeout passes.
            logger.error("a queue message could not be settled", metadata: ["queue": "\(queue)", "id": "\(m.id)", "error": "\(error)"])
        }
    }
}
