import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `baton export --since … --until … --out FILE.ndjson`: every execution started in the window
/// with its whole history, one JSON object per line (`{"execution": DescribeExecution's answer,
/// "events": [GetExecutionHistory's events]}`), for an audit trail outside the server. The file
/// appears only once complete (written beside it, then renamed); a terminal sees a progress bar.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Export executions with their full histories as NDJSON.")

    @OptionGroup var endpoint: ClientEndpoint
    @Option(help: "Executions started at or after this time (ISO 8601 date or date-time, or epoch seconds).") var since: String?
    @Option(help: "Executions started before this time (same forms).") var until: String?
    @Option(help: "Only this state machine's (name or ARN).") var stateMachine: String?
    @Option(help: "Only executions with this status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED).") var status: String?
    @Option(help: "The file to write (- for standard output).") var out: String

    func validate() throws {
        _ = try Self.epochMilliseconds(since, "--since")
        _ = try Self.epochMilliseconds(until, "--until")
    }

    /// A time flag as epoch milliseconds.
    static func epochMilliseconds(_ text: String?, _ flag: String) throws -> Int64? {
        guard let text else { return nil }
        if let seconds = Double(text) { return Int64(seconds * 1000) }
        let full = ISO8601DateFormatter()
        full.formatOptions = [.withInternetDateTime]
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        for f in [full, fractional, day] {
            if let date = f.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
        }
        throw ValidationError("\(flag) takes an ISO 8601 date (2026-12-01), date-time (2026-12-01T09:30:00Z) or epoch seconds, not '\(text)'")
    }

    func run() async throws {
        var query: [String: String] = ["maxResults": "1000"]
        if let from = try Self.epochMilliseconds(since, "--since") { query["startedAfter"] = String(from) }
        if let to = try Self.epochMilliseconds(until, "--until") { query["startedBefore"] = String(to) }
        if let stateMachine { query["stateMachineArn"] = try await endpoint.stateMachineArn(stateMachine) }
        if let status { query["statusFilter"] = status.uppercased() }
        let progress = Progress(enabled: out != "-" && isatty(STDERR_FILENO) == 1)
        // A first pass counts what the window holds, so the bar has an end.
        var total = 0
        try await pages(query) { total += $0.count }
        progress.total = total

        let target = out == "-" ? nil : out
        let partial = target.map { $0 + ".partial" }
        if let partial { _ = FileManager.default.createFile(atPath: partial, contents: nil) }
        guard let handle = partial.map({ FileHandle(forWritingAtPath: $0) }) ?? FileHandle.standardOutput else {
            throw ValidationError("cannot write \(out)")
        }
        var written = 0, events = 0
        try await pages(query) { page in
            for summary in page {
                guard let arn = summary["executionArn"] as? String else { continue }
                let execution = try await endpoint.stepFunctions("DescribeExecution", ["executionArn": arn])
                let history = try await self.history(arn)
                let line = try JSONSerialization.data(withJSONObject: ["execution": execution, "events": history],
                                                      options: [.sortedKeys, .withoutEscapingSlashes])
                handle.write(line + Data("\n".utf8))
                written += 1
                events += history.count
                progress.show(written)
            }
        }
        if let partial, let target {
            try handle.close()
            _ = try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.moveItem(atPath: partial, toPath: target)
        }
        progress.finish()
        FileHandle.standardError.write(Data("exported \(written) executions, \(events) events\(target.map { " to \($0)" } ?? "")\n".utf8))
    }

    /// Walks the console's execution list (every state machine's, newest first).
    func pages(_ query: [String: String], _ body: ([[String: Any]]) async throws -> Void) async throws {
        var token: String?
        repeat {
            var q = query
            if let token { q["nextToken"] = token }
            let text = q.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.value)" }
                .joined(separator: "&")
            let (status, data) = try await endpoint.send("GET", "/console/api/executions?" + text)
            guard status == 200, let page = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                FileHandle.standardError.write(Data("listing executions failed (HTTP \(status)): \(String(decoding: data, as: UTF8.self))\n".utf8))
                throw ExitCode(1)
            }
            try await body(page["executions"] as? [[String: Any]] ?? [])
            token = page["nextToken"] as? String
        } while token != nil
    }

    func history(_ arn: String) async throws -> [Any] {
        var all: [Any] = []
        var token: String?
        repeat {
            var body: [String: Any] = ["executionArn": arn, "maxResults": 1000]
            if let token { body["nextToken"] = token }
            let page = try await endpoint.stepFunctions("GetExecutionHistory", body)
            all += page["events"] as? [Any] ?? []
            token = page["nextToken"] as? String
        } while token != nil
        return all
    }

    /// A bar on standard error, redrawn in place, when it is a terminal.
    final class Progress {
        let enabled: Bool
        var total = 0
        private var last = -1

        init(enabled: Bool) { self.enabled = enabled }

        func show(_ done: Int) {
            guard enabled, total > 0 else { return }
            let width = 30
            let filled = min(width, done * width / total)
            let percent = done * 100 / total
            guard percent != last || done == total else { return }
            last = percent
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(Data("\r\(bar) \(done)/\(total) executions (\(percent)%)".utf8))
        }

        func finish() {
            if enabled && total > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
        }
    }
}
