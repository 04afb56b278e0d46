import Console
import Foundation
import Journal
import ServiceKit
import StatesInterpreter
import StatesLanguage
import StepFunctions

/// ListExecutions over a large journal: `count` executions of one state machine (a tenth of
/// them FAILED), then pages of 100 filtered by status through the Step Functions action
/// (JSON in, JSON out), the first page and pages deep in, median and worst of each.
enum ListBench {
    static func run(count: Int) async throws {
        let dir = NSTemporaryDirectory() + "baton-list-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try SQLiteJournal(directory: dir, synchronous: .normal)
        let sm = "arn:aws:states:us-east-1:000000000000:stateMachine:listed"
        let def = try await journal.saveDefinition(stateMachineArn: sm, definition: passChain(1))
        try await journal.putStateMachine(StateMachineRecord(arn: sm, name: "listed", type: "STANDARD", roleArn: "arn:aws:iam::1:role/r",
                                                             definitionId: def, createdMillis: 0))
        let t0 = monotonicSeconds()
        let inFlight = 512
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<count {
                if i >= inFlight { try await group.next() }
                group.addTask {
                    let status: ExecutionStatus = i % 10 == 0 ? .failed : .succeeded
                    let r = ExecutionRecord(arn: "arn:aws:states:us-east-1:000000000000:execution:listed:e\(i)", stateMachineArn: sm,
                                            definitionId: def, name: "e\(i)", status: status, input: "{}",
                                            startMillis: 1_700_000_000_000 + Int64(i), stopMillis: 1_700_000_000_000 + Int64(i) + 5)
                    var b = JournalBatch(execution: r, expectedVersion: nil)
                    b.events = [HistoryEvent(id: 1, previousEventId: 0, timestamp: Timestamp(milliseconds: r.startMillis), type: "ExecutionStarted",
                                             detailsKey: "executionStartedEventDetails", details: ["input": "{}"])]
                    try await journal.append(b)
                }
            }
            try await group.waitForAll()
        }
        print(String(format: "stored %d executions in %.1f s", count, monotonicSeconds() - t0))
        let api = StepFunctionsAPI(engine: .init(journal: journal))
        for (label, status) in [("FAILED (1 in 10)", "FAILED"), ("SUCCEEDED (9 in 10)", "SUCCEEDED")] {
            var first: [Double] = []
            var deep: [Double] = []
            var token: String?
            for round in 0..<60 {
                var body: JSONObject = ["stateMachineArn": .string(sm), "statusFilter": .string(status), "maxResults": 100]
                if round >= 10, let token { body["nextToken"] = .string(token) }
                let t = monotonicSeconds()
                let page = try await api.handle("ListExecutions", body)
                let ms = (monotonicSeconds() - t) * 1000
                guard page["executions"]?.arrayValue?.count == 100 else { throw ServiceError.internalFailure("short page") }
                if round < 10 { first.append(ms) } else { deep.append(ms) }
                token = page["nextToken"]?.stringValue
            }
            first.sort()
            deep.sort()
            print(String(format: "ListExecutions, statusFilter %@, 100 per page: first page median %.2f ms (max %.2f); pages 2-51 median %.2f ms (max %.2f)",
                         label, first[first.count / 2], first.last ?? 0, deep[deep.count / 2], deep.last ?? 0))
        }
        try await console(journal)
        journal.close()
    }

    /// The console's list over the same rows (every state machine's, newest first): pages of 50,
    /// unfiltered, by status, by name prefix and by a time window, first pages and pages deep in.
    static func console(_ journal: SQLiteJournal) async throws {
        guard let action = ConsoleService(engine: .init(journal: journal)).actions["ConsoleExecutions"] else { return }
        for (label, filter) in [("no filter", [:]), ("status FAILED", ["statusFilter": "FAILED"]), ("name prefix e99", ["namePrefix": "e99"]),
                                ("a one-minute window", ["startedAfter": "1700000500000", "startedBefore": "1700000560000"])] as [(String, [String: String])] {
            var first: [Double] = []
            var deep: [Double] = []
            var token: String?
            for round in 0..<40 {
                var call = ServiceCall(action: "ConsoleExecutions", method: "GET")
                call.query = filter.merging(["maxResults": "50"]) { a, _ in a }
                if round >= 10, let token { call.query["nextToken"] = token }
                let t = monotonicSeconds()
                let page = try JSONParser.parse(try await action(call).body)
                let ms = (monotonicSeconds() - t) * 1000
                if round < 10 { first.append(ms) } else { deep.append(ms) }
                token = page["nextToken"]?.stringValue
                if token == nil && round >= 10 { break }
            }
            first.sort()
            deep.sort()
            print(String(format: "console list, %@, 50 per page: first page median %.2f ms (max %.2f); deeper pages median %.2f ms (max %.2f)",
                         label, first[first.count / 2], first.last ?? 0, deep.isEmpty ? 0 : deep[deep.count / 2], deep.last ?? 0))
        }
    }
}
