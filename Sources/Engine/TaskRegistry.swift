import StatesInterpreter
import StatesLanguage

/// Resolves Task resources to handlers; integrations fill it. A resource is matched exactly,
/// then without its `.sync`/`.waitForTaskToken` suffix.
package struct TaskRegistry: Sendable {
    private var handlers: [String: any TaskHandler] = [:]
    private var prefixes: [(String, any TaskHandler)] = []

    package init() {}

    package mutating func register(_ resource: String, _ handler: any TaskHandler) { handlers[resource] = handler }

    /// A handler for every resource that starts with `prefix` (e.g. every function ARN).
    package mutating func register(prefix: String, _ handler: any TaskHandler) { prefixes.append((prefix, handler)) }

    package func handler(for resource: String) -> (any TaskHandler)? {
        if let h = handlers[resource] { return h }
        for (prefix, h) in prefixes where resource.hasPrefix(prefix) { return h }
        for suffix in [".waitForTaskToken", ".sync:2", ".sync"] where resource.hasSuffix(suffix) {
            if let h = handlers[String(resource.dropLast(suffix.count))] { return h }
        }
        return nil
    }
}
