import ArgumentParser
import Engine
import Foundation
import HTTPAPI
import Hummingbird
import Integrations
import Journal
import Webhooks

/// `baton serve`: the service, on the embedded SQLite journal.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the AWS Step Functions API on one HTTP endpoint.")

    @Option(help: "The address to listen on (loopback by default).") var host = "127.0.0.1"
    @Option(help: "The port (8083, as Step Functions Local).") var port = 8083
    @Option(help: "The data directory (SQLite journal).") var dataDir = "./baton-data"
    @Option(help: "The region in ARNs.") var region = "us-east-1"
    @Option(help: "The account id in ARNs.") var account = "000000000000"
    @Option(help: "FULL (durable on power loss) or NORMAL.") var synchronous = "FULL"
    @Option(help: "Access key id that signed requests must use (or BATON_ACCESS_KEY_ID).") var accessKeyId: String?
    @Option(help: "Its secret (or BATON_SECRET_ACCESS_KEY).") var secretAccessKey: String?
    @Flag(help: "Require Signature Version 4 even on loopback.") var requireSignature = false

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let key = accessKeyId ?? env["BATON_ACCESS_KEY_ID"]
        let secret = secretAccessKey ?? env["BATON_SECRET_ACCESS_KEY"]
        var verifier: SigV4Verifier?
        if requireSignature || !Self.isLoopback(host) {
            // Beyond loopback every request is authenticated: refuse to start without a key.
            guard let key, let secret else {
                throw ValidationError("serving on \(host) requires --access-key-id and --secret-access-key (or BATON_ACCESS_KEY_ID and BATON_SECRET_ACCESS_KEY)")
            }
            verifier = SigV4Verifier(accessKeyId: key, secretAccessKey: secret)
        }
        let journal = try SQLiteJournal(directory: dataDir, synchronous: synchronous.uppercased() == "NORMAL" ? .normal : .full)
        let functions = FunctionService(directory: dataDir + "/functions", region: region, account: account,
                                        persistence: JournalFunctionPersistence(journal: journal))
        try await functions.restore()
        var registry = TaskRegistry()
        let lambda = LambdaTaskHandler(functions: functions)
        registry.register(LambdaTaskHandler.invokeResource, lambda)
        registry.register(prefix: "arn:aws:lambda:", lambda)
        let webhooks = WebhookDirectory(journal: journal)
        registry.register("arn:aws:states:::baton:webhook", WebhookTaskHandler(directory: webhooks))
        let engine = Engine(journal: journal, registry: registry)
        let api = StepFunctionsAPI(engine: engine, region: region, account: account)
        let router = BatonServer.router(api: api, verifier: verifier)
        LambdaAPI.routes(router, functions: functions)
        WebhookAPI.routes(router, receiver: WebhookReceiver(engine: engine, directory: webhooks), verifier: verifier)
        let app = Application(router: router,
                              configuration: .init(address: .hostname(host, port: port), serverName: "Baton"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await engine.run() }
            group.addTask { await functions.runAsyncQueue() }
            try await engine.recover()
            // Returns on SIGTERM/SIGINT after draining requests in flight.
            try await app.runService()
            engine.shutdown()
            group.cancelAll()
        }
        // Lets the writer commit what is queued, then stops it.
        journal.close()
    }
}
