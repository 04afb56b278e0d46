import Engine
import ServiceLifecycle
import StatesInterpreter
import StatesLanguage

/// One action: a call in, a reply out, or a `ServiceError` (the front door reports any other
/// error as an internal failure). Untyped `throws` in the function type: Swift 6.3's SILGen
/// crashes on typed-throws closures stored in tables.
package typealias Action = @Sendable (ServiceCall) async throws -> ServiceReply

/// A service on the seam: Step Functions, Lambda, webhooks, parameters, and every service
/// after them. It declares what the front door and the engine need, and nothing else has to
/// change when one is added: its wire protocol and routes, its actions as a table, the Task
/// resources it serves, and its background work. Its store lives in its own target, migrated
/// by the journal under the service's name.
package protocol BatonService: Sendable {
    /// "states", "lambda", "ssm": the name in logs and in the services list.
    var name: String { get }
    var wireProtocol: WireProtocol { get }
    /// REST routes (REST protocols); JSON protocols route by `X-Amz-Target` alone.
    var routes: [RESTRoute] { get }
    /// The action table, by the action names of AWS's service model.
    var actions: [String: Action] { get }
    /// The Task-state resources this service performs.
    var taskResources: [TaskResourceBinding] { get }
    /// Long-running loops (queues, sweeps), run in the server's one ServiceGroup.
    var backgroundServices: [any ServiceLifecycle.Service] { get }
    /// The member that carries an error's message in this service's model (`message` for most
    /// JSON services, `Message` for Secrets Manager); SDKs show it as the exception's field.
    var errorMessageMember: String { get }
    /// The query protocol, for services that answer it (SNS, SQS).
    var queryProtocol: QueryProtocol? { get }
    /// The largest JSON request body read (nil: the front door's default, about 1 MiB as most
    /// AWS services allow; DynamoDB's BatchWriteItem takes 16 MB).
    var maximumRequestBytes: Int? { get }
    /// What the console lists for this service (its queues, tables, buckets…).
    var browseViews: [BrowseView] { get }
}

extension BatonService {
    package var routes: [RESTRoute] { [] }
    package var taskResources: [TaskResourceBinding] { [] }
    package var backgroundServices: [any ServiceLifecycle.Service] { [] }
    package var errorMessageMember: String { "message" }
    package var queryProtocol: QueryProtocol? { nil }
    package var maximumRequestBytes: Int? { nil }
    package var browseViews: [BrowseView] { [] }
}

/// A Task resource a service performs: one resource (its `.sync`/`.waitForTaskToken`
/// variants included), every function ARN, or every action of an AWS SDK service.
package struct TaskResourceBinding: Sendable {
    package enum Pattern: Sendable {
        case resource(String)
        case functions
        case sdk(service: String)
    }

    package var pattern: Pattern
    package var handler: any TaskHandler

    package init(_ pattern: Pattern, _ handler: any TaskHandler) {
        self.pattern = pattern
        self.handler = handler
    }
}

extension TaskRegistry {
    /// Every service's Task resources in one registry.
    package init(services: [any BatonService]) {
        self.init()
        for service in services {
            for binding in service.taskResources {
                switch binding.pattern {
                case .resource(let resource): register(resource, binding.handler)
                case .functions: registerFunctions(binding.handler)
                case .sdk(let service): registerSDK(service: service, binding.handler)
                }
            }
        }
    }
}

/// Builds an action table from JSON actions (JSON protocols): the body is decoded and checked
/// once, the answer serialized once.
package struct ActionTable: Sendable {
    package private(set) var actions: [String: Action] = [:]
    /// The service's model: every action's input is checked against its limits before the action runs.
    let model: ServiceModel?
    /// `Action.member` pairs whose limit the service words itself (Step Functions answers an
    /// oversized execution input with InvalidExecutionInput, counting UTF-8 bytes).
    let exempt: Set<String>

    package init(model: ServiceModel? = nil, exempt: Set<String> = []) {
        self.model = model
        self.exempt = exempt
    }

    /// `before`: a check the service words itself, run before the model's (EventBridge words
    /// an eleventh PutEvents entry its own way).
    package mutating func json(_ name: String, before: (@Sendable (JSONRequest) throws -> Void)? = nil,
                               _ body: @escaping @Sendable (JSONRequest) async throws -> JSON) {
        bytes(name, before: before) { try await body($0).serializedBytes }
    }

    /// An action that answers JSON text it has in hand (a stored item spliced into its
    /// answer), after the same checks as `json`.
    package mutating func bytes(_ name: String, before: (@Sendable (JSONRequest) throws -> Void)? = nil,
                                _ body: @escaping @Sendable (JSONRequest) async throws -> [UInt8]) {
        let model = self.model
        let exempt = Set(self.exempt.compactMap { $0.hasPrefix(name + ".") ? String($0.dropFirst(name.count + 1)) : nil })
        actions[name] = { (call: ServiceCall) async throws -> ServiceReply in
            let request = try call.request()
            try before?(request)
            if let model {
                if exempt.isEmpty {
                    try model.check(name, request.body)
                } else {
                    var checked = request.body
                    for member in exempt { checked[member] = nil }
                    try model.check(name, checked)
                }
            }
            return ServiceReply(status: 200, body: try await body(request))
        }
    }

    package mutating func raw(_ name: String, _ action: @escaping Action) { actions[name] = action }
}

/// A service's query protocol (form-encoded requests, XML answers): SNS speaks only this,
/// SQS this beside JSON. Requests share `POST /` (and `GET /?Action=…`); the front door tells
/// services apart by the signature's credential scope, then the `Version`, then the path.
package struct QueryProtocol: Sendable {
    package var model: QueryModel
    /// The service name in a SigV4 credential scope (`sqs`, `sns`).
    package var signingName: String
    /// SQS's error documents carry an empty `<Detail/>`; SNS's do not.
    package var errorDetail: Bool
    /// The JSON protocol's errors also carry the query code in `x-amzn-query-error` (AWS's
    /// awsQueryCompatible trait), which SDKs show as the error's code.
    package var queryCompatibleJSON: Bool
    /// Parameters a resource path implies (`/000000000000/orders` → its QueueUrl), or nil when
    /// the path is not one of the service's resources. Arguments: the path and the Host header.
    package var pathParameters: @Sendable (String, String) -> [String: String]?

    package init(model: QueryModel, signingName: String, errorDetail: Bool = false, queryCompatibleJSON: Bool = false,
                 pathParameters: @escaping @Sendable (String, String) -> [String: String]? = { _, _ in nil }) {
        self.model = model
        self.signingName = signingName
        self.errorDetail = errorDetail
        self.queryCompatibleJSON = queryCompatibleJSON
        self.pathParameters = pathParameters
    }
}
