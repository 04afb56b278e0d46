import Foundation
import Journal
@testable import Parameters
import ServiceKit
import StatesInterpreter
import StatesLanguage
import Testing

/// SSM and Secrets Manager through their action tables on an in-memory document store, with
/// a manual clock: no server, no sleeps.
@Suite struct ParametersTests {
    static let key = [UInt8](repeating: 7, count: 32)

    struct Fixture {
        let store = InMemoryDocumentStore()
        let clock = ManualTime()
        let ssm: SSMService
        let secrets: SecretsManagerService

        init() async throws {
            let box = SecretBox(key: ParametersTests.key)
            let clock = self.clock
            secrets = try await SecretsManagerService(store: store, box: box, region: "us-east-1", account: "1", clock: { clock.now })
            ssm = try await SSMService(store: store, secrets: secrets, box: box, region: "us-east-1", account: "1", clock: { clock.now })
        }

        func call(_ service: any BatonService, _ action: String, _ body: JSONObject) async throws -> JSON {
            guard let perform = service.actions[action] else { throw ServiceError.unknownOperation(action) }
            return try JSONParser.parse(try await perform(ServiceCall(action: action, json: body)).body)
        }
    }

    final class ManualTime: @unchecked Sendable {
        private let lock = NSLock()
        private var value = Timestamp(seconds: 1_800_000_000)
        var now: Timestamp { lock.withLock { value } }
        func advance(days: Int64) { lock.withLock { value = value.adding(seconds: days * 86_400) } }
    }

    @Test func secureStringsAreSealedInTheStoreAndOpenedOnlyWithDecryption() async throws {
        let f = try await Fixture()
        _ = try await f.call(f.ssm, "PutParameter", ["Name": "/app/key", "Value": "hunter2", "Type": "SecureString"])
        let stored = try await f.store.documents(owner: "ssm.parameters")
        #expect(stored.count == 1)
        #expect(!String(decoding: stored[0].body, as: UTF8.self).contains("hunter2"))
        let plain = try await f.call(f.ssm, "GetParameter", ["Name": "/app/key", "WithDecryption": true])
        #expect(plain["Parameter"]?["Value"]?.stringValue == "hunter2")
        let hidden = try await f.call(f.ssm, "GetParameter", ["Name": "/app/key"])
        #expect(hidden["Parameter"]?["Value"]?.stringValue != "hunter2")
        // Another key cannot open it: a server error, never the value.
        let other = SecretBox(key: [UInt8](repeating: 8, count: 32))
        let sealed = try SecretBox(key: Self.key).seal(Array("x".utf8))
        #expect(throws: ServiceError.self) { try other.open(sealed) }
    }

    @Test(arguments: ["a/b", "/a//b", "", "/a b"])
    func badNamesAreRefusedAndChangeNothing(_ name: String) async throws {
        let f = try await Fixture()
        await #expect(throws: ServiceError.validation("")) {
            _ = try await f.call(f.ssm, "PutParameter", ["Name": .string(name), "Value": "v", "Type": "String"])
        }
        #expect(try await f.store.documents(owner: "ssm.parameters").isEmpty)
    }

    @Test func aDeletedSecretIsGoneAfterItsRecoveryWindow() async throws {
        let f = try await Fixture()
        _ = try await f.call(f.secrets, "CreateSecret", ["Name": "s", "SecretString": "v1"])
        _ = try await f.call(f.secrets, "PutSecretValue", ["SecretId": "s", "SecretString": "v2"])
        let previous = try await f.call(f.secrets, "GetSecretValue", ["SecretId": "s", "VersionStage": "AWSPREVIOUS"])
        #expect(previous["SecretString"]?.stringValue == "v1")
        _ = try await f.call(f.secrets, "DeleteSecret", ["SecretId": "s", "RecoveryWindowInDays": 7])
        await #expect(throws: SecretsManagerService.markedForDeletion) { _ = try await f.call(f.secrets, "GetSecretValue", ["SecretId": "s"]) }
        f.clock.advance(days: 8)
        await #expect(throws: SecretsManagerService.notFound) { _ = try await f.call(f.secrets, "DescribeSecret", ["SecretId": "s"]) }
        // The name is free again.
        _ = try await f.call(f.secrets, "CreateSecret", ["Name": "s", "SecretString": "v3"])
        #expect(try await f.call(f.secrets, "GetSecretValue", ["SecretId": "s"])["SecretString"]?.stringValue == "v3")
    }

    @Test func taskStatesCallActionsByTheirSDKNames() async throws {
        let f = try await Fixture()
        _ = try await f.call(f.ssm, "PutParameter", ["Name": "campaign-key", "Value": "k", "Type": "String"])
        guard let handler = f.ssm.taskResources.first?.handler else { throw ServiceError.internalFailure("no task resource") }
        func run(_ name: String) async -> TaskOutcome {
            await handler.invoke(TaskInvocation(id: TaskID(1), stateName: "Key", resource: "arn:aws:states:::aws-sdk:ssm:getParameter",
                                                parameters: ["Name": .string(name)], timeoutSeconds: nil, heartbeatSeconds: nil,
                                                taskToken: nil, idempotencyKey: "x/1"))
        }
        guard case .succeeded(let result) = await run("campaign-key") else { throw ServiceError.internalFailure("expected a result") }
        #expect(result["Parameter"]?["Value"]?.stringValue == "k")
        guard case .failed(let error) = await run("nope") else { throw ServiceError.internalFailure("expected a failure") }
        #expect(error.error == "Ssm.ParameterNotFoundException")
    }
}
