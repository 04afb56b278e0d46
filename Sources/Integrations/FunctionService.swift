import Engine
import Journal
import ServiceKit
import Foundation
import Logging
import StatesInterpreter
import StatesLanguage

/// A function's configuration, as GetFunction's `Configuration` shows it.
package struct FunctionConfig: Sendable, Equatable {
    package var name: String
    package var arn: String
    package var runtime: String
    package var handler: String
    package var timeoutSeconds: Int
    package var memoryMB: Int
    package var environment: [String: String]
    package var role: String
    package var lastModified: String
    package var codeSize: Int
    /// The base64 SHA-256 of the deployment package, as Lambda reports it. It changes with the
    /// code even when the size does not, so a node comparing configurations sees new code.
    package var codeSha256 = ""
    /// Asynchronous invocation: retries after the first attempt, event age, on-failure destination.
    package var maximumRetryAttempts = 2
    package var maximumEventAgeSeconds = 21600
    package var onFailureDestination: String?
    package var onSuccessDestination: String?
    /// DeadLetterConfig's TargetArn: an SQS queue or SNS topic that gets the event of an
    /// asynchronous invocation that used up its tries.
    package var deadLetterTarget: String?

    package var json: JSON {
        var env = JSONObject()
        for (k, v) in environment.sorted(by: { $0.key < $1.key }) { env[k] = .string(v) }
        return ["FunctionName": .string(name), "FunctionArn": .string(arn), "Runtime": .string(runtime), "Handler": .string(handler),
                "Timeout": .int(Int64(timeoutSeconds)), "MemorySize": .int(Int64(memoryMB)), "Role": .string(role),
                "LastModified": .string(lastModified), "CodeSize": .int(Int64(codeSize)), "CodeSha256": .string(codeSha256), "Version": "$LATEST", "State": "Active",
                "PackageType": "Zip", "Environment": ["Variables": .object(env)],
                "BatonEventInvoke": ["MaximumRetryAttempts": .int(Int64(maximumRetryAttempts)),
                                     "MaximumEventAgeInSeconds": .int(Int64(maximumEventAgeSeconds)),
                                     "OnFailure": onFailureDestination.map(JSON.string) ?? .null,
                                     "OnSuccess": onSuccessDestination.map(JSON.string) ?? .null],
                "DeadLetterConfig": deadLetterTarget.map { ["TargetArn": .string($0)] } ?? .object([:])]
    }

    init?(json: JSON) {
        guard let name = json["FunctionName"]?.stringValue, let arn = json["FunctionArn"]?.stringValue else { return nil }
        self.name = name
        self.arn = arn
        runtime = json["Runtime"]?.stringValue ?? "python3.12"
        handler = json["Handler"]?.stringValue ?? "index.handler"
        timeoutSeconds = Int(json["Timeout"]?.integerValue ?? 3)
        memoryMB = Int(json["MemorySize"]?.integerValue ?? 128)
        role = json["Role"]?.stringValue ?? ""
        lastModified = json["LastModified"]?.stringValue ?? ""
        codeSize = Int(json["CodeSize"]?.integerValue ?? 0)
        codeSha256 = json["CodeSha256"]?.stringValue ?? ""
        var env: [String: String] = [:]
        for (k, v) in json["Environment"]?["Variables"]?.objectValue ?? JSONObject() { env[k] = v.stringValue }
        environment = env
        if let e = json["BatonEventInvoke"] {
            maximumRetryAttempts = Int(e["MaximumRetryAttempts"]?.integerValue ?? 2)
            maximumEventAgeSeconds = Int(e["MaximumEventAgeInSeconds"]?.integerValue ?? 21600)
            onFailureDestination = e["OnFailure"]?.stringValue
            onSuccessDestination = e["OnSuccess"]?.stringValue
        }
        deadLetterTarget = json["DeadLetterConfig"]?["TargetArn"]?.stringValue
    }

    init(name: String, arn: String, runtime: String, handler: String, timeoutSeconds: Int, memoryMB: Int,
         environment: [String: String], role: String, lastModified: String, codeSize: Int, codeSha256: String = "") {
        self.name = name
        self.arn = arn
        self.runtime = runtime
        self.handler = handler
        self.timeoutSeconds = timeoutSeconds
        self.memoryMB = memoryMB
        self.environment = environment
        self.role = role
        self.lastModified = lastModified
        self.codeSize = codeSize
        self.codeSha256 = codeSha256
    }

    /// Lambda's LastModified for a change made now.
    static func now() -> String { Timestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000)).iso8601 }

    /// CodeSha256: the base64 SHA-256 of the zip as uploaded.
    static func sha256(_ zip: [UInt8]) -> String { Base64.encode(Hashing.sha256(zip)) }
}

