import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `baton history ARN`: an execution's history as the server sends it, one event per line,
/// with every detail (the aws CLI drops detail members it does not model, such as webhook
/// deliveries').
struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print an execution's history, one JSON event per line.")

    @OptionGroup var endpoint: WebhookCommand.Endpoint
    @Argument(help: "The execution ARN.") var executionArn: String

    func run() async throws {
        guard let url = URL(string: endpoint.endpoint + "/") else { throw ValidationError("bad endpoint \(endpoint.endpoint)") }
        var token: String?
        repeat {
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            request.setValue("AWSStepFunctions.GetExecutionHistory", forHTTPHeaderField: "X-Amz-Target")
            request.setValue("application/x-amz-json-1.0", forHTTPHeaderField: "Content-Type")
            var body: [String: Any] = ["executionArn": executionArn, "maxResults": 1000]
            if let token { body["nextToken"] = token }
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            let (data, response) = try await URLSession.shared.data(for: request)
            guard (response as? HTTPURLResponse)?.statusCode == 200,
                  let page = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                print(String(decoding: data, as: UTF8.self))
                throw ExitCode(1)
            }
            for event in page["events"] as? [Any] ?? [] {
                let line = try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])
                print(String(decoding: line, as: UTF8.self))
            }
            token = page["nextToken"] as? String
        } while token != nil
    }
}
