/// An Amazon Resource Name, parsed once: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
/// The resource keeps its own colons (`function:NAME:QUALIFIER`, `stateMachine:NAME:1`).
public struct ARN: Sendable, Hashable, CustomStringConvertible {
    public let partition: String
    public let service: String
    public let region: String
    public let account: String
    public let resource: String
    /// The resource's colon-separated fields: `["function", "NAME", "QUALIFIER"]` (split once
    /// here: callers read them several times a request).
    public let resourceFields: [String]

    /// Nil unless the text has the six fields and starts with `arn:`.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
        partition = String(parts[1])
        service = String(parts[2])
        region = String(parts[3])
        account = String(parts[4])
        resource = String(parts[5])
        resourceFields = parts[5].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    }

    public var description: String { "arn:\(partition):\(service):\(region):\(account):\(resource)" }

    /// The resource's type (`function`, `stateMachine`, `execution`, `activity`, …): its
    /// first field, or what comes before a `/` (`parameter/NAME`).
    public var resourceType: String {
        let head = resourceFields.first ?? ""
        return head.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? head
    }
}
