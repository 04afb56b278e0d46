import Engine
import StatesInterpreter
import StatesLanguage
import Testing

/// A resource's handler is found by its keys, most specific first, and remembered; a
/// registration made after a lookup is seen by the next one.
struct TaskRegistryTests {
    /// The handler a resource resolves to, told apart by what it answers.
    private func answer(_ registry: TaskRegistry, _ resource: String) async -> JSON? {
        guard let h = registry.handler(for: resource) else { return nil }
        let inv = TaskInvocation(id: TaskID(1), stateName: "T", resource: resource, parameters: .null, timeoutSeconds: nil,
                                 heartbeatSeconds: nil, taskToken: nil, idempotencyKey: "k")
        if case .succeeded(let v) = await h.invoke(inv) { return v }
        return nil
    }

    private func handler(_ name: String) -> ClosureTaskHandler { ClosureTaskHandler { _ in .succeeded(.string(name)) } }

    @Test func lookupsAreRememberedAndARegistrationIsSeenAfterThem() async {
        var registry = TaskRegistry()
        registry.registerSDK(service: "dynamodb", handler("any action"))
        let resource = "arn:aws:states:::aws-sdk:dynamodb:putItem"
        #expect(await answer(registry, resource) == .string("any action"))
        #expect(await answer(registry, resource) == .string("any action"))
        #expect(await answer(registry, "arn:aws:states:::sqs:sendMessage") == nil)
        // A copy made before the registration keeps what it had; the registry itself sees it.
        let before = registry
        registry.register("arn:aws:states:::aws-sdk:dynamodb:putItem", handler("putItem"))
        registry.register("arn:aws:states:::sqs:sendMessage", handler("sendMessage"))
        #expect(await answer(registry, resource) == .string("putItem"))
        #expect(await answer(registry, "arn:aws:states:::sqs:sendMessage.waitForTaskToken") == .string("sendMessage"))
        #expect(await answer(before, resource) == .string("any action"))
        #expect(await answer(before, "arn:aws:states:::sqs:sendMessage") == nil)
    }
}
