/// The Task resources AWS knows, for the checks CreateStateMachine and
/// ValidateStateMachineDefinition make beyond the language itself: an optimized integration
/// AWS does not have (or a pattern it does not offer for it), and what an EXPRESS machine (or
/// a Distributed Map's EXPRESS child workflows) cannot run.
public enum ServiceIntegrations {
    typealias P = TaskResource.Pattern

    /// AWS's optimized integrations whose actions are all listed here, with the patterns each
    /// offers (AWS's "Integrating optimized services" tables).
    static let complete: [String: [String: Set<P>]] = [
        "lambda": ["invoke": [.requestResponse, .waitForTaskToken]],
        "sqs": ["sendMessage": [.requestResponse, .waitForTaskToken]],
        "sns": ["publish": [.requestResponse, .waitForTaskToken]],
        "dynamodb": ["getItem": [.requestResponse], "putItem": [.requestResponse], "updateItem": [.requestResponse],
                     "deleteItem": [.requestResponse]],
        "events": ["putEvents": [.requestResponse, .waitForTaskToken]],
        "states": ["startExecution": [.requestResponse, .sync, .sync2, .waitForTaskToken]],
        "batch": ["submitJob": [.requestResponse, .sync, .waitForTaskToken]],
        "ecs": ["runTask": [.requestResponse, .sync, .waitForTaskToken]],
        "glue": ["startJobRun": [.requestResponse, .sync]],
        "apigateway": ["invoke": [.requestResponse, .waitForTaskToken]],
        "http": ["invoke": [.requestResponse]],
        "databrew": ["startJobRun": [.requestResponse, .sync]],
        "mediaconvert": ["createJob": [.requestResponse, .sync]],
    ]

    /// Optimized integrations with many actions: the service is checked, not the action.
    static let services: Set<String> = [
        "sagemaker", "elasticmapreduce", "emr-containers", "emr-serverless", "codebuild", "athena", "eks", "bedrock",
        "glue-databrew",
    ]

    /// AWS's answer for a resource it does not have.
    public static func notRecognized(_ resource: String) -> String {
        "The resource provided \(resource) is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."
    }

    /// Why AWS would refuse a Task's resource, or nil. `known`: resources this endpoint
    /// serves beyond AWS's (Baton's own `baton:` integrations are always among them).
    public static func problem(_ resource: String, known: (String) -> Bool) -> String? {
        guard let r = TaskResource(resource), !known(resource) else { return nil }
        switch r.target {
        case .sdk:
            // AWS SDK integrations offer Request Response and .waitForTaskToken only.
            if r.pattern == .sync || r.pattern == .sync2 { return notRecognized(resource) }
            return nil
        case .integration(let service, let action):
            if service == "baton" { return nil }
            if let actions = complete[service] {
                guard let patterns = actions[action], patterns.contains(r.pattern) else { return notRecognized(resource) }
                return nil
            }
            return services.contains(service) ? nil : notRecognized(resource)
        case .function, .activity, .other:
            return nil
        }
    }

    /// What an EXPRESS workflow cannot run: activities, and the `.sync` and
    /// `.waitForTaskToken` patterns (AWS's messages, as CreateStateMachine words them).
    public static func expressProblem(_ resource: String) -> String? {
        guard let r = TaskResource(resource) else { return nil }
        if case .activity = r.target { return "Express state machine does not support Activity ARN" }
        switch r.pattern {
        case .requestResponse: return nil
        case .sync, .sync2, .waitForTaskToken: return "Express state machine does not support '.sync' service integration."
        }
    }

    /// Every Task resource of a machine, with its location, and whether it runs in an EXPRESS
    /// workflow (the machine's type, or a Distributed Map's EXPRESS child executions).
    public static func tasks(_ machine: StateMachine, express: Bool, location: String = "") -> [(resource: String, location: String, express: Bool)] {
        var out: [(String, String, Bool)] = []
        for s in machine.states {
            let loc = location + "/States/" + JSONPointer.escape(s.name)
            switch s.kind {
            case .task(let t): out.append((t.resource, loc + "/Resource", express))
            case .parallel(let branches):
                for (i, b) in branches.enumerated() { out += tasks(b, express: express, location: loc + "/Branches/\(i)") }
            case .map(let m):
                let child = express || (m.processor.processorMode == .distributed && m.processor.executionType == "EXPRESS")
                out += tasks(m.processor, express: child, location: loc + "/ItemProcessor")
            default: break
            }
        }
        return out
    }
}
