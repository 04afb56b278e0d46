import Foundation
import Journal
import JournalPostgres
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

extension DurableQueueContractTests {
    /// A node starting again: what it had in flight is visible at once; what was never received waits for its time.
    @Test(arguments: Backend.allCases)
    func releasingMakesReceivedMessagesVisibleNow(_ backend: Backend) async throws {
        let q = try await Self.store(backend)
        try await q.enqueue(Self.message("held"))
        try await q.enqueue(Self.message("later", visibleAt: 9_000))
        #expect(try await q.receive(queue: "q", limit: 10, now: 100, visibilityMillis: 60_000).map(\.id) == ["held"])
        try await q.releaseReceived(queue: "q", now: 200)
        let visible = try await q.receive(queue: "q", limit: 10, now: 200, visibilityMillis: 60_000)
        #expect(visible.map(\.id) == ["held"] && visible[0].receiveCount == 2)
        #expect(try await q.messages(queue: "q").first { $0.id == "later" }?.visibleAtMillis == 9_000)
    }

    /// Two nodes on one PostgreSQL queue: a node that starts again releases only what it had
    /// in flight; the other node's messages stay hidden while it works on them.
    @Test(.enabled(if: TestPostgres.url != nil))
    func aNodeReleasesOnlyItsOwnMessages() async throws {
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let a = try await TestPostgres.journal(schema: schema, fence: LeaseFence(node: "a", partitions: 4))
        let b = try await TestPostgres.journal(schema: schema, fence: LeaseFence(node: "b", partitions: 4))
        try await a.enqueue(all: [Self.message("1"), Self.message("2")])
        #expect(try await a.receive(queue: "q", limit: 1, now: 100, visibilityMillis: 60_000).map(\.id) == ["1"])
        #expect(try await b.receive(queue: "q", limit: 1, now: 100, visibilityMillis: 60_000).map(\.id) == ["2"])
        try await a.releaseReceived(queue: "q", now: 200)
        #expect(try await b.receive(queue: "q", limit: 10, now: 200, visibilityMillis: 60_000).map(\.id) == ["1"])
        await a.close()
        await b.close()
    }
}
