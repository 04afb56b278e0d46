import Foundation
import Journal
import Testing

/// The contract every DocumentStore backend passes (SQLite, PostgreSQL, memory).
@Suite struct DocumentStoreContractTests {
    enum Backend: String, CaseIterable, Sendable {
        case sqlite, memory, postgres
        static var allCases: [Backend] { TestPostgres.url == nil ? [.sqlite, .memory] : [.sqlite, .memory, .postgres] }
    }

    static func store(_ backend: Backend, directory: String) async throws -> any DocumentStore {
        switch backend {
        case .postgres: return try await TestPostgres.journal()
        case .sqlite: return try SQLiteJournal(directory: directory, synchronous: .normal)
        case .memory: return InMemoryDocumentStore()
        }
    }

    static func directory() -> String { NSTemporaryDirectory() + "documents-" + UUID().uuidString }

    @Test(arguments: Backend.allCases)
    func writesAreReadBackByOwnerInKeyOrder(_ backend: Backend) async throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try await Self.store(backend, directory: dir)
        try await store.write([
            DocumentWrite(owner: "ssm", key: "/b", body: [2]), DocumentWrite(owner: "ssm", key: "/a", body: [1]),
            DocumentWrite(owner: "secrets", key: "/a", body: [9]),
        ])
        #expect(try await store.documents(owner: "ssm").map(\.key) == ["/a", "/b"])
        #expect(try await store.documents(owner: "secrets").map(\.body) == [[9]])
        // Replace and remove.
        try await store.write([DocumentWrite(owner: "ssm", key: "/a", body: [3]), DocumentWrite(owner: "ssm", key: "/b", body: nil)])
        let rows = try await store.documents(owner: "ssm")
        #expect(rows.map(\.key) == ["/a"] && rows.map(\.body) == [[3]])
        #expect(try await store.documents(owner: "nobody").isEmpty)
        // One document by its key: only that owner's.
        #expect(try await store.document(owner: "ssm", key: "/a") == [3])
        #expect(try await store.document(owner: "ssm", key: "/b") == nil)
        #expect(try await store.document(owner: "secrets", key: "/a") == [9])
    }

    @Test func sqliteDocumentsSurviveAReopen() async throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let journal = try SQLiteJournal(directory: dir, synchronous: .full)
            try await journal.write([DocumentWrite(owner: "ssm", key: "k", body: Array("value".utf8))])
            journal.close()
        }
        let reopened = try SQLiteJournal(directory: dir, synchronous: .full)
        defer { reopened.close() }
        #expect(try await reopened.documents(owner: "ssm").map(\.body) == [Array("value".utf8)])
    }
}
