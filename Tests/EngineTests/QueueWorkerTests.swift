import Engine
import Journal
import StatesLanguage
import Testing

/// The queue worker on a manual clock: retries with backoff, dead letters, age, and no message
/// holding up the others.
@Suite struct QueueWorkerTests {
    /// Fails the messages whose body is "bad"; records what it saw and what it dead-lettered.
    actor Consumer: QueueConsumer {
        var handled: [String] = []
        var dead: [(String, String)] = []
        let policy: QueuePolicy

        init(_ policy: QueuePolicy) { self.policy = policy }

        func policy(for message: QueuedMessage) -> QueuePolicy { policy }

        func handle(_ m: QueuedMessage) -> QueueOutcome {
            handled.append(m.id)
            return String(decoding: m.body, as: UTF8.self) == "bad" ? .retry("it failed") : .done
        }

        func deadLetter(_ m: QueuedMessage, reason: String) { dead.append((m.id, reason)) }
    }

    static func message(_ id: String, _ body: String, at t: Int64) -> QueuedMessage {
        QueuedMessage(queue: "q", id: id, body: Array(body.utf8), enqueuedMillis: t, visibleAtMillis: t)
    }

    @Test func aFailingMessageRetriesWithBackoffWithoutHoldingUpTheOthers() async throws {
        let clock = ManualEngineClock()
        let store = InMemoryQueueStore()
        let consumer = Consumer(QueuePolicy(maximumReceives: 3, backoffMillis: { n in Int64(n) * 1_000 }))
        let worker = QueueWorker(queue: "q", store: store, clock: clock, consumer: consumer)
        let t0 = clock.now().milliseconds
        try await store.enqueue(Self.message("1-bad", "bad", at: t0))
        try await store.enqueue(Self.message("2-ok", "ok", at: t0))
        await worker.drain()
        // The good one is done at once; the bad one waits for its backoff.
        #expect(await consumer.handled.sorted() == ["1-bad", "2-ok"])
        #expect(try await store.messages(queue: "q").map(\.id) == ["1-bad"])
        try await store.enqueue(Self.message("3-ok", "ok", at: clock.now().milliseconds))
        await worker.drain()
        #expect(await consumer.handled.filter { $0 == "3-ok" }.count == 1)
        #expect(await consumer.handled.filter { $0 == "1-bad" }.count == 1)
        clock.advance(seconds: 1)
        await worker.drain()
        #expect(await consumer.handled.filter { $0 == "1-bad" }.count == 2)
        // The second backoff is two seconds: nothing after one more.
        clock.advance(seconds: 1)
        await worker.drain()
        #expect(await consumer.handled.filter { $0 == "1-bad" }.count == 2)
        clock.advance(seconds: 1)
        await worker.drain()
        // Third receive, third failure: used up, dead-lettered with the last reason, deleted.
        #expect(await consumer.handled.filter { $0 == "1-bad" }.count == 3)
        let dead = await consumer.dead
        #expect(dead.map(\.0) == ["1-bad"] && dead.first?.1 == "it failed")
        #expect(try await store.messages(queue: "q").isEmpty)
    }

    /// Holds the message "0-slow" until released; reports every other message it handles.
    actor SlowConsumer: QueueConsumer {
        let handled: AsyncStream<String>
        private let report: AsyncStream<String>.Continuation
        private var release: CheckedContinuation<Void, Never>?
        private var released = false

        init() { (handled, report) = AsyncStream.makeStream(of: String.self) }

        func policy(for message: QueuedMessage) -> QueuePolicy { QueuePolicy(maximumReceives: 3) }

        func handle(_ m: QueuedMessage) async -> QueueOutcome {
            if m.id == "0-slow" && !released { await withCheckedContinuation { release = $0 } }
            report.yield(m.id)
            return .done
        }

        func letGo() {
            released = true
            release?.resume()
            release = nil
        }

        func deadLetter(_ m: QueuedMessage, reason: String) {}
    }

    @Test(.timeLimit(.minutes(1))) func aSlowMessageDoesNotHoldUpTheOnesReceivedWithIt() async throws {
        let clock = ManualEngineClock()
        let store = InMemoryQueueStore()
        let consumer = SlowConsumer()
        let worker = QueueWorker(queue: "q", store: store, clock: clock, consumer: consumer, concurrency: 2)
        for id in ["0-slow", "1-a", "2-b", "3-c"] { try await store.enqueue(Self.message(id, "ok", at: clock.now().milliseconds)) }
        let draining = Task { await worker.drain() }
        // The window refills while "0-slow" is still held: every other message is handled.
        var seen: Set<String> = []
        for await id in consumer.handled {
            seen.insert(id)
            if seen == ["1-a", "2-b", "3-c"] { break }
        }
        #expect(try await store.messages(queue: "q").map(\.id) == ["0-slow"])
        await consumer.letGo()
        await draining.value
        #expect(try await store.messages(queue: "q").isEmpty)
    }

    @Test func aMessageOlderThanItsMaximumAgeIsDeadLetteredUnhandled() async throws {
        let clock = ManualEngineClock()
        let store = InMemoryQueueStore()
        let consumer = Consumer(QueuePolicy(maximumReceives: 3, maximumAgeMillis: 60_000))
        let worker = QueueWorker(queue: "q", store: store, clock: clock, consumer: consumer)
        try await store.enqueue(Self.message("old", "ok", at: clock.now().milliseconds))
        clock.advance(seconds: 61)
        await worker.drain()
        #expect(await consumer.handled.isEmpty)
        #expect(await consumer.dead.first?.1.hasPrefix("EventAgeExceeded") == true)
        #expect(try await store.messages(queue: "q").isEmpty)
    }

    @Test(.timeLimit(.minutes(1))) func theRunLoopWakesOnASignalAndAtTheNextDueTime() async throws {
        let clock = ManualEngineClock()
        let store = InMemoryQueueStore()
        let consumer = Consumer(QueuePolicy(maximumReceives: 2, backoffMillis: { _ in 30_000 }))
        let worker = QueueWorker(queue: "q", store: store, clock: clock, consumer: consumer)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await worker.run() }
            try await store.enqueue(Self.message("a", "bad", at: clock.now().milliseconds))
            worker.signal()
            while await consumer.handled.count < 1 { await Task.yield() }
            clock.advance(seconds: 30)
            while await consumer.dead.isEmpty { await Task.yield() }
            #expect(await consumer.handled == ["a", "a"])
            group.cancelAll()
        }
    }
}
