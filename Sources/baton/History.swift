import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `baton history ARN`: an execution's history as the server sends it, with every detail (the
/// aws CLI drops detail members it does not model, such as webhook deliveries'). `--follow`
/// goes on printing each step's events as it commits (the console's live stream) until the
/// run ends.
struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print an execution's history; --follow streams it as it commits.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        /// Indented events on a terminal, one per line when piped (as every client command prints).
        case auto
        /// One JSON array of every event.
        case json
        /// One compact JSON event per line.
        case ndjson
        /// Columns: id, time, type, state, and what failed.
        case table
    }

    @OptionGroup var endpoint: ClientEndpoint
    @Argument(help: "The execution ARN.") var executionArn: String
    @Option(help: "auto, json, ndjson or table.") var format: Format = .auto
    @Flag(help: "Print events as they commit, until the execution ends.") var follow = false

    func validate() throws {
        if follow && format == .json { throw ValidationError("--follow prints events as they come: use --format ndjson, table or auto") }
    }

    func run() async throws {
        var printer = Printer(format: format)
        if follow {
            try await stream(&printer)
            return
        }
        var all: [[String: Any]] = []
        var token: String?
        repeat {
            var body: [String: Any] = ["executionArn": executionArn, "maxResults": 1000]
            if let token { body["nextToken"] = token }
            let (status, data) = try await endpoint.send("POST", "/", body: try JSONSerialization.data(withJSONObject: body), headers: [
                "X-Amz-Target": "AWSStepFunctions.GetExecutionHistory", "Content-Type": "application/x-amz-json-1.0",
            ])
            guard status == 200,
                  let page = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                print(String(decoding: data, as: UTF8.self))
                throw ExitCode(1)
            }
            let events = page["events"] as? [[String: Any]] ?? []
            if format == .json { all += events } else { for e in events { printer.print(e) } }
            token = page["nextToken"] as? String
        } while token != nil
        if format == .json { Output.emit(all) }
    }

    /// The live stream: what is there, then each step's events, until the end.
    func stream(_ printer: inout Printer) async throws {
        let query = "executionArn=" + (executionArn.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? executionArn)
        let request = try endpoint.request("GET", "/console/api/watch?" + query, headers: ["Accept": "text/event-stream"])
        do {
            for try await event in EventStream.open(request) where event.name == "events" {
                guard let events = try JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [[String: Any]] else { continue }
                for e in events { printer.print(e) }
            }
        } catch let failure as EventStream.Failure {
            FileHandle.standardError.write(Data("history failed (HTTP \(failure.status)): \(failure.body)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Prints events one at a time in a format.
    struct Printer {
        var format: Format
        var headerPrinted = false

        mutating func print(_ event: [String: Any]) {
            switch format {
            case .auto: Output.emit(event)
            case .json, .ndjson:
                let data = (try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
                Swift.print(String(decoding: data, as: UTF8.self))
            case .table:
                if !headerPrinted {
                    Swift.print(Self.row("ID", "TIME", "TYPE", "STATE", "DETAIL"))
                    headerPrinted = true
                }
                Swift.print(Self.table(event))
            }
            fflush(nil)  // each event as it comes (a pipe buffers otherwise)
        }

        static func row(_ id: String, _ time: String, _ type: String, _ state: String, _ detail: String) -> String {
            func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
            return pad(id, 6) + pad(time, 25) + pad(type, 30) + pad(state, 24) + detail
        }

        static func table(_ event: [String: Any]) -> String {
            let id = (event["id"] as? NSNumber)?.stringValue ?? "\(event["id"] ?? "")"
            var time = ""
            if let seconds = (event["timestamp"] as? NSNumber)?.doubleValue {
                let f = ISO8601DateFormatter()
                f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                time = f.string(from: Date(timeIntervalSince1970: seconds))
            }
            let type = event["type"] as? String ?? ""
            var state = "", detail = ""
            for (key, value) in event where key.hasSuffix("EventDetails") {
                guard let d = value as? [String: Any] else { continue }
                if let name = d["name"] as? String { state = name }
                if let error = d["error"] as? String { detail = error + ((d["cause"] as? String).map { ": " + $0 } ?? "") }
            }
            if detail.count > 100 { detail = String(detail.prefix(99)) + "…" }
            return row(id, time, type, state, detail)
        }
    }
}
