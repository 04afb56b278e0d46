import Engine
import Foundation
import Journal
import StatesInterpreter
import StatesLanguage

/// Execution logging, as `loggingConfiguration` asks for it: each committed event of a state
/// machine that logs is written, in the record shape AWS sends to CloudWatch Logs, to an NDJSON
/// file per log group under the data directory (`logs/<group name>.ndjson`, rotated at 64 MiB,
/// five kept). Written after the step commits and never fsynced: like CloudWatch delivery, a
/// log is not part of the run's durability (its history is).
package final class ExecutionLogs: @unchecked Sendable {
    // @unchecked Sendable: `files` and `configurations` are touched only under their locks.
    let directory: String
    let journal: any JournalStore
    private let configurations = LockedValue<[String: LoggingConfiguration]>([:])
    private let lock = NSLock()
    private var files: [String: FileHandle] = [:]

    /// A file is rotated once it holds this much (64 MiB).
    let rotateBytes: UInt64
    package static let keptFiles = 5

    package init(directory: String, journal: any JournalStore, rotateBytes: UInt64 = 64 * 1024 * 1024) {
        self.directory = directory
        self.journal = journal
        self.rotateBytes = rotateBytes
    }

    /// The file a log group's records go to.
    package func path(logGroup: String) -> String {
        let safe = String(logGroup.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
        return directory + "/" + (safe.isEmpty ? "_" : safe) + ".ndjson"
    }

    /// A state machine's configuration changed (created, updated, deleted).
    package func set(_ stateMachineArn: String, _ configuration: LoggingConfiguration?) {
        configurations.mutate { $0[stateMachineArn] = configuration ?? .off }
    }

    func configuration(_ stateMachineArn: String) async -> LoggingConfiguration {
        if let known = configurations.value[stateMachineArn] { return known }
        let record = try? await journal.stateMachine(arn: stateMachineArn)
        let configuration = record.flatMap { Self.stored($0.attributes) } ?? .off
        configurations.mutate { $0[stateMachineArn] = configuration }
        return configuration
    }

    /// Whether a state machine's executions are logged at all.
    package func logs(_ stateMachineArn: String) async -> Bool {
        await configuration(stateMachineArn).level != .off
    }

    /// The configuration kept in a state machine's attributes.
    static func stored(_ attributes: String) -> LoggingConfiguration? {
        guard let parsed = try? JSONParser.parse(attributes), let json = parsed["loggingConfiguration"] else { return nil }
        return try? LoggingConfiguration(json)
    }

    /// Writes a step's events that the state machine's level logs.
    package func record(_ execution: ExecutionRecord, _ events: [HistoryEvent]) async {
        let configuration = await configuration(execution.stateMachineArn)
        guard configuration.level != .off, let group = configuration.logGroupName else { return }
        var lines: [UInt8] = []
        for event in events where configuration.logs(event.type) {
            lines += Self.line(event, execution: execution, includeData: configuration.includeExecutionData).serializedBytes
            lines.append(10)
        }
        guard !lines.isEmpty else { return }
        append(lines, to: path(logGroup: group))
    }

    /// One event as AWS's log record: `id`, `type`, `details`, `previous_event_id`,
    /// `event_timestamp` (milliseconds), `execution_arn` and `redrive_count`, numbers as text.
    static func line(_ event: HistoryEvent, execution: ExecutionRecord, includeData: Bool) -> JSON {
        var details = event.details
        for key in HistoryEvent.payloadKeys where details[key] != nil {
            if includeData {
                // Payloads are JSON text in a log record, as in the history.
                details[key] = details[key].map { .string($0.serialized) }
            } else {
                details[key] = nil
                details[key + "Details"] = nil
            }
        }
        return ["id": .string(String(event.id)), "type": .string(event.type), "details": .object(details),
                "previous_event_id": .string(String(event.previousEventId)),
                "event_timestamp": .string(String(event.timestamp.milliseconds)), "execution_arn": .string(execution.arn),
                "redrive_count": .string(String(execution.redriveCount))]
    }

    func append(_ bytes: [UInt8], to path: String) {
        lock.withLock {
            do {
                let handle = try open(path)
                try handle.write(contentsOf: bytes)
                if try handle.offset() >= rotateBytes { rotate(path) }
            } catch {
                files[path] = nil
            }
        }
    }

    private func open(_ path: String) throws -> FileHandle {
        if let h = files[path] { return h }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        guard let h = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileWriteUnknown) }
        try h.seekToEnd()
        files[path] = h
        return h
    }

    /// `x.ndjson` becomes `x.ndjson.1`, the older ones move up, the oldest is dropped.
    private func rotate(_ path: String) {
        try? files[path]?.close()
        files[path] = nil
        let fm = FileManager.default
        try? fm.removeItem(atPath: "\(path).\(Self.keptFiles - 1)")
        for i in stride(from: Self.keptFiles - 2, through: 1, by: -1) where fm.fileExists(atPath: "\(path).\(i)") {
            try? fm.moveItem(atPath: "\(path).\(i)", toPath: "\(path).\(i + 1)")
        }
        try? fm.moveItem(atPath: path, toPath: "\(path).1")
    }
}
