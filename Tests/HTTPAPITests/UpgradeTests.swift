import Engine
import Foundation
import Journal
import ServiceKit
import ServiceList
import Testing

/// Data accepted by an earlier version is carried over when the services start.
@Suite struct UpgradeTests {
    @Test func asynchronousEventsQueuedAsFilesMoveIntoTheDurableQueue() async throws {
        let dir = NSTemporaryDirectory() + "upgrade-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let async = dir + "/functions/.async"
        try FileManager.default.createDirectory(atPath: async, withIntermediateDirectories: true)
        let entry = #"{"requestId":"r-1","function":"f","payload":"{\"x\":1}","attempts":0,"enqueuedMillis":5}"#
        try Data(entry.utf8).write(to: URL(fileURLWithPath: async + "/r-1.json"))
        let journal = try SQLiteJournal(directory: dir, synchronous: .normal)
        defer { journal.close() }
        let engine = Engine(journal: journal)
        _ = try await ServiceList.make(ServiceContext(engine: engine, database: journal, dataDirectory: dir))
        let queued = try await journal.messages(queue: "lambda.async")
        #expect(queued.map(\.id) == ["r-1"] && queued.first?.enqueuedMillis == 5)
        let body = String(decoding: queued.first?.body ?? [], as: UTF8.self)
        #expect(body.contains(#""payload":"{\"x\":1}""#))
        #expect(!FileManager.default.fileExists(atPath: async + "/r-1.json"))
    }
}
