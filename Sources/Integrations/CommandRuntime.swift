import Journal
import ServiceKit
import Foundation
import StatesLanguage

/// The `baton.command` and `baton.http` runtimes: a process per invocation, or a POST.
enum CommandRuntime {
    static func requestId() -> String { FunctionService.newRequestId() }

    static func failure(_ type: String, _ message: String, _ id: String) -> InvocationResult {
        let body: JSON = ["errorMessage": .string(message), "errorType": .string(type), "requestId": .string(id), "stackTrace": []]
        return InvocationResult(payload: body.serializedBytes, functionError: "Unhandled", logs: "", requestId: id)
    }

    static func invoke(_ config: FunctionConfig, codeDirectory: String, payload: [UInt8], traceHeader: String? = nil) async -> InvocationResult {
        let id = requestId()
        var words = config.handler.split(separator: " ").map(String.init)
        guard !words.isEmpty else { return failure("Runtime.InvalidHandler", "The handler must be a command line", id) }
        if !words[0].hasPrefix("/") { words[0] = codeDirectory + "/" + words[0] }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: words[0])
        p.arguments = Array(words.dropFirst())
        p.currentDirectoryURL = URL(fileURLWithPath: codeDirectory)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in config.environment { env[k] = v }
        env["AWS_LAMBDA_FUNCTION_NAME"] = config.name
        env["AWS_REQUEST_ID"] = id
        if let traceHeader {
            env["_X_AMZN_TRACE_ID"] = traceHeader
            env["TRACEPARENT"] = TraceContext(xray: traceHeader)?.traceparent
        }
        p.environment = env
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        p.standardInput = stdin
        p.standardOutput = stdout
        p.standardError = stderr
        // Exit is observed through terminationHandler: Foundation's waitUntilExit polls (~50 ms).
        let (exits, exited) = AsyncStream.makeStream(of: Void.self)
        p.terminationHandler = { _ in
            exited.yield()
            exited.finish()
        }
        do { try p.run() } catch { return failure("Runtime.InvalidEntrypoint", "Cannot run \(words[0]): \(error)", id) }
        stdin.fileHandleForWriting.write(Data(payload))
        try? stdin.fileHandleForWriting.close()
        let timeout = UInt64(config.timeoutSeconds) * 1_000_000_000
        // Output is read by a blocking reader off the task threads; the timeout kills the process.
        let result: (Data, Data)? = await withTaskGroup(of: (Data, Data)?.self) { group in
            group.addTask {
                let (out, err) = await BlockingWork.run {
                    (stdout.fileHandleForReading.readDataToEndOfFile(), stderr.fileHandleForReading.readDataToEndOfFile())
                }
                for await _ in exits {}
                return (out, err)
            }
            group.addTask {
                try? await Task.sleep(nanoseconds: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            if first == nil, p.isRunning { p.terminate() }
            group.cancelAll()
            return first
        }
        guard let (out, err) = result else {
            return failure("Sandbox.Timedout", "Task timed out after \(config.timeoutSeconds).00 seconds", id)
        }
        let logs = String(decoding: err, as: UTF8.self)
        guard p.terminationStatus == 0 else {
            var r = failure("Runtime.ExitError", logs.isEmpty ? "exit status \(p.terminationStatus)" : logs.trimmingCharacters(in: .whitespacesAndNewlines), id)
            r.logs = logs
            return r
        }
        return InvocationResult(payload: out.isEmpty ? Array("null".utf8) : [UInt8](out), functionError: nil, logs: logs, requestId: id)
    }

    static func post(_ config: FunctionConfig, payload: [UInt8]) async -> InvocationResult {
        let id = requestId()
        guard let url = URL(string: config.handler) else { return failure("Runtime.InvalidHandler", "The handler must be a URL", id) }
        do {
            let r = try await OutboundHTTP.send("POST", to: url.absoluteString,
                                                headers: [("Content-Type", "application/json"), ("Lambda-Runtime-Aws-Request-Id", id)],
                                                body: payload, timeoutSeconds: Int64(config.timeoutSeconds))
            guard r.succeeded else {
                return failure("Runtime.HTTPError", "The endpoint answered \(r.status): \(String(decoding: r.body.prefix(500), as: UTF8.self))", id)
            }
            return InvocationResult(payload: r.body.isEmpty ? Array("null".utf8) : r.body, functionError: nil, logs: "", requestId: id)
        } catch {
            return failure("Runtime.HTTPError", "The endpoint could not be reached: \(error)", id)
        }
    }
}
