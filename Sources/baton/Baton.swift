import ArgumentParser
import Foundation
import StatesInterpreter
import StatesLanguage
import ServiceKit

@main
struct Baton: AsyncParsableCommand {
    /// The release; `baton --version` prints it and `baton serve` logs it at start.
    static let version = BatonRelease.version

    static let configuration = CommandConfiguration(
        commandName: "baton",
        abstract: "A durable workflow engine for the Amazon States Language.",
        version: Baton.version,
        subcommands: [Serve.self, Validate.self, Run.self, Start.self, Executions.self, Describe.self, History.self, WebhookCommand.self,
                      Durable.self, FailedInvocations.self, TestCommand.self, Export.self, ClusterCommand.self])
}

/// Reads a file as text, or fails with a clear message.
func readText(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("cannot read \(path)")
    }
    return String(decoding: data, as: UTF8.self)
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate state machine definitions; exits non-zero when any has an error.")

    @Argument(help: "Definition files (JSON).") var files: [String]
    @Option(help: "STANDARD or EXPRESS.") var type: String = "STANDARD"
    @Flag(help: "Print the diagnostics as JSON, in ValidateStateMachineDefinition's shape.") var json = false

    func run() throws {
        var failed = false
        for file in files {
            let text = try readText(file)
            // Offline: AWS's integrations and Baton's own (`baton:`) are the ones known.
            let (_, diagnostics) = DefinitionCheck.validate(text, type: type, known: { _ in false })
            let errors = diagnostics.filter { $0.severity == .error }
            if !errors.isEmpty { failed = true }
            if json {
                var o = JSONObject()
                o["result"] = .string(errors.isEmpty ? "OK" : "FAIL")
                o["diagnostics"] = .array(diagnostics.map { d in
                    ["severity": .string(d.severity.rawValue), "code": .string(d.code), "message": .string(d.message),
                     "location": .string(d.location)]
                })
                print(JSON.object(o).serialized)
            } else if diagnostics.isEmpty {
                print("\(file): OK")
            } else {
                for d in diagnostics { print("\(file): \(d)") }
            }
        }
        if failed { throw ExitCode(1) }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a definition in memory with the real clock and print the result as one JSON object.")

    @Argument(help: "The definition file.") var file: String
    @Option(help: "The execution input, as JSON text.") var input: String = "{}"
    @Option(help: "The execution name.") var name: String = "local"

    func run() throws {
        let machine: StateMachine
        do {
            machine = try DefinitionCheck.parse(try readText(file))
        } catch let e as InvalidDefinition {
            FileHandle.standardError.write(Data((e.description + "\n").utf8))
            throw ExitCode(2)
        }
        let inputValue: JSON
        do {
            inputValue = try JSONParser.parse(input)
        } catch {
            FileHandle.standardError.write(Data("invalid --input: \(error)\n".utf8))
            throw ExitCode(2)
        }
        var clock = SystemClock()
        let runner = LocalRunner(machine: machine)
        var seed: UInt64 = 0
        withUnsafeMutableBytes(of: &seed) { buffer in
            for i in buffer.indices { buffer[i] = UInt8.random(in: 0...255) }
        }
        let result = runner.run(input: inputValue, context: .local(name: name, at: clock.now()), seed: seed, clock: &clock)
        print(result.json.serialized)
        if result.status != .succeeded { throw ExitCode(1) }
    }
}

/// The real clock: the one place outside tests where time is read.
struct SystemClock: RunnerClock {
    mutating func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(seconds: Int64(ts.tv_sec), nanoseconds: Int32(ts.tv_nsec))
    }

    mutating func sleep(until deadline: Timestamp) {
        while true {
            let current = now()
            guard current < deadline else { return }
            let ms = deadline.milliseconds - current.milliseconds
            var request = timespec(tv_sec: Int(ms / 1000), tv_nsec: Int(ms % 1000) * 1_000_000)
            nanosleep(&request, nil)
        }
    }
}
