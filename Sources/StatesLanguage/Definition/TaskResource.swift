/// A Task state's `Resource`, parsed once into what it calls and how it waits, and resolved by
/// one rule (`keys`, most specific first).
///
/// AWS: "arn:aws:states:::service:apiAction.[serviceIntegrationPattern]", with the patterns
/// request-response (no suffix), `.sync` (and `.sync:2`) and `.waitForTaskToken`; AWS SDK
/// integrations are `arn:aws:states:::aws-sdk:serviceName:apiAction.[pattern]`; a Lambda
/// function or an activity is named by its own ARN.
public struct TaskResource: Sendable, Hashable {
    public enum Pattern: String, Sendable, Hashable {
        case requestResponse = ""
        case sync = ".sync"
        case sync2 = ".sync:2"
        case waitForTaskToken = ".waitForTaskToken"
    }

    public enum Target: Sendable, Hashable {
        /// `arn:aws:states:::lambda:invoke`: a service integration's action.
        case integration(service: String, action: String)
        /// `arn:aws:states:::aws-sdk:ssm:getParameter`.
        case sdk(service: String, action: String)
        /// A function ARN: `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`.
        case function(ARN)
        /// `arn:aws:states:REGION:ACCOUNT:activity:NAME`.
        case activity(ARN)
        /// Any other ARN.
        case other(ARN)
    }

    public let text: String
    public let target: Target
    public let pattern: Pattern

    /// Nil when the text is not an ARN.
    public init?(_ text: String) {
        guard let arn = ARN(text) else { return nil }
        self.text = text
        if arn.service == "states", arn.region.isEmpty, arn.account.isEmpty {
            // The pattern is a suffix of the action: `invoke.waitForTaskToken`, `startExecution.sync:2`.
            var rest = arn.resource
            var pattern = Pattern.requestResponse
            for p in [Pattern.waitForTaskToken, .sync2, .sync] where rest.hasSuffix(p.rawValue) {
                rest.removeLast(p.rawValue.count)
                pattern = p
                break
            }
            self.pattern = pattern
            let fields = rest.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            if fields.count == 3, fields[0] == "aws-sdk" {
                target = .sdk(service: fields[1], action: fields[2])
            } else if fields.count >= 2 {
                target = .integration(service: fields[0], action: fields[1...].joined(separator: ":"))
            } else {
                target = .other(arn)
            }
            return
        }
        pattern = .requestResponse
        switch (arn.service, arn.resourceType) {
        case ("lambda", "function"): target = .function(arn)
        case ("states", "activity"): target = .activity(arn)
        default: target = .other(arn)
        }
    }

    /// The keys a handler can be registered under, most specific first: the action, then the
    /// whole service (`sdk:ssm:*`, every function).
    public var keys: [String] {
        switch target {
        case .integration(let service, let action): return ["states:\(service):\(action)", "states:\(service):*"]
        case .sdk(let service, let action): return ["sdk:\(service):\(action)", "sdk:\(service):*"]
        case .function: return ["lambda:function"]
        case .activity: return ["states:activity"]
        case .other(let arn): return [arn.description]
        }
    }
}
