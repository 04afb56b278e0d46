import Foundation
import Journal
import StatesInterpreter
import StatesLanguage
import Testing

/// The webhook part of the journal contract, for every backend.
@Suite struct JournalWebhookContractTests {
    func delivery(_ key: String, _ outcome: String, at ms: Int64, applied: Bool = false, arn: String? = nil) -> WebhookDeliveryRecord {
        WebhookDeliveryRecord(webhook: "hook", receivedMillis: ms, key: key, deliveryId: "d-\(ms)", bodySha256: "00", outcome: outcome,
                              httpStatus: 200, executionArn: arn, applied: applied)
    }

    @Test(arguments: Backend.allCases)
    func webhooksAreCreatedOnceAndReplacedInPlace(_ backend: Backend) async throws {
        let j = try backend.make()
        try await j.putWebhook(WebhookRecord(name: "hook", config: "{\"v\":1}", createdMillis: 1, updatedMillis: 1), create: true)
        await #expect(throws: JournalError.self) {
            try await j.putWebhook(WebhookRecord(name: "hook", config: "{}", createdMillis: 2, updatedMillis: 2), create: true)
        }
        try await j.putWebhook(WebhookRecord(name: "hook", config: "{\"v\":2}", createdMillis: 9, updatedMillis: 5), create: false)
        let w = try #require(try await j.webhook(name: "hook"))
        #expect(w.config == "{\"v\":2}" && w.createdMillis == 1 && w.updatedMillis == 5)
        await #expect(throws: JournalError.self) {
            try await j.putWebhook(WebhookRecord(name: "other", config: "{}", createdMillis: 1, updatedMillis: 1), create: false)
        }
        #expect(try await j.webhooks().map(\.name) == ["hook"])
        try await j.deleteWebhook(name: "hook")
        #expect(try await j.webhook(name: "hook") == nil)
    }

    @Test(arguments: Backend.allCases)
    func tokensAreFoundByCorrelationAndDeliveriesCommitWithTheStep(_ backend: Backend) async throws {
        let j = try backend.make()
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        var b = JournalBatch(execution: record("x1", definition: def, lastEventId: 1), expectedVersion: nil)
        b.events = [event(1, "ExecutionStarted")]
        b.tokenAdds = [TaskTokenRecord(token: "tok-a", executionArn: "x1", taskId: 0, correlation: "hook\u{1F}k1"),
                       TaskTokenRecord(token: "tok-b", executionArn: "x1", taskId: 1)]
        try await j.append(b)
        #expect(try await j.tokens(correlation: "hook\u{1F}k1").map(\.token) == ["tok-a"])
        #expect(try await j.correlationOwner("hook\u{1F}k1") == "x1")
        // The step that applies a delivery closes the token; the key stays known.
        var s = JournalBatch(execution: record("x1", definition: def, lastEventId: 2), expectedVersion: 1)
        s.events = [event(2)]
        s.tokenRemovals = ["tok-a"]
        s.deliveries = [delivery("k1", "SUCCESS", at: 10, applied: true, arn: "x1")]
        try await j.append(s)
        #expect(try await j.tokens(correlation: "hook\u{1F}k1").isEmpty)
        #expect(try await j.correlationOwner("hook\u{1F}k1") == "x1")
        // A refused step writes none of its deliveries.
        var stale = JournalBatch(execution: record("x1", definition: def, lastEventId: 3), expectedVersion: 1)
        stale.deliveries = [delivery("k1", "SUCCESS", at: 11, applied: true)]
        await #expect(throws: JournalError.self) { try await j.append(stale) }
        try await j.recordDeliveries([delivery("k1", "LATE", at: 12), delivery("k2", "UNKNOWN_KEY", at: 13)])
        #expect(try await j.deliveries(webhook: "hook", key: "k1", limit: 10).map(\.outcome) == ["LATE", "SUCCESS"])
        #expect(try await j.deliveries(webhook: "hook", key: nil, limit: 2).map(\.outcome) == ["UNKNOWN_KEY", "LATE"])
        #expect(try await j.deliveries(webhook: "hook", key: "k1", limit: 10).last?.applied == true)
    }
}
