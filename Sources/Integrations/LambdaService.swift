import Engine
import Foundation
import ServiceKit
import ServiceLifecycle
import StatesInterpreter
import StatesLanguage

/// Lambda on the seam: its REST API (`/2015-03-31/functions…`, as boto3's lambda client
/// sends it), the Task resources that call functions, and the asynchronous queue.
package struct LambdaService: BatonService {
    package let functions: FunctionService
    let asyncWorker: QueueWorker?

    package init(functions: FunctionService) {
        self.functions = functions
        asyncWorker = nil
    }

    /// Functions kept in the journal's database, code under `<data>/functions`, asynchronous
    /// invocations in the journal's durable queue.
    package init(_ context: ServiceContext) async throws(ServiceError) {
        functions = FunctionService(directory: context.dataDirectory + "/functions", region: context.region, account: context.account,
                                    persistence: JournalFunctionPersistence(journal: context.journal))
        await functions.useLogger(context.engine.logger)
        try await functions.restore()
        asyncWorker = await functions.attachAsyncQueue(store: context.queues, clock: context.engine.clock, engine: context.engine)
        await functions.adoptQueuedFiles()
    }

    package var name: String { "lambda" }

    package var browseViews: [BrowseView] {
        [BrowseView("Functions", columns: [.init("Name", "FunctionName"), .init("Runtime", "Runtime"), .init("Handler", "Handler"),
                                            .init("Last modified", "LastModified")], action: "ListFunctions", list: "Functions")]
    }
    package var wireProtocol: WireProtocol { .restJSON }

    static let base = "/2015-03-31/functions"
    static let invokeConfig = "/2019-09-25/functions/{FunctionName}/event-invoke-config"
    /// Lambda's own limit for a zip uploaded in the request (50 MB), base64 in JSON.
    static let maximumCreateBytes = 70 * 1024 * 1024

    package var routes: [RESTRoute] {
        [
            RESTRoute("POST", Self.base, action: "CreateFunction", maximumBodyBytes: Self.maximumCreateBytes),
            RESTRoute("GET", Self.base, action: "ListFunctions"),
            RESTRoute("GET", Self.base + "/{FunctionName}", action: "GetFunction"),
            RESTRoute("DELETE", Self.base + "/{FunctionName}", action: "DeleteFunction"),
            RESTRoute("PUT", Self.base + "/{FunctionName}/code", action: "UpdateFunctionCode", maximumBodyBytes: Self.maximumCreateBytes),
            RESTRoute("PUT", Self.base + "/{FunctionName}/configuration", action: "UpdateFunctionConfiguration"),
            RESTRoute("GET", Self.base + "/{FunctionName}/configuration", action: "GetFunctionConfiguration"),
            RESTRoute("POST", Self.base + "/{FunctionName}/invocations", action: "Invoke"),
            RESTRoute("PUT", Self.invokeConfig, action: "PutFunctionEventInvokeConfig"),
            RESTRoute("GET", Self.invokeConfig, action: "GetFunctionEventInvokeConfig"),
            // Baton's own: asynchronous events that exhausted their retries.
            RESTRoute("GET", "/baton/failed-invocations", action: "ListFailedInvocations"),
        ]
    }

    package var actions: [String: Action] {
        // Every action behind the model's limits (Baton's own actions are not in the model and pass).
        Self.plainActions(functions).reduce(into: [:]) { out, entry in out[entry.key] = LambdaModel.constraints.checking(entry.key, entry.value) }
    }

    static func plainActions(_ f: FunctionService) -> [String: Action] {
        [
            "CreateFunction": { (c: ServiceCall) async throws -> ServiceReply in
                let b = try Self.body(c)
                let config = try await f.create(
                    name: b["FunctionName"]?.stringValue ?? "", runtime: b["Runtime"]?.stringValue ?? "",
                    handler: b["Handler"]?.stringValue ?? "lambda_function.handler", zip: try Self.zip(b["Code"]),
                    timeout: Int(b["Timeout"]?.integerValue ?? 3), memory: Int(b["MemorySize"]?.integerValue ?? 128),
                    environment: Self.environment(b["Environment"]) ?? [:], role: b["Role"]?.stringValue ?? "")
                if let target = b["DeadLetterConfig"]?["TargetArn"]?.stringValue {
                    return .json(try await f.setDeadLetter(config.name, target: target).json, status: 201)
                }
                return .json(config.json, status: 201)
            },
            "ListFunctions": { (_: ServiceCall) async throws -> ServiceReply in
                .json(["Functions": .array(await f.list().map(\.json))])
            },
            "GetFunction": { (c: ServiceCall) async throws -> ServiceReply in
                let config = try await Self.existing(f, c.parameter("FunctionName"))
                return .json(["Configuration": config.json, "Code": ["RepositoryType": "S3", "Location": ""]])
            },
            "GetFunctionConfiguration": { (c: ServiceCall) async throws -> ServiceReply in
                .json(try await Self.existing(f, c.parameter("FunctionName")).json)
            },
            "DeleteFunction": { (c: ServiceCall) async throws -> ServiceReply in
                try await f.delete(c.parameter("FunctionName"))
                return .empty()
            },
            "UpdateFunctionCode": { (c: ServiceCall) async throws -> ServiceReply in
                .json(try await f.updateCode(c.parameter("FunctionName"), zip: try Self.zip(try Self.body(c))).json)
            },
            "UpdateFunctionConfiguration": { (c: ServiceCall) async throws -> ServiceReply in
                let b = try Self.body(c)
                let config = try await f.updateConfiguration(
                    c.parameter("FunctionName"), timeout: b["Timeout"]?.integerValue.map(Int.init),
                    memory: b["MemorySize"]?.integerValue.map(Int.init), handler: b["Handler"]?.stringValue,
                    environment: Self.environment(b["Environment"]))
                if let target = b["DeadLetterConfig"]?["TargetArn"]?.stringValue {
                    return .json(try await f.setDeadLetter(config.name, target: target).json)
                }
                return .json(config.json)
            },
            "PutFunctionEventInvokeConfig": { (c: ServiceCall) async throws -> ServiceReply in
                let b = try Self.body(c)
                return .json(try await f.setEventInvokeConfig(
                    c.parameter("FunctionName"), maximumRetryAttempts: b["MaximumRetryAttempts"]?.integerValue.map(Int.init),
                    maximumEventAgeSeconds: b["MaximumEventAgeInSeconds"]?.integerValue.map(Int.init),
                    onFailure: b["DestinationConfig"]?["OnFailure"]?["Destination"]?.stringValue,
                    onSuccess: b["DestinationConfig"]?["OnSuccess"]?["Destination"]?.stringValue))
            },
            "GetFunctionEventInvokeConfig": { (c: ServiceCall) async throws -> ServiceReply in
                .json(await f.eventInvokeConfig(try await Self.existing(f, c.parameter("FunctionName"))))
            },
            "ListFailedInvocations": { (_: ServiceCall) async throws -> ServiceReply in
                .json(["FailedInvocations": .array(await f.failedInvocations())])
            },
            "Invoke": { (c: ServiceCall) async throws -> ServiceReply in try await Self.invoke(f, c) },
        ]
    }

    package var taskResources: [TaskResourceBinding] {
        let handler = LambdaTaskHandler(functions: functions)
        return [TaskResourceBinding(.resource(LambdaTaskHandler.invokeResource), handler), TaskResourceBinding(.functions, handler)]
    }

    package var backgroundServices: [any ServiceLifecycle.Service] { asyncWorker.map { worker in [LoopService { await worker.run() }] } ?? [] }

    // MARK: helpers

    static func invoke(_ f: FunctionService, _ c: ServiceCall) async throws(ServiceError) -> ServiceReply {
        let name = c.parameter("FunctionName")
        let type = c.headers["x-amz-invocation-type"] ?? "RequestResponse"
        let payload = c.body
        if !payload.isEmpty, (try? JSONParser.parse(payload)) == nil {
            throw ServiceError("InvalidRequestContentException", "Could not parse request body into json")
        }
        switch type {
        case "Event":
            let id = try await f.enqueueAsync(name, payload: payload.isEmpty ? Array("{}".utf8) : payload, traceHeader: c.traceHeader)
            return .empty(status: 202, headers: [("x-amzn-RequestId", id)])
        case "DryRun":
            _ = try await existing(f, name)
            return .empty()
        default:
            let result = try await f.invoke(name, payload: payload.isEmpty ? Array("{}".utf8) : payload, traceHeader: c.traceHeader)
            var headers: [(String, String)] = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", "$LATEST")]
            if let fe = result.functionError { headers.append(("X-Amz-Function-Error", fe)) }
            if c.headers["x-amz-log-type"] == "Tail" { headers.append(("X-Amz-Log-Result", FunctionService.logTail(result))) }
            return ServiceReply(status: 200, headers: headers, body: result.payload)
        }
    }

    static func existing(_ f: FunctionService, _ name: String) async throws(ServiceError) -> FunctionConfig {
        guard let config = await f.get(name) else {
            throw ServiceError("ResourceNotFoundException", "Function not found: \(await f.arn(FunctionService.functionName(name)))", kind: .notFound)
        }
        return config
    }

    static func body(_ c: ServiceCall) throws(ServiceError) -> JSON {
        if let parsed = c.parsedBody { return parsed }
        guard let parsed = try? JSONParser.parse(c.body.isEmpty ? Array("{}".utf8) : c.body) else {
            throw ServiceError("InvalidRequestContentException", "Could not parse request body into json")
        }
        return parsed
    }

    static func zip(_ code: JSON?) throws(ServiceError) -> [UInt8] {
        guard let text = code?["ZipFile"]?.stringValue, let data = Data(base64Encoded: text) else {
            throw ServiceError("InvalidParameterValueException", "Code.ZipFile (a base64 zip archive) is required")
        }
        return [UInt8](data)
    }

    static func environment(_ json: JSON?) -> [String: String]? {
        guard let vars = json?["Variables"]?.objectValue else { return nil }
        var out: [String: String] = [:]
        for (k, v) in vars { out[k] = v.stringValue ?? v.serialized }
        return out
    }
}
