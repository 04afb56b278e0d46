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

    /// Field `index` of an ARN's text, split at every colon (0 is `arn`, 2 the service, 5 a
    /// resource's type and 6 its name in `arn:aws:states:REGION:ACCOUNT:stateMachine:NAME`), or
    /// nil when the text has fewer fields. Found by bytes, as a slice of `text`: a request that
    /// only checks an ARN or needs one field makes no strings (an `ARN` makes eight, which
    /// showed in the profiles of StartSyncExecution and DescribeExecution).
    public static func field(_ index: Int, of text: String) -> Substring? {
        let u = text.utf8
        var start = u.startIndex
        var n = 0
        var i = u.startIndex
        while i != u.endIndex {
            if u[i] == UInt8(ascii: ":") {
                if n == index { return text[start..<i] }
                n += 1
                start = u.index(after: i)
            }
            i = u.index(after: i)
        }
        return n == index ? text[start...] : nil
    }

    /// The resource's type (`function`, `stateMachine`, `execution`, `activity`, …): its
    /// first field, or what comes before a `/` (`parameter/NAME`).
    public var resourceType: String {
        let head = resourceFields.first ?? ""
        return head.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? head
    }
}
