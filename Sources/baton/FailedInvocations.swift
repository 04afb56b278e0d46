import ArgumentParser
import Foundation
import Integrations
import StatesLanguage

/// Lists asynchronous function events that exhausted their retries.
struct FailedInvocations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failed-invocations", abstract: "List asynchronous function events that exhausted their retries.")

    @Option(help: "The data directory.") var dataDir = "./baton-data"

    func run() async throws {
        let functions = FunctionService(directory: dataDir + "/functions")
        for entry in await functions.failedInvocations() { print(entry.serialized) }
    }
}
