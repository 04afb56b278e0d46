import StatesInterpreter
import StatesLanguage

/// Resolves Task resources to handlers by one rule: the resource is parsed once
/// (`TaskResource`) and its keys are tried most specific first (the action, then the whole
/// service); the integration pattern (`.sync`, `.waitForTaskToken`) never changes the handler.
package struct TaskRegistry: Sendable {
    private var handlers: [String: any TaskHandler] = [:] {
        didSet { resolved = LockedValue([:]) }
    }
    /// Each resource's handler once found: a Task state names the same resource on every run,
    /// and parsing it into its keys was a few microseconds of every invocation. Bounded, since
    /// a definition's resources are few but definitions are not.
    private var resolved = LockedValue<[String: (any TaskHandler)?]>([:])
    private static let resolvedLimit = 4_096

    package init() {}

    /// A handler for one resource (`arn:aws:states:::lambda:invoke`), whatever its pattern.
    package mutating func register(_ resource: String, _ handler: any TaskHandler) {
        handlers[TaskResource(resource)?.keys.first ?? resource] = handler
    }

    /// A handler for every Lambda function ARN.
    package mutating func registerFunctions(_ handler: any TaskHandler) { handlers["lambda:function"] = handler }

    /// A handler for every action of an AWS SDK integration (`aws-sdk:ssm:*`).
    package mutating func registerSDK(service: String, _ handler: any TaskHandler) { handlers["sdk:\(service):*"] = handler }

    package func handler(for resource: String) -> (any TaskHandler)? {
        if let known = resolved.mutate({ $0[resource] }) { return known }
        let found = lookUp(resource)
        resolved.mutate { memo in
            if memo.count >= Self.resolvedLimit { memo.removeAll(keepingCapacity: true) }
            memo[resource] = .some(found)
        }
        return found
    }

    private func lookUp(_ resource: String) -> (any TaskHandler)? {
        guard let parsed = TaskResource(resource) else { return handlers[resource] }
        for key in parsed.keys { if let h = handlers[key] { return h } }
        return nil
    }
}
