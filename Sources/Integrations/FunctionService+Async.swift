import ServiceKit
import Foundation
import StatesLanguage

/// Asynchronous invocation (InvocationType Event): the event is written to disk before the
/// 202 answer, performed by the queue loop with retries, and on final failure sent to the
/// function's on-failure destination — today the durable failed-invocations list.
extension FunctionService {
    var asyncDirectory: String { directory + "/.async" }
    var failedPath: String { directory + "/.failed-invocations.jsonl" }

    /// Accepts an event durably; returns its request id.
    package func enqueueAsync(_ reference: String, payload: [UInt8]) throws(FunctionError) -> String {
        guard let config = get(reference) else { throw notFound(reference) }
        let id = Self.newRequestId()
        let entry: JSON = ["requestId": .string(id), "function": .string(config.name),
                           "payload": .string(String(decoding: payload, as: UTF8.self)), "attempts": 0,
                           "enqueuedMillis": .int(Int64(Date().timeIntervalSince1970 * 1000))]
        do {
            try FileManager.default.createDirectory(atPath: asyncDirectory, withIntermediateDirectories: true)
            let path = "\(asyncDirectory)/\(id).json"
            let fd = open(path + ".tmp", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw FunctionError("ServiceException", "cannot queue the event", kind: .server) }
            let bytes = Array(entry.serialized.utf8)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            fsync(fd)
            close(fd)
            rename(path + ".tmp", path)
        } catch let e as FunctionError {
            throw e
        } catch {
            throw FunctionError("ServiceException", "cannot queue the event: \(error)", kind: .server)
        }
        asyncSignal?.yield()
        return id
    }

    package func setEventInvokeConfig(_ reference: String, maximumRetryAttempts: Int?, maximumEventAgeSeconds: Int?,
                                      onFailure: String?) async throws(FunctionError) -> JSON {
        guard var config = get(reference) else { throw notFound(reference) }
        if let r = maximumRetryAttempts {
            guard (0...2).contains(r) else { throw FunctionError("InvalidParameterValueException", "MaximumRetryAttempts must be between 0 and 2") }
            config.maximumRetryAttempts = r
        }
        if let a = maximumEventAgeSeconds {
            guard (60...21600).contains(a) else { throw FunctionError("InvalidParameterValueException", "MaximumEventAgeInSeconds must be between 60 and 21600") }
            config.maximumEventAgeSeconds = a
        }
        if let onFailure { config.onFailureDestination = onFailure }
        try save(config)
        try await persist(config, code: nil)
        replace(config)
        return eventInvokeConfig(config)
    }

    package func eventInvokeConfig(_ config: FunctionConfig) -> JSON {
        var o: JSONObject = ["FunctionArn": .string(config.arn), "MaximumRetryAttempts": .int(Int64(config.maximumRetryAttempts)),
                             "MaximumEventAgeInSeconds": .int(Int64(config.maximumEventAgeSeconds))]
        if let d = config.onFailureDestination { o["DestinationConfig"] = ["OnFailure": ["Destination": .string(d)]] }
        return .object(o)
    }

    /// The events that exhausted their retries, oldest first.
    package func failedInvocations() -> [JSON] {
        guard let data = FileManager.default.contents(atPath: failedPath) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
    }

    /// Performs queued events until cancelled; events left by a crash are performed at start.
    package func runAsyncQueue(retryDelaySeconds: Double = 1) async {
        let (signals, sink) = AsyncStream.makeStream(of: Void.self)
        asyncSignal = sink
        var iterator = signals.makeAsyncIterator()
        while !Task.isCancelled {
            await drainAsync(retryDelaySeconds: retryDelaySeconds)
            guard await iterator.next() != nil else { return }
        }
    }

    func drainAsync(retryDelaySeconds: Double) async {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: asyncDirectory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        for file in files {
            let path = "\(asyncDirectory)/\(file)"
            guard let data = FileManager.default.contents(atPath: path), let entry = try? JSONParser.parse([UInt8](data)),
                  let name = entry["function"]?.stringValue else {
                try? FileManager.default.removeItem(atPath: path)
                continue
            }
            let payload = Array((entry["payload"]?.stringValue ?? "{}").utf8)
            let retries = get(name)?.maximumRetryAttempts ?? 2
            let maximumAge = Int64(get(name)?.maximumEventAgeSeconds ?? 21600) * 1000
            let enqueued = entry["enqueuedMillis"]?.integerValue ?? 0
            var lastError = "Function not found"
            var delivered = false
            for attempt in 0...retries {
                // An event older than MaximumEventAgeInSeconds is not tried again.
                if Int64(Date().timeIntervalSince1970 * 1000) - enqueued > maximumAge {
                    lastError = "EventAgeExceeded: the event is older than \(maximumAge / 1000) seconds"
                    break
                }
                if attempt > 0 { try? await Task.sleep(nanoseconds: UInt64(retryDelaySeconds * Double(attempt) * 1e9)) }
                do {
                    let r = try await invoke(name, payload: payload)
                    if r.functionError == nil {
                        delivered = true
                        break
                    }
                    lastError = String(decoding: r.payload, as: UTF8.self)
                } catch {
                    lastError = error.message
                }
            }
            if !delivered {
                var record = entry.objectValue ?? JSONObject()
                record["error"] = .string(lastError)
                record["destination"] = .string(get(name)?.onFailureDestination ?? "baton:failed-invocations")
                record["failedMillis"] = .int(Int64(Date().timeIntervalSince1970 * 1000))
                if let handle = FileHandle(forWritingAtPath: failedPath) ?? {
                    FileManager.default.createFile(atPath: failedPath, contents: nil)
                    return FileHandle(forWritingAtPath: failedPath)
                }() {
                    handle.seekToEndOfFile()
                    handle.write(Data((JSON.object(record).serialized + "\n").utf8))
                    try? handle.synchronize()
                    try? handle.close()
                }
            }
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
