import Foundation
import Journal
import JournalPostgres
@testable import Parameters
import ServiceKit
import StatesLanguage
import Testing

/// Nodes sharing one store (PostgreSQL): what one node writes, another serves. Each node's
/// book reads a document again when the store tells it another node changed it; a node whose
/// secrets key differs from the store's refuses to start.
@Suite struct SharedStoreTests {
    static let postgresURL = ProcessInfo.processInfo.environment["BATON_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    static let key = [UInt8](repeating: 7, count: 32)

    /// One store in memory seen by several nodes: a write through one node's view tells the
    /// watchers of the other nodes' views (as PostgreSQL's notices do), never the writer's own.
    final class SharedMemory: @unchecked Sendable {
        // @unchecked Sendable: every property is guarded by `lock`.
        private let lock = NSLock()
        private var rows: [String: [String: [UInt8]]] = [:]
        private var watchers: [(node: Int, owner: String, changed: @Sendable (String?) async -> Void)] = []

        func write(node: Int, _ documents: [DocumentWrite]) async {
            let told = lock.withLock { () -> [(@Sendable (String?) async -> Void, String)] in
                for d in documents { rows[d.owner, default: [:]][d.key] = d.body }
                return documents.flatMap { d in watchers.filter { $0.node != node && $0.owner == d.owner }.map { ($0.changed, d.key) } }
            }
            for (changed, key) in told { await changed(key) }
        }

        func documents(owner: String) -> [(key: String, body: [UInt8])] {
            lock.withLock { (rows[owner] ?? [:]).sorted { $0.key < $1.key }.map { (key: $0.key, body: $0.value) } }
        }

        func watch(node: Int, owner: String, _ changed: @escaping @Sendable (String?) async -> Void) {
            lock.withLock { watchers.append((node, owner, changed)) }
        }
    }

    struct NodeView: DocumentStore {
        let shared: SharedMemory
        let node: Int
        func write(_ documents: [DocumentWrite]) async throws(JournalError) { await shared.write(node: node, documents) }
        func documents(owner: String) async throws(JournalError) -> [(key: String, body: [UInt8])] { shared.documents(owner: owner) }
        func observe(owner: String, _ changed: @escaping @Sendable (String?) async -> Void) { shared.watch(node: node, owner: owner, changed) }
        var sharedWithOtherNodes: Bool { true }
    }

    struct Node {
        let ssm: SSMService
        let secrets: SecretsManagerService

        init(_ store: any DocumentStore) async throws {
            let box = SecretBox(key: SharedStoreTests.key)
            let now: @Sendable () -> Timestamp = { Timestamp(seconds: 1_800_000_000) }
            secrets = try await SecretsManagerService(store: store, box: box, region: "us-east-1", account: "1", clock: now)
            ssm = try await SSMService(store: store, secrets: secrets, box: box, region: "us-east-1", account: "1", clock: now)
        }

        func call(_ service: any BatonService, _ action: String, _ body: JSONObject) async throws -> JSON {
            guard let perform = service.actions[action] else { throw ServiceError.unknownOperation(action) }
            return try JSONParser.parse(try await perform(ServiceCall(action: action, json: body)).body)
        }
    }

    @Test func aParameterAndASecretWrittenOnOneNodeAreServedByTheOther() async throws {
        let shared = SharedMemory()
        let a = try await Node(NodeView(shared: shared, node: 1))
        let b = try await Node(NodeView(shared: shared, node: 2))
        _ = try await a.call(a.ssm, "PutParameter", ["Name": "/app/url", "Value": "one", "Type": "String"])
        #expect(try await b.call(b.ssm, "GetParameter", ["Name": "/app/url"])["Parameter"]?["Value"] == "one")
        // b changes it: a serves b's version, and a's next change builds on it.
        _ = try await b.call(b.ssm, "PutParameter", ["Name": "/app/url", "Value": "two", "Type": "String", "Overwrite": true])
        let seen = try await a.call(a.ssm, "GetParameter", ["Name": "/app/url"])
        #expect(seen["Parameter"]?["Value"] == "two" && seen["Parameter"]?["Version"] == 2)
        _ = try await a.call(a.ssm, "PutParameter", ["Name": "/app/url", "Value": "three", "Type": "String", "Overwrite": true])
        #expect(try await b.call(b.ssm, "GetParameter", ["Name": "/app/url"])["Parameter"]?["Version"] == 3)
        // Deleted on a: gone on b.
        _ = try await a.call(a.ssm, "DeleteParameter", ["Name": "/app/url"])
        await #expect(throws: ServiceError.self) { _ = try await b.call(b.ssm, "GetParameter", ["Name": "/app/url"]) }
        // A secret sealed on one node opens on the other (the same key).
        _ = try await a.call(a.secrets, "CreateSecret", ["Name": "db", "SecretString": "hunter2"])
        #expect(try await b.call(b.secrets, "GetSecretValue", ["SecretId": "db"])["SecretString"] == "hunter2")
    }

    @Test(.enabled(if: postgresURL != nil, "BATON_TEST_POSTGRES is not set: two nodes on PostgreSQL were not tried"))
    func twoNodesOnPostgreSQLServeEachOthersParameters() async throws {
        let (ja, jb) = try await Self.twoJournals()
        let a = try await Node(ja)
        let b = try await Node(jb)
        let (changes, continuation) = AsyncStream.makeStream(of: String.self)
        await b.ssm.parameters.watch { key, _ in continuation.yield(key) }
        _ = try await a.call(a.ssm, "PutParameter", ["Name": "/app/url", "Value": "one", "Type": "String"])
        // The notice reaches b after a's commit; wait for it (a bound, not a measurement).
        let noticed = await Self.first(of: changes, within: .seconds(10))
        #expect(noticed == "/app/url")
        #expect(try await b.call(b.ssm, "GetParameter", ["Name": "/app/url"])["Parameter"]?["Value"] == "one")
        await ja.close()
        await jb.close()
    }

    /// Two nodes changing one document at once: each change is made on what is stored (compare
    /// and set), so a name created through both is created once and every overwrite counts.
    @Test(.enabled(if: postgresURL != nil, "BATON_TEST_POSTGRES is not set: two nodes' concurrent changes were not tried"))
    func twoNodesChangingOneParameterAtOnceLoseNothing() async throws {
        let (ja, jb) = try await Self.twoJournals()
        let a = try await Node(ja), b = try await Node(jb)
        let created = await withTaskGroup(of: Bool.self) { group in
            for node in [a, b] {
                group.addTask { (try? await node.call(node.ssm, "PutParameter", ["Name": "/race", "Value": "first", "Type": "String"])) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(created == 1)
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                let node = i % 2 == 0 ? a : b
                group.addTask {
                    _ = try? await node.call(node.ssm, "PutParameter", ["Name": "/race", "Value": .string("v\(i)"), "Type": "String", "Overwrite": true])
                }
            }
        }
        let stored = try JSONParser.parse(try #require(try await ja.document(owner: "ssm.parameters", key: "/race")))
        #expect(stored["Versions"]?.arrayValue?.last?["Version"]?.integerValue == 21)
        await ja.close()
        await jb.close()
    }

    /// Two nodes' journals on one schema of the test PostgreSQL.
    static func twoJournals() async throws -> (PostgresJournal, PostgresJournal) {
        var location = try PostgresLocation(url: try #require(postgresURL))
        location.schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        location.poolSize = 4
        return (try await PostgresJournal(location: location), try await PostgresJournal(location: location))
    }

    static func first(of stream: AsyncStream<String>, within limit: Duration) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask { for await key in stream { return key }; return nil }
            group.addTask { try? await Task.sleep(for: limit); return nil }
            let winner = await group.next() ?? nil
            group.cancelAll()
            return winner
        }
    }

    @Test func aNodeWithAnotherSecretsKeyRefusesToSealOrOpen() async throws {
        let store = InMemoryDocumentStore()
        let first = try await SecretBox(key: Self.key).checked(against: store, keyFile: "a.key")
        let sealed = try first.seal(Array("hunter2".utf8))
        // The same key again (a restart, or a second node given the key): it opens what the first sealed.
        let again = try await SecretBox(key: Self.key).checked(against: store, keyFile: "a.key")
        #expect(try again.open(sealed) == Array("hunter2".utf8))
        let other = try await SecretBox(key: [UInt8](repeating: 8, count: 32)).checked(against: store, keyFile: "/data/secrets.key")
        #expect(throws: ServiceError.self) { _ = try other.open(sealed) }
        do {
            _ = try other.seal([1])
            Issue.record("a node with another key sealed a value")
        } catch {
            #expect(error.message.contains("/data/secrets.key") && error.message.contains("--secrets-key-file"))
        }
        #expect(try await store.document(owner: SecretBox.keyOwner, key: "secrets") == Array(first.fingerprint.utf8))
    }
}