/// Lambda's errors (`ResourceNotFoundException`, `InvalidParameterValueException`, …) are the seam's one error type.
package typealias FunctionError = ServiceError

/// What an invocation produced: the payload bytes, and the function error kind when it failed.
package struct InvocationResult: Sendable {
    package var payload: [UInt8]
    /// "Unhandled" when the handler raised (Lambda's `X-Amz-Function-Error`).
    package var functionError: String?
    package var logs: String
    package var requestId: String
}

/// Where function definitions are kept durably (the journal's database, in `baton serve`);
/// the data directory holds the unpacked code as a cache rebuilt from it.
package protocol FunctionPersistence: Sendable {
    func save(name: String, config: String, code: [UInt8]?) async throws
    func remove(name: String) async throws
    func all() async throws -> [(name: String, config: String, code: [UInt8]?)]
}

/// Functions that run on this machine: code and configuration under the data directory
/// (and in `persistence`), warm worker processes per function.
package actor FunctionService {
    let persistence: (any FunctionPersistence)?
    let directory: String
    let region: String
    let account: String
    private var functions: [String: FunctionConfig] = [:]
    private var sharedStore = false
    private var refreshLocks: [String: [CheckedContinuation<Void, Never>]] = [:]
    /// Where asynchronous invocations wait (the journal's durable queue), and who performs them.
    var asyncQueue: (store: any DurableQueueStore, worker: QueueWorker, now: @Sendable () -> Int64)?
    private var idle: [String: [RuntimeWorker]] = [:]
    private var busy: [String: Int] = [:]
    package let concurrencyLimit: Int
    /// Where the runtimes' own output goes (the server's log).
    package var logger = Logger(label: "baton.functions")

    package func useLogger(_ logger: Logger) { self.logger = logger }

    package init(directory: String, region: String = "us-east-1", account: String = "000000000000", concurrencyLimit: Int = 8,
                 persistence: (any FunctionPersistence)? = nil) {
        self.persistence = persistence
        self.directory = directory
        self.region = region
        self.account = account
        self.concurrencyLimit = concurrencyLimit
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let path = "\(directory)/\(name)/config.json"
            if let data = FileManager.default.contents(atPath: path), let json = try? JSONParser.parse([UInt8](data)),
               let config = FunctionConfig(json: json) {
                functions[config.name] = config
            }
        }
        try? RuntimeWorker.bootstrap.write(toFile: directory + "/.bootstrap.py", atomically: true, encoding: .utf8)
        try? RuntimeWorker.nodeBootstrap.write(toFile: directory + "/.bootstrap.js", atomically: true, encoding: .utf8)
    }

    /// Any executable: the Handler is its command line (relative paths inside the code), the event
    /// arrives on stdin as JSON, the result is read from stdout; a non-zero exit is an error.
    package static let commandRuntime = "baton.command"
    /// An HTTP endpoint: the Handler is a URL; the event is POSTed, the response body is the result.
    package static let httpRuntime = "baton.http"

    /// A request id in Lambda's UUID shape, from fresh randomness.
    static func newRequestId() -> String {
        var g = SystemRandomNumberGenerator()
        var source = RandomSource(seed: g.next())
        return source.uuid()
    }

    package func arn(_ name: String) -> String { "arn:aws:lambda:\(region):\(account):function:\(name)" }

    /// Accepts a name, a partial ARN or a full ARN (with an optional qualifier).
    package static func functionName(_ reference: String) -> String {
        let parts = reference.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count >= 7, parts[0] == "arn" { return String(parts[6]) }
        if parts.count >= 3, parts[1] == "function" { return String(parts[2]) }
        return String(parts[0])
    }

    /// Brings back every function the durable store has, unpacking code that is not on disk.
    package func restore() async throws(FunctionError) {
        guard let stored = try await storedFunctions() else { return }
        for f in stored {
            guard let json = try? JSONParser.parse(f.config), let config = FunctionConfig(json: json) else { continue }
            if !FileManager.default.fileExists(atPath: "\(directory)/\(config.name)/code"), let code = f.code, config.runtime != Self.httpRuntime {
                try await unpack(name: config.name, zip: code)
            }
            try? FileManager.default.createDirectory(atPath: "\(directory)/\(config.name)/code", withIntermediateDirectories: true)
            try save(config)
            functions[config.name] = config
        }
    }

    typealias StoredFunction = (name: String, config: String, code: [UInt8]?)

    /// Every function in the durable store; nil when there is none (functions kept in memory).
    private func storedFunctions() async throws(FunctionError) -> [StoredFunction]? {
        guard let persistence else { return nil }
        do { return try await persistence.all() } catch { throw FunctionError("ServiceException", "cannot read functions: \(error)", kind: .server) }
    }

    /// Reads one function again from the shared store (another node of a cluster created,
    /// changed or deleted it): its configuration and code replace this node's, and its warm
    /// workers, running the old code, go.
    package func refresh(_ name: String) async throws(FunctionError) {
        try await refresh(name, from: nil)
    }

    /// Reads every function again from the shared store: what a node does when it starts
    /// listening for changes (at start, after `restore`, and after its notice connection
    /// dropped), since a change made before then sent a notice nobody heard.
    package func refreshAll() async throws(FunctionError) {
        guard let stored = try await storedFunctions() else { return }
        for name in Set(stored.map(\.name)).union(functions.keys).sorted() { try await refresh(name, from: stored) }
    }

    /// `stored`: the store's functions when already read, else they are read here.
    private func refresh(_ name: String, from stored: [StoredFunction]?) async throws(FunctionError) {
        // One refresh of a function at a time (a notice and a lookup can ask at once): a second
        // unpacking under a starting worker would pull its code away.
        if refreshLocks[name] != nil {
            await withCheckedContinuation { refreshLocks[name, default: []].append($0) }
        } else {
            refreshLocks[name] = []
        }
        defer {
            if var waiting = refreshLocks[name], !waiting.isEmpty {
                let next = waiting.removeFirst()
                refreshLocks[name] = waiting
                next.resume()
            } else {
                refreshLocks[name] = nil
            }
        }
        try await refreshHoldingLock(name, from: stored)
    }

    private func refreshHoldingLock(_ name: String, from given: [StoredFunction]?) async throws(FunctionError) {
        let stored: [StoredFunction]
        if let given { stored = given } else if let read = try await storedFunctions() { stored = read } else { return }
        guard let f = stored.first(where: { $0.name == name }), let json = try? JSONParser.parse(f.config),
              let config = FunctionConfig(json: json) else {
            for w in idle.removeValue(forKey: name) ?? [] { w.kill() }
            functions[name] = nil
            try? FileManager.default.removeItem(atPath: "\(directory)/\(name)")
            return
        }
        // Unchanged (this node made the change, or read it already): nothing to unpack.
        if functions[name] == config { return }
        for w in idle.removeValue(forKey: name) ?? [] { w.kill() }
        if let code = f.code, config.runtime != Self.httpRuntime { try await unpack(name: name, zip: code) }
        try? FileManager.default.createDirectory(atPath: "\(directory)/\(name)/code", withIntermediateDirectories: true)
        try save(config)
        functions[name] = config
    }

    func persist(_ config: FunctionConfig, code: [UInt8]?) async throws(FunctionError) {
        do { try await persistence?.save(name: config.name, config: config.json.serialized, code: code) } catch {
            throw FunctionError("ServiceException", "cannot store the function: \(error)", kind: .server)
        }
    }

    package func create(name: String, runtime: String, handler: String, zip: [UInt8], timeout: Int, memory: Int,
                        environment: [String: String], role: String) async throws(FunctionError) -> FunctionConfig {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw FunctionError("InvalidParameterValueException", "Invalid function name: \(name)")
        }
        guard functions[name] == nil else {
            throw FunctionError("ResourceConflictException", "Function already exist: \(name)", kind: .conflict)
        }
        guard runtime.hasPrefix("python3") || runtime.hasPrefix("nodejs") || runtime == Self.commandRuntime || runtime == Self.httpRuntime else {
            throw FunctionError("InvalidParameterValueException",
                                "The runtime parameter of \(runtime) is not supported; use python3.x, nodejsNN.x, \(Self.commandRuntime) or \(Self.httpRuntime)")
        }
        guard (1...900).contains(timeout) else { throw FunctionError("InvalidParameterValueException", "Timeout must be between 1 and 900 seconds") }
        if runtime == Self.httpRuntime {
            try? FileManager.default.createDirectory(atPath: "\(directory)/\(name)/code", withIntermediateDirectories: true)
        } else {
            try await unpack(name: name, zip: zip)
        }
        let config = FunctionConfig(name: name, arn: arn(name), runtime: runtime, handler: handler, timeoutSeconds: timeout,
                                    memoryMB: memory, environment: environment, role: role,
                                    lastModified: FunctionConfig.now(), codeSize: zip.count, codeSha256: FunctionConfig.sha256(zip))
        try save(config)
        try await persist(config, code: zip)
        functions[name] = config
        return config
    }

    func unpack(name: String, zip: [UInt8]) async throws(FunctionError) {
        let dir = "\(directory)/\(name)"
        let code = dir + "/code"
        try? FileManager.default.removeItem(atPath: code)
        do {
            try FileManager.default.createDirectory(atPath: code, withIntermediateDirectories: true)
            let archive = dir + "/code.zip"
            try Data(zip).write(to: URL(fileURLWithPath: archive))
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            // extractall drops permissions: restore each file's mode so executables stay executable.
            let script = """
                import os, sys, zipfile
                z = zipfile.ZipFile(sys.argv[1])
                for info in z.infolist():
                    path = z.extract(info, sys.argv[2])
                    mode = (info.external_attr >> 16) & 0o777
                    if mode:
                        os.chmod(path, mode)
                """
            p.arguments = ["python3", "-c", script, archive, code]
            // The unzipper's complaint (a Python traceback) becomes the error's last line, not
            // raw text on the server's stderr.
            let errors = Pipe()
            p.standardError = errors
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            // The unzipper is waited for off the task threads (see `BlockingWork`).
            let (complaint, status) = await BlockingWork.run {
                let complaint = errors.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                return (complaint, p.terminationStatus)
            }
            guard status == 0 else {
                let last = String(decoding: complaint, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
                let reason = last.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                throw FunctionError("InvalidParameterValueException", "Could not unzip uploaded file. Please check your file, then try to upload again." + (reason.isEmpty ? "" : " (\(reason))"))
            }
        } catch let e as FunctionError {
            throw e
        } catch {
            throw FunctionError("ServiceException", "Cannot store the code: \(error)", kind: .server)
        }
    }

    func save(_ config: FunctionConfig) throws(FunctionError) {
        do {
            try Data(config.json.serialized.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(config.name)/config.json"), options: .atomic)
        } catch {
            throw FunctionError("ServiceException", "Cannot store the configuration: \(error)", kind: .server)
        }
    }

    package func get(_ reference: String) -> FunctionConfig? { functions[Self.functionName(reference)] }

    /// Nodes of a cluster share the store: a function this node does not know may have been
    /// created through another a moment ago (before its notice arrived). Set by `baton serve --node-id`.
    package func shareStore() { sharedStore = true }

    /// The function, read again from a shared store when this node does not know it.
    func lookup(_ reference: String) async -> FunctionConfig? {
        if let config = get(reference) { return config }
        guard sharedStore else { return nil }
        try? await refresh(Self.functionName(reference))
        return get(reference)
    }
    func replace(_ config: FunctionConfig) { functions[config.name] = config }
    package func list() -> [FunctionConfig] { functions.values.sorted { $0.name < $1.name } }

    package func delete(_ reference: String) async throws(FunctionError) {
        let name = Self.functionName(reference)
        guard functions.removeValue(forKey: name) != nil else { throw notFound(reference) }
        try? await persistence?.remove(name: name)
        for w in idle.removeValue(forKey: name) ?? [] { w.kill() }
        try? FileManager.default.removeItem(atPath: "\(directory)/\(name)")
    }

    package func updateCode(_ reference: String, zip: [UInt8]) async throws(FunctionError) -> FunctionConfig {
        guard var config = get(reference) else { throw notFound(reference) }
        try await unpack(name: config.name, zip: zip)
        config.codeSize = zip.count
        config.codeSha256 = FunctionConfig.sha256(zip)
        config.lastModified = FunctionConfig.now()
        try save(config)
        try await persist(config, code: zip)
        functions[config.name] = config
        for w in idle.removeValue(forKey: config.name) ?? [] { w.kill() }
        return config
    }

    package func updateConfiguration(_ reference: String, timeout: Int?, memory: Int?, handler: String?, environment: [String: String]?)
        async throws(FunctionError) -> FunctionConfig
    {
        guard var config = get(reference) else { throw notFound(reference) }
        if let timeout { config.timeoutSeconds = timeout }
        if let memory { config.memoryMB = memory }
        if let handler { config.handler = handler }
        if let environment { config.environment = environment }
        config.lastModified = FunctionConfig.now()
        try save(config)
        try await persist(config, code: nil)
        functions[config.name] = config
        for w in idle.removeValue(forKey: config.name) ?? [] { w.kill() }
        return config
    }

    /// Sets DeadLetterConfig (an empty TargetArn clears it).
    package func setDeadLetter(_ reference: String, target: String) async throws(FunctionError) -> FunctionConfig {
        guard var config = get(reference) else { throw notFound(reference) }
        guard target.isEmpty || target.hasPrefix("arn:aws:sqs:") || target.hasPrefix("arn:aws:sns:") else {
            throw FunctionError("InvalidParameterValueException", "The DeadLetterConfig TargetArn must be an SQS queue or an SNS topic ARN.")
        }
        config.deadLetterTarget = target.isEmpty ? nil : target
        try save(config)
        try await persist(config, code: nil)
        functions[config.name] = config
        return config
    }

    func notFound(_ reference: String) -> FunctionError {
        FunctionError("ResourceNotFoundException", "Function not found: \(arn(Self.functionName(reference)))", kind: .notFound)
    }

    // MARK: invocation

    /// Callers waiting for one of a busy function's workers, oldest first.
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]
    /// Beyond this many waiting callers a function answers TooManyRequestsException, as Lambda does.
    static let maximumWaiting = 10_000

    private func checkout(_ config: FunctionConfig) async throws(FunctionError) -> RuntimeWorker {
        // At the concurrency limit, wait for a worker rather than refuse at once.
        while busy[config.name, default: 0] >= concurrencyLimit && (idle[config.name] ?? []).isEmpty {
            guard (waiting[config.name]?.count ?? 0) < Self.maximumWaiting else {
                throw FunctionError("TooManyRequestsException", "Rate Exceeded.", kind: .throttled)
            }
            await withCheckedContinuation { waiting[config.name, default: []].append($0) }
        }
        while var pool = idle[config.name], let w = pool.popLast() {
            idle[config.name] = pool
            if w.isAlive {
                busy[config.name, default: 0] += 1
                return w
            }
        }
        guard busy[config.name, default: 0] < concurrencyLimit else {
            throw FunctionError("TooManyRequestsException", "Rate Exceeded.", kind: .throttled)
        }
        do {
            let code = "\(directory)/\(config.name)/code"
            let arguments = config.runtime.hasPrefix("nodejs")
                ? ["node", directory + "/.bootstrap.js", code, config.handler]
                : ["python3", "-u", directory + "/.bootstrap.py", code, config.handler]
            let w = try RuntimeWorker(arguments: arguments, environment: config.environment, function: config.name, logger: logger)
            busy[config.name, default: 0] += 1
            return w
        } catch {
            throw FunctionError("ServiceException", "Cannot start the runtime: \(error)", kind: .server)
        }
    }

    /// Gives back a worker that ran under `config`. A change to the function while it ran
    /// (here or, in a cluster, on another node) emptied the idle pool then; this worker,
    /// busy at the time, runs the old code and goes too instead of serving the next call.
    private func checkin(_ config: FunctionConfig, _ w: RuntimeWorker, healthy: Bool) {
        let name = config.name
        busy[name, default: 1] -= 1
        if healthy, functions[name] == config { idle[name, default: []].append(w) } else { w.kill() }
        if var queue = waiting[name], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[name] = queue.isEmpty ? nil : queue
            next.resume()
        }
    }

    /// Runs the handler on a warm worker; the worker is killed when the timeout passes.
    /// `traceHeader`: the caller's trace (X-Ray's spelling), given to the handler as Lambda
    /// does, in `_X_AMZN_TRACE_ID` (and as a W3C `TRACEPARENT` for OpenTelemetry).
    package func invoke(_ reference: String, payload: [UInt8], traceHeader: String? = nil) async throws(FunctionError) -> InvocationResult {
        let incoming = traceHeader.flatMap { TraceContext(header: $0) }
        let traceId = incoming?.traceId ?? Spans.newTraceId()
        guard Spans.enabled, Spans.sampled(incoming, traceId: traceId) else { return try await run(reference, payload: payload, traceHeader: traceHeader) }
        // Traced: the invocation is a span, child of the caller's, and the handler's trace
        // header names it as the parent of whatever the handler does.
        let id = Spans.newSpanId(), start = Spans.nowNanos()
        var failure: String?
        defer {
            Spans.emit(SpanRecord(traceId: traceId, spanId: id, parentSpanId: incoming?.parentId, name: "function \(reference.split(separator: ":").last ?? "")",
                                  kind: .server, startNanos: start, endNanos: Spans.nowNanos(),
                                  attributes: [("faas.name", .string(String(reference.split(separator: ":").last ?? ""))), ("faas.trigger", .string("other"))],
                                  error: failure))
        }
        do throws(FunctionError) {
            let result = try await run(reference, payload: payload, traceHeader: TraceContext(traceId: traceId, parentId: id, sampled: true).xray)
            failure = result.functionError
            return result
        } catch {
            failure = "\(error)"
            throw error
        }
    }

    private func run(_ reference: String, payload: [UInt8], traceHeader: String?) async throws(FunctionError) -> InvocationResult {
        guard let config = await lookup(reference) else { throw notFound(reference) }
        if config.runtime == Self.commandRuntime {
            return await CommandRuntime.invoke(config, codeDirectory: "\(directory)/\(config.name)/code", payload: payload, traceHeader: traceHeader)
        }
        if config.runtime == Self.httpRuntime { return await CommandRuntime.post(config, payload: payload) }
        let worker = try await checkout(config)
        let requestId = Self.newRequestId()
        let request: JSON = ["event": .string(String(decoding: payload, as: UTF8.self)), "functionName": .string(config.name),
                             "functionArn": .string(config.arn), "requestId": .string(requestId),
                             "timeoutMs": .int(Int64(config.timeoutSeconds * 1000)), "memory": .int(Int64(config.memoryMB)),
                             "traceId": traceHeader.map { .string($0) } ?? .null,
                             "traceparent": traceHeader.flatMap { TraceContext(xray: $0)?.traceparent }.map { .string($0) } ?? .null]
        let timeout = UInt64(config.timeoutSeconds) * 1_000_000_000
        let answer: JSON? = await withTaskGroup(of: JSON?.self) { group in
            group.addTask { await worker.call(request) }
            group.addTask {
                try? await Task.sleep(nanoseconds: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            if first == nil { worker.kill() }
            return first
        }
        checkin(config, worker, healthy: answer != nil)
        guard let answer else {
            let message = "Task timed out after \(config.timeoutSeconds).00 seconds"
            let body: JSON = ["errorMessage": .string("\(Timestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000)).iso8601) \(requestId) \(message)")]
            return InvocationResult(payload: body.serializedBytes, functionError: "Unhandled", logs: "", requestId: requestId)
        }
        let logs = answer["logs"]?.stringValue ?? ""
        if let error = answer["error"] {
            return InvocationResult(payload: error.serializedBytes, functionError: "Unhandled", logs: logs, requestId: requestId)
        }
        let text = answer["ok"]?.stringValue ?? answer["raw"]?.stringValue ?? "null"
        return InvocationResult(payload: Array(text.utf8), functionError: nil, logs: logs, requestId: requestId)
    }
}

extension FunctionService {
    /// Lambda's log tail: START/END/REPORT around what the handler printed, base64, last 4 KB.
    package static func logTail(_ r: InvocationResult) -> String {
        let text = "START RequestId: \(r.requestId) Version: $LATEST\n\(r.logs)END RequestId: \(r.requestId)\nREPORT RequestId: \(r.requestId)\n"
        return Data(text.utf8.suffix(4096)).base64EncodedString()
    }
}
