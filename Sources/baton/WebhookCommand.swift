import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `baton webhook …`: manage a running server's webhooks through its API.
struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "Create, inspect and delete the webhooks of a running Baton server.",
        subcommands: [Create.self, Update.self, Get.self, List.self, Delete.self, Deliveries.self])

    typealias Endpoint = ClientEndpoint

    /// Sends one request and prints the JSON answer; a non-2xx answer exits non-zero.
    static func send(_ endpoint: Endpoint, _ method: String, _ path: String, body: Data? = nil) async throws {
        let (status, data) = try await endpoint.send(method, path, body: body, headers: ["Content-Type": "application/json"])
        Output.emit(answer: data)
        if !(200..<300).contains(status) { throw ExitCode(1) }
    }

    static func file(_ path: String) throws -> Data {
        if path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        return data
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a webhook from a JSON configuration (see the README).")
        @OptionGroup var endpoint: Endpoint
        @Option(help: "The configuration file ('-' for stdin).") var file: String
        func run() async throws { try await WebhookCommand.send(endpoint, "POST", "/baton/webhooks", body: try WebhookCommand.file(file)) }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace a webhook's configuration (a missing secret is kept).")
        @OptionGroup var endpoint: Endpoint
        @Argument var name: String
        @Option(help: "The configuration file ('-' for stdin).") var file: String
        func run() async throws { try await WebhookCommand.send(endpoint, "PUT", "/baton/webhooks/\(name)", body: try WebhookCommand.file(file)) }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Describe a webhook (its secret is never shown).")
        @OptionGroup var endpoint: Endpoint
        @Argument var name: String
        func run() async throws { try await WebhookCommand.send(endpoint, "GET", "/baton/webhooks/\(name)") }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the webhooks.")
        @OptionGroup var endpoint: Endpoint
        func run() async throws { try await WebhookCommand.send(endpoint, "GET", "/baton/webhooks") }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a webhook.")
        @OptionGroup var endpoint: Endpoint
        @Argument var name: String
        func run() async throws { try await WebhookCommand.send(endpoint, "DELETE", "/baton/webhooks/\(name)") }
    }

    struct Deliveries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A webhook's delivery log, newest first.")
        @OptionGroup var endpoint: Endpoint
        @Argument var name: String
        @Option(help: "Only this correlation key.") var key: String?
        @Option(help: "At most this many.") var limit = 100
        func run() async throws {
            var path = "/baton/webhooks/\(name)/deliveries?limit=\(limit)"
            if let key, let escaped = key.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { path += "&key=\(escaped)" }
            try await WebhookCommand.send(endpoint, "GET", path)
        }
    }
}
