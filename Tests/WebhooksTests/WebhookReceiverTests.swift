import Foundation
import Engine
import Journal
import JournalPostgres
import StatesInterpreter
import StatesLanguage
import Testing
import Webhooks

let smArn = "arn:aws:states:us-east-1:000000000000:stateMachine:campaign"

/// Waits on the webhook, loops until the status is "success".
let loopDefinition = #"""
{"StartAt":"Wait","States":{
  "Wait":{"Type":"Task","Resource":"arn:aws:states:::baton:webhook.waitForTaskToken",
          "Parameters":{"Webhook":"campaigns","Key.$":"$.id"},"ResultPath":"$.last","HeartbeatSeconds":60,"TimeoutSeconds":600,"Next":"Check"},
  "Check":{"Type":"Choice","Choices":[{"Variable":"$.last.status","StringEquals":"success","Next":"Done"}],"Default":"Wait"},
  "Done":{"Type":"Pass","End":true}}}
"""#

let campaignsConfig: JSONObject = [
    "Name": "campaigns", "KeySource": ["Body": "$.id"], "StatusSource": ["Body": "$.status"],
    "Outcomes": ["pending": ["Outcome": "SUCCESS"], "success": ["Outcome": "SUCCESS"], "sending": ["Outcome": "HEARTBEAT"]],
    "Output": ["status.$": "$.status", "n.$": "$.body.n"],
    "Signature": ["Scheme": "NONE"], "Deduplication": ["DeliveryIdHeader": "X-Delivery-Id", "WindowSeconds": 60],
]

/// Every backend: PostgreSQL when `BATON_TEST_POSTGRES` names a server (`.ci/run` starts one).
enum Store: String, CaseIterable, Sendable {
    case sqlite, memory, postgres
    static let postgresURL = ProcessInfo.processInfo.environment["BATON_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    static var allCases: [Store] { postgresURL == nil ? [.sqlite, .memory] : [.sqlite, .memory, .postgres] }

    func make(_ dir: String) async throws -> any JournalStore {
        switch self {
        case .memory: return InMemoryJournal()
        case .sqlite: return try SQLiteJournal(directory: dir)
        case .postgres: return try await PostgresJournal.isolated(url: Self.postgresURL ?? "")
        }
    }
}

/// The webhook store on the same backend as the journal (its attachments need that backend).
func webhookStore(on journal: any JournalStore) async throws -> any WebhookStore {
    if let sqlite = journal as? SQLiteJournal { return try await SQLiteWebhookStore(sqlite) }
    if let postgres = journal as? PostgresJournal { return try await PostgresWebhookStore(postgres) }
    return InMemoryWebhookStore()
}

func withReceiver(_ journal: any JournalStore, clock: ManualEngineClock = ManualEngineClock(),
                  _ body: (Engine, WebhookReceiver, ManualEngineClock) async throws -> Void) async throws {
    let directory = WebhookDirectory(store: try await webhookStore(on: journal))
    var registry = TaskRegistry()
    registry.register("arn:aws:states:::baton:webhook", WebhookTaskHandler(directory: directory))
    let engine = Engine(journal: journal, clock: clock, registry: registry, partitions: 4)
    let receiver = WebhookReceiver(engine: engine, directory: directory)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await engine.run() }
        try await body(engine, receiver, clock)
        await engine.settle()
        engine.shutdown()
        group.cancelAll()
    }
}

func post(_ r: WebhookReceiver, _ body: String, id: String? = nil) async -> WebhookResponse {
    await r.receive(WebhookRequest(webhook: "campaigns", body: Array(body.utf8), headers: id.map { ["X-Delivery-Id": $0] } ?? [:], query: [:]))
}

func outcome(_ r: WebhookResponse) -> String? { r.body["Outcome"]?.stringValue }

@Suite struct WebhookReceiverTests {
    @Test(arguments: Store.allCases)
    func aLoopResumesOncePerDeliveryAndRepeatsAreRecognised(_ store: Store) async throws {
        let dir = NSTemporaryDirectory() + "baton-wh-\(UUID().uuidString)"
        let journal = try await store.make(dir)
        try await withReceiver(journal) { engine, receiver, _ in
            _ = try await receiver.create(campaignsConfig)
            let def = try await engine.saveDefinition(stateMachineArn: smArn, definition: loopDefinition)
            let arn = try await engine.startExecution(stateMachineArn: smArn, definitionId: def, name: "r1", input: #"{"id":"c-1"}"#).arn
            await engine.settle()
            #expect(outcome(await post(receiver, #"{"id":"c-1","status":"pending","n":1}"#, id: "a")) == "SUCCESS")
            await engine.settle()
            // The run waits again on the same key; the repeated delivery must not resume it.
            #expect(outcome(await post(receiver, #"{"id":"c-1","status":"pending","n":1}"#, id: "a")) == "DUPLICATE")
            // Without a delivery id, the same body within the window is a repeat too.
            #expect(outcome(await post(receiver, #"{"id":"c-1","status":"sending","n":2}"#)) == "HEARTBEAT")
            #expect(outcome(await post(receiver, #"{"id":"c-1","status":"sending","n":2}"#)) == "DUPLICATE")
            #expect(try await engine.describe(arn).status == .running)
            #expect(outcome(await post(receiver, #"{"id":"c-1","status":"success","n":3}"#, id: "b")) == "SUCCESS")
            await engine.settle()
            let r = try await engine.describe(arn)
            #expect(r.status == .succeeded)
            #expect(r.output == #"{"id":"c-1","last":{"status":"success","n":3}}"#)
            #expect(outcome(await post(receiver, #"{"id":"c-1","status":"pending","n":4}"#, id: "c")) == "LATE")
            let history = try await engine.history(arn)
            let received = history.filter { $0.type == "WebhookDeliveryReceived" }
            #expect(received.compactMap { $0.details["outcome"]?.stringValue } == ["SUCCESS", "HEARTBEAT", "SUCCESS"])
            #expect(history.filter { $0.type == "TaskSucceeded" }.count == 2)
            let log = try await receiver.deliveries(name: "campaigns", key: "c-1", limit: 10)
            #expect(log.compactMap { $0["Outcome"]?.stringValue } == ["LATE", "SUCCESS", "DUPLICATE", "HEARTBEAT", "DUPLICATE", "SUCCESS"])
        }
    }

    @Test(arguments: Store.allCases)
    func unknownKeysAndMissingKeysChangeNothing(_ store: Store) async throws {
        let journal = try await store.make(NSTemporaryDirectory() + "baton-wh-\(UUID().uuidString)")
        try await withReceiver(journal) { _, receiver, _ in
            _ = try await receiver.create(campaignsConfig)
            let unknown = await post(receiver, #"{"id":"nobody","status":"success"}"#)
            #expect(unknown.status == 404 && unknown.body["__type"]?.stringValue == "ResourceNotFoundException")
            let missing = await post(receiver, #"{"status":"success"}"#)
            #expect(missing.status == 400)
            let noHook = await receiver.receive(WebhookRequest(webhook: "other", body: [], headers: [:], query: [:]))
            #expect(noHook.status == 404)
            #expect(try await receiver.deliveries(name: "campaigns", key: nil, limit: 10).compactMap { $0["Outcome"]?.stringValue }
                    == ["INVALID", "UNKNOWN_KEY"])
        }
    }

    @Test func aTemplateThatDoesNotApplyFailsTheTaskWithItsPath() async throws {
        try await withReceiver(InMemoryJournal()) { engine, receiver, _ in
            var config = campaignsConfig
            config["Output"] = ["missing.$": "$.body.nothere"]
            _ = try await receiver.create(config)
            let def = try await engine.saveDefinition(stateMachineArn: smArn, definition: loopDefinition)
            let arn = try await engine.startExecution(stateMachineArn: smArn, definitionId: def, name: "r2", input: #"{"id":7}"#).arn
            await engine.settle()
            // A numeric key matches its JSON text.
            #expect(outcome(await post(receiver, #"{"id":7,"status":"success"}"#)) == "FAILURE")
            await engine.settle()
            let r = try await engine.describe(arn)
            #expect(r.status == .failed && r.error == "States.Runtime")
            #expect(r.cause?.contains("$.body.nothere") == true)
        }
    }

    @Test func aWaitingRunIsFoundByItsKeyAfterARestart() async throws {
        let dir = NSTemporaryDirectory() + "baton-wh-\(UUID().uuidString)"
        var arn = ""
        let first = try SQLiteJournal(directory: dir)
        try await withReceiver(first) { engine, receiver, _ in
            _ = try await receiver.create(campaignsConfig)
            let def = try await engine.saveDefinition(stateMachineArn: smArn, definition: loopDefinition)
            arn = try await engine.startExecution(stateMachineArn: smArn, definitionId: def, name: "r3", input: #"{"id":"c-9"}"#).arn
        }
        first.close()
        let second = try SQLiteJournal(directory: dir)
        try await withReceiver(second) { engine, receiver, _ in
            try await engine.recover()
            let answer = await post(receiver, #"{"id":"c-9","status":"success","n":0}"#)
            #expect(outcome(answer) == "SUCCESS", "\(answer)")
            await engine.settle()
            #expect(try await engine.describe(arn).status == .succeeded)
        }
    }

    @Test func configurationIsValidatedAndTheSecretNeverReturned() async throws {
        try await withReceiver(InMemoryJournal()) { _, receiver, _ in
            var config = campaignsConfig
            config["Signature"] = ["Scheme": "STRIPE", "Secret": "whsec_supersecret"]
            let created = try await receiver.create(config)
            #expect(!JSON.object(created).serialized.contains("supersecret"))
            #expect(created["Signature"]?["SecretConfigured"] == .bool(true))
            let listed = try await receiver.list()
            #expect(!JSON.array(listed.map { .object($0) }).serialized.contains("supersecret"))
            await #expect(throws: WebhookError.self) { _ = try await receiver.create(config) }
            await #expect(throws: WebhookError.self) { _ = try await receiver.create(["Name": "x", "KeySource": ["Body": "not a path"]]) }
            await #expect(throws: WebhookError.self) { _ = try await receiver.update(name: "nope", config) }
        }
    }
}
