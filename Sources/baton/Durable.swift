import ArgumentParser
import Engine
import Foundation
import Journal
import StatesInterpreter
import StatesLanguage

/// Runs executions durably on a data directory until every one of them has finished.
/// Started again after a crash, it resumes them where the journal left them.
struct Durable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run executions durably on a data directory until all have finished (resumes after a crash).",
        discussion: """
            Built-in resources for trying the engine: arn:aws:states:::baton:echo (returns its Parameters),
            arn:aws:states:::baton:flaky (fails with "Flaky" while Parameters.attempt is 0), and
            arn:aws:states:::baton:callback.waitForTaskToken (answered with SendTaskSuccess by this process).
            """)

    @Option(help: "The data directory (SQLite journal).") var dataDir = "./baton-data"
    @Option(help: "A definition to start executions of.") var definition: String?
    @Option(help: "How many executions to start.") var count = 1
    @Option(help: "The execution input, as JSON text.") var input = "{}"
    @Option(help: "Execution names are PREFIX-0, PREFIX-1, …") var prefix = "run"
    @Option(help: "FULL or NORMAL.") var synchronous = "FULL"

    func run() async throws {
        let journal = try SQLiteJournal(directory: dataDir, synchronous: synchronous.uppercased() == "NORMAL" ? .normal : .full)
        var registry = TaskRegistry()
        registry.register("arn:aws:states:::baton:echo", ClosureTaskHandler { .succeeded($0.parameters) })
        registry.register("arn:aws:states:::baton:flaky", ClosureTaskHandler { inv in
            (inv.parameters["attempt"]?.integerValue ?? 0) == 0 ? .failed(StatesError("Flaky", "first attempts fail")) : .succeeded(inv.parameters)
        })
        registry.register("arn:aws:states:::baton:callback", ClosureTaskHandler { _ in .pending })
        let engine = Engine(journal: journal, registry: registry)
        let sm = "arn:aws:states:us-east-1:000000000000:stateMachine:\(prefix)"
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await engine.run() }
            try await engine.recover()
            if let definition {
                let text = try String(contentsOfFile: definition, encoding: .utf8)
                let id = try await engine.saveDefinition(stateMachineArn: sm, definition: text)
                for i in 0..<count {
                    do {
                        _ = try await engine.startExecution(stateMachineArn: sm, definitionId: id, name: "\(prefix)-\(i)", input: input)
                    } catch let e as EngineError where e.code == "ExecutionAlreadyExists" {
                        continue  // started before a crash: recovery has it
                    }
                }
            }
            // Answer callback tasks (the stand-in for a third party), and wait for the end.
            while true {
                for t in try await journal.callbackTokens() {
                    try? await engine.sendTaskSuccess(token: t.token, output: #"{"answered":true}"#)
                }
                if try await journal.executions(status: .running).isEmpty { break }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            await engine.settle()
            engine.shutdown()
            group.cancelAll()
        }
        var counts: [String: Int] = [:]
        for r in try await journal.executions(status: nil) { counts[r.status.rawValue, default: 0] += 1 }
        journal.close()
        var summary = JSONObject()
        for (status, n) in counts.sorted(by: { $0.key < $1.key }) { summary[status] = .int(Int64(n)) }
        print(JSON.object(summary).serialized)
    }
}
