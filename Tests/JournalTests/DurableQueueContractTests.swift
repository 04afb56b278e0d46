import Foundation
import Journal
import Testing

/// The durable queue's contract, on every backend.
@Suite struct DurableQueueContractTests {
    enum Backend: String, CaseIterable, Sendable {
        case sqlite, memory, postgres
        static var allCases: [Backend] { TestPostgres.url == nil ? [.sqlite, .memory] : [.sqlite, .memory, .postgres] }
    }

    static func store(_ backend: Backend) async throws -> any DurableQueueStore {
        switch backend {
        case .postgres: return try await TestPostgres.journal()
        case .sqlite: return try SQLiteJournal(directory: NSTemporaryDirectory() + "queue-" + UUID().uuidString, synchronous: .normal)
        case .memory: return InMemoryQueueStore()
        }
    }

    static func message(_ id: String, visibleAt: Int64 = 0, queue: String = "q") -> QueuedMessage {
        QueuedMessage(queue: queue, id: id, body: Array(id.utf8), enqueuedMillis: 0, visibleAtMillis: visibleAt)
    }

    @Test(arguments: Backend.allCases)
    func receivedMessagesHideUntilTheirVisibilityPasses(_ backend: Backend) async throws {
        let q = try await Self.store(backend)
        try await q.enqueue(Self.message("a"))
        try await q.enqueue(Self.message("b", visibleAt: 500))
        try await q.enqueue(Self.message("other", queue: "q2"))
        await #expect(throws: JournalError.self) { try await q.enqueue(Self.message("a")) }
        let first = try await q.receive(queue: "q", limit: 10, now: 100, visibilityMillis: 1_000)
        #expect(first.map(\.id) == ["a"] && first[0].receiveCount == 1 && first[0].visibleAtMillis == 1_100 && first[0].body == Array("a".utf8))
        // Hidden while held; "b" is due at 500.
        #expect(try await q.receive(queue: "q", limit: 10, now: 200, visibilityMillis: 1_000).isEmpty)
        #expect(try await q.nextVisible(queue: "q") == 500)
        #expect(try await q.receive(queue: "q", limit: 10, now: 500, visibilityMillis: 1_000).map(\.id) == ["b"])
        // A consumer that never finished: "a" is delivered again, counted.
        let again = try await q.receive(queue: "q", limit: 10, now: 1_100, visibilityMillis: 1_000)
        #expect(again.map(\.id) == ["a"] && again[0].receiveCount == 2)
        try await q.changeVisibility(queue: "q", id: "a", visibleAtMillis: 5_000)
        try await q.delete(queue: "q", id: "b")
        #expect(try await q.messages(queue: "q").map(\.id) == ["a"])
        #expect(try await q.nextVisible(queue: "q") == 5_000)
        #expect(try await q.messages(queue: "q2").map(\.id) == ["other"])
        try await q.delete(queue: "q", id: "a")
        #expect(try await q.nextVisible(queue: "q") == nil)
    }

    @Test(arguments: Backend.allCases)
    func aReceiveTakesAtMostTheLimitOldestFirst(_ backend: Backend) async throws {
        let q = try await Self.store(backend)
        for (i, id) in ["c", "a", "b", "d"].enumerated() { try await q.enqueue(Self.message(id, visibleAt: Int64(10 - i))) }
        #expect(try await q.receive(queue: "q", limit: 2, now: 100, visibilityMillis: 10).map(\.id) == ["d", "b"])
        #expect(try await q.receive(queue: "q", limit: 5, now: 100, visibilityMillis: 10).map(\.id) == ["a", "c"])
    }

    @Test func sqliteMessagesSurviveAReopen() async throws {
        let dir = NSTemporaryDirectory() + "queue-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let j = try SQLiteJournal(directory: dir)
            try await j.enqueue(Self.message("kept"))
            _ = try await j.receive(queue: "q", limit: 1, now: 0, visibilityMillis: 60_000)
            j.close()
        }
        let j = try SQLiteJournal(directory: dir)
        defer { j.close() }
        let m = try await j.messages(queue: "q")
        #expect(m.map(\.id) == ["kept"] && m[0].receiveCount == 1 && m[0].visibleAtMillis == 60_000)
    }
}
