import Foundation
import Journal
import StatesInterpreter
import StatesLanguage
import Testing
@testable import Webhooks

/// The webhook store's contract, for every backend: configurations, the delivery log, and
/// deliveries attached to the step that applies them.
@Suite struct WebhookStoreContractTests {
    static func make(_ store: Store) async throws -> (any JournalStore, any WebhookStore) {
        let journal = try await store.make(NSTemporaryDirectory() + "baton-whs-\(UUID().uuidString)")
        return (journal, try await webhookStore(on: journal))
    }

    func delivery(_ key: String, _ outcome: String, at ms: Int64, applied: Bool = false, arn: String? = nil) -> WebhookDeliveryRecord {
        WebhookDeliveryRecord(webhook: "hook", receivedMillis: ms, key: key, deliveryId: "d-\(ms)", bodySha256: "00", outcome: outcome,
                              httpStatus: 200, executionArn: arn, applied: applied)
    }

    func execution(_ def: Int64, lastEventId: Int) -> ExecutionRecord {
        ExecutionRecord(arn: "x1", stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:m", definitionId: def,
                        name: "e", status: .running, input: "{}", startMillis: 1_000, lastEventId: lastEventId, snapshot: [1])
    }

    func event(_ id: Int) -> HistoryEvent {
        HistoryEvent(id: id, previousEventId: id - 1, timestamp: Timestamp(milliseconds: 1_000 + Int64(id)), type: "PassStateEntered",
                     detailsKey: "stateEnteredEventDetails", details: ["name": "A"])
    }

    @Test(arguments: Store.allCases)
    func webhooksAreCreatedOnceAndReplacedInPlace(_ store: Store) async throws {
        let (_, w) = try await Self.make(store)
        try await w.putWebhook(WebhookRecord(name: "hook", config: "{\"v\":1}", createdMillis: 1, updatedMillis: 1), create: true)
        await #expect(throws: JournalError.self) {
            try await w.putWebhook(WebhookRecord(name: "hook", config: "{}", createdMillis: 2, updatedMillis: 2), create: true)
        }
        try await w.putWebhook(WebhookRecord(name: "hook", config: "{\"v\":2}", createdMillis: 9, updatedMillis: 5), create: false)
        let r = try #require(try await w.webhook(name: "hook"))
        #expect(r.config == "{\"v\":2}" && r.createdMillis == 1 && r.updatedMillis == 5)
        await #expect(throws: JournalError.self) {
            try await w.putWebhook(WebhookRecord(name: "other", config: "{}", createdMillis: 1, updatedMillis: 1), create: false)
        }
        #expect(try await w.webhooks().map(\.name) == ["hook"])
        try await w.deleteWebhook(name: "hook")
        #expect(try await w.webhook(name: "hook") == nil)
    }

    @Test(arguments: Store.allCases)
    func deliveriesCommitWithTheStepThatAppliesThem(_ store: Store) async throws {
        let (j, w) = try await Self.make(store)
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        var b = JournalBatch(execution: execution(def, lastEventId: 1), expectedVersion: nil)
        b.events = [event(1)]
        try await j.append(b)
        var s = JournalBatch(execution: execution(def, lastEventId: 2), expectedVersion: 1)
        s.events = [event(2)]
        s.attachments = [w.attachment(delivery("k1", "SUCCESS", at: 10, applied: true, arn: "x1"))]
        try await j.append(s)
        // A refused step writes none of its deliveries.
        var stale = JournalBatch(execution: execution(def, lastEventId: 3), expectedVersion: 1)
        stale.attachments = [w.attachment(delivery("k1", "SUCCESS", at: 11, applied: true))]
        await #expect(throws: JournalError.self) { try await j.append(stale) }
        try await w.recordDeliveries([delivery("k1", "LATE", at: 12), delivery("k2", "UNKNOWN_KEY", at: 13)])
        #expect(try await w.deliveries(webhook: "hook", key: "k1", limit: 10).map(\.outcome) == ["LATE", "SUCCESS"])
        #expect(try await w.deliveries(webhook: "hook", key: nil, limit: 2).map(\.outcome) == ["UNKNOWN_KEY", "LATE"])
        #expect(try await w.deliveries(webhook: "hook", key: "k1", limit: 10).last?.applied == true)
    }

    /// The store's schema is its own: reopening applies nothing twice, and a database from
    /// before (tables made by the journal's migration 7) opens unchanged.
    @Test func theSchemaIsVersionedPerComponent() async throws {
        let dir = NSTemporaryDirectory() + "baton-whs-\(UUID().uuidString)"
        let first = try SQLiteJournal(directory: dir)
        let w1 = try await SQLiteWebhookStore(first)
        try await w1.putWebhook(WebhookRecord(name: "hook", config: "{}", createdMillis: 1, updatedMillis: 1), create: true)
        first.close()
        let second = try SQLiteJournal(directory: dir)
        let w2 = try await SQLiteWebhookStore(second)
        #expect(try await w2.webhooks().map(\.name) == ["hook"])
    }
}
