import Foundation
import Journal
import ServiceKit
import StatesInterpreter
import StatesLanguage
import StepFunctions
import Testing

/// loggingConfiguration's checks and levels, and the log files' records and rotation.
@Suite struct ExecutionLogsTests {
    static let group = "arn:aws:logs:us-east-1:000000000000:log-group:/aws/vendedlogs/states/m:*"

    static func configuration(_ level: String, _ destinations: [String] = [group], data: Bool = false) throws(ServiceError) -> LoggingConfiguration {
        try LoggingConfiguration(["level": .string(level), "includeExecutionData": .bool(data),
                                  "destinations": .array(destinations.map { ["cloudWatchLogsLogGroup": ["logGroupArn": .string($0)]] })])
    }

    @Test(arguments: [
        ("ALL", [String]()), ("ERROR", [group, group]), ("FATAL", ["arn:aws:logs:us-east-1:0:log-group:x"]), ("ALL", ["not-an-arn:*"]),
    ])
    func refusesWhatAWSRefuses(_ level: String, _ destinations: [String]) {
        #expect(throws: ServiceError.self) { try Self.configuration(level, destinations) }
        do { _ = try Self.configuration(level, destinations) } catch { #expect(error.code == "InvalidLoggingConfiguration") }
    }

    @Test func offNeedsNoDestinationAndTheLevelIsAnEnum() throws {
        #expect(try LoggingConfiguration(["level": "OFF"]) == .off)
        #expect(throws: ServiceError.self) { try LoggingConfiguration(["level": "LOUD"]) }
        let c = try Self.configuration("ALL", data: true)
        #expect(c.logGroupName == "/aws/vendedlogs/states/m" && c.includeExecutionData)
        #expect(try LoggingConfiguration(c.json) == c)
    }

    @Test func eachLevelLogsItsEvents() throws {
        let types = ["ExecutionStarted", "PassStateEntered", "TaskFailed", "FailStateEntered", "MapIterationAborted", "ExecutionFailed",
                     "ExecutionTimedOut", "ExecutionSucceeded"]
        #expect(types.filter(try Self.configuration("ALL").logs) == types)
        #expect(types.filter(try Self.configuration("ERROR").logs) == ["TaskFailed", "FailStateEntered", "MapIterationAborted", "ExecutionFailed", "ExecutionTimedOut"])
        #expect(types.filter(try Self.configuration("FATAL").logs) == ["ExecutionFailed", "ExecutionTimedOut"])
        #expect(types.filter(LoggingConfiguration.off.logs).isEmpty)
    }

    @Test func recordsGoToTheGroupsFileAndRotate() async throws {
        let directory = NSTemporaryDirectory() + "logs-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = InMemoryJournal()
        let machine = "arn:aws:states:us-east-1:000000000000:stateMachine:m"
        let logs = ExecutionLogs(directory: directory, journal: journal, rotateBytes: 500)
        logs.set(machine, try Self.configuration("ALL", data: false))
        let execution = ExecutionRecord(arn: "arn:aws:states:us-east-1:000000000000:execution:m:e", stateMachineArn: machine, definitionId: 1,
                                        name: "e", status: .running, input: "{}", startMillis: 0)
        let event = HistoryEvent(id: 1, previousEventId: 0, timestamp: Timestamp(milliseconds: 1_234), type: "ExecutionStarted",
                                 detailsKey: "executionStartedEventDetails", details: ["input": ["big": .string(String(repeating: "x", count: 300))],
                                                                                        "inputDetails": ["truncated": false], "roleArn": "r"])
        for _ in 0..<20 { await logs.record(execution, [event]) }
        let path = logs.path(logGroup: "/aws/vendedlogs/states/m")
        let fm = FileManager.default
        #expect(fm.fileExists(atPath: path + ".1") && fm.fileExists(atPath: path + ".4") && !fm.fileExists(atPath: path + ".5"))
        let rotated = try #require(fm.contents(atPath: path + ".1"))
        let line = try #require(String(decoding: rotated, as: UTF8.self).split(separator: "\n").first)
        let record = try JSONParser.parse(String(line))
        // Without data: no input; the rest as AWS logs it, numbers as text.
        #expect(record["details"] == ["roleArn": "r"] && record["event_timestamp"] == "1234" && record["id"] == "1")
        // A machine that does not log writes nothing.
        await logs.record(ExecutionRecord(arn: "x", stateMachineArn: machine + "2", definitionId: 1, name: "x", status: .running, input: "{}",
                                          startMillis: 0), [event])
        #expect(try fm.contentsOfDirectory(atPath: directory).allSatisfy { $0.hasPrefix("_aws_vendedlogs_states_m.ndjson") })
    }
}
