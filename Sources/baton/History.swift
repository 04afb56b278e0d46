import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `baton history ARN`: an execution's history as the server sends it, one event per line when
/// piped (indented on a terminal), with every detail (the aws CLI drops detail members it does not model, such as webhook
/// deliveries').
struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print an execution's history, one JSON event per line.")

    @OptionGroup var endpoint: ClientEndpoint
    @Argument(help: "The execution ARN.") var executionArn: String

    func run() async throws {
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
            for event in page["events"] as? [Any] ?? [] { Output.emit(event) }
            token = page["nextToken"] as? String
        } while token != nil
    }
}
