import ArgumentParser
import Foundation

/// `baton start`: starts an execution without the aws CLI, and can wait for its end.
struct Start: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start an execution of a state machine (by name or ARN).")

    @OptionGroup var endpoint: ClientEndpoint
    @Argument(help: "The state machine's name or ARN.") var stateMachine: String
    @Option(help: "The input, as JSON text.") var input = "{}"
    @Option(help: "The execution's name (a UUID by default).") var name: String?
    @Flag(help: "Wait for the execution to end and print how it ended; exit 1 unless it succeeded.") var wait = false

    func run() async throws {
        let arn = try await endpoint.stateMachineArn(stateMachine)
        var body: [String: Any] = ["stateMachineArn": arn, "input": input]
        if let name { body["name"] = name }
        let started = try await endpoint.stepFunctions("StartExecution", body)
        guard wait, let execution = started["executionArn"] as? String else {
            Output.emit(started)
            return
        }
        while true {
            let d = try await endpoint.stepFunctions("DescribeExecution", ["executionArn": execution])
            if d["status"] as? String != "RUNNING" {
                Output.emit(d)
                if d["status"] as? String != "SUCCEEDED" { throw ExitCode(1) }
                return
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }
}

/// `baton describe ARN`: an execution, a state machine or an activity, as DescribeX answers.
struct Describe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe an execution or a state machine by its ARN.")

    @OptionGroup var endpoint: ClientEndpoint
    @Argument(help: "An execution ARN, or a state machine's ARN or name.") var arn: String

    func run() async throws {
        if arn.contains(":execution:") || arn.contains(":express:") {
            Output.emit(try await endpoint.stepFunctions("DescribeExecution", ["executionArn": arn]))
        } else {
            Output.emit(try await endpoint.stepFunctions("DescribeStateMachine", ["stateMachineArn": try await endpoint.stateMachineArn(arn)]))
        }
    }
}

/// `baton executions`: executions, newest first, of one state machine or of all.
struct Executions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List executions (of one state machine, or of every one), newest first.")

    @OptionGroup var endpoint: ClientEndpoint
    @Option(help: "Only this state machine (name or ARN).") var stateMachine: String?
    @Option(help: "Only this status: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or PENDING_REDRIVE.") var status: String?
    @Option(help: "At most this many per state machine.") var limit = 100

    func validate() throws {
        let statuses = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]
        if let status, !statuses.contains(status.uppercased()) {
            throw ValidationError("--status must be one of \(statuses.joined(separator: ", "))")
        }
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        var machines: [String] = []
        if let stateMachine {
            machines = [try await endpoint.stateMachineArn(stateMachine)]
        } else {
            var token: String?
            repeat {
                var body: [String: Any] = ["maxResults": 1000]
                if let token { body["nextToken"] = token }
                let page = try await endpoint.stepFunctions("ListStateMachines", body)
                machines += (page["stateMachines"] as? [[String: Any]] ?? []).compactMap { $0["stateMachineArn"] as? String }
                token = page["nextToken"] as? String
            } while token != nil
        }
        var all: [Any] = []
        for machine in machines {
            var token: String?
            var count = 0
            repeat {
                var body: [String: Any] = ["stateMachineArn": machine, "maxResults": min(1000, limit - count)]
                if let status { body["statusFilter"] = status.uppercased() }
                if let token { body["nextToken"] = token }
                let page = try await endpoint.stepFunctions("ListExecutions", body)
                let executions = page["executions"] as? [Any] ?? []
                all += executions
                count += executions.count
                token = page["nextToken"] as? String
            } while token != nil && count < limit
        }
        Output.emit(list: all)
    }
}
