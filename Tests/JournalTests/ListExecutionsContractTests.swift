import Foundation
import Journal
import StatesInterpreter
import StatesLanguage
import Testing

/// ListExecutions' page query on every backend: filters, newest-first order, cursors.
@Suite struct ListExecutionsContractTests {
    static let machine = "arn:aws:states:us-east-1:000000000000:stateMachine:m"

    /// 30 executions of `m` (start times with ties, every third one failed, every fifth started
    /// through version 1) and 5 of another machine.
    static func fill(_ j: any JournalStore) async throws {
        let def = try await j.saveDefinition(stateMachineArn: machine, definition: "{}")
        for i in 0..<35 {
            let sm = i < 30 ? machine : machine + "2"
            var r = ExecutionRecord(arn: "\(sm):e\(String(format: "%02d", i))".replacingOccurrences(of: "stateMachine", with: "execution"),
                                    stateMachineArn: sm, definitionId: def, name: "e\(i)", status: i % 3 == 0 ? .failed : .succeeded,
                                    input: "{}", startMillis: 1_000 + Int64(i / 2), stopMillis: 2_000)
            if i % 5 == 0 { r.qualifiedArn = machine + ":1" }
            var b = JournalBatch(execution: r, expectedVersion: nil)
            b.events = [event(1, "ExecutionStarted")]
            try await j.append(b)
        }
    }

    /// Every page until the end, as ListExecutions walks them.
    static func walk(_ j: any JournalStore, _ query: ExecutionQuery) async throws -> [ExecutionSummary] {
        var all: [ExecutionSummary] = []
        var q = query
        while true {
            let page = try await j.listExecutions(q)
            all += page
            guard page.count == q.limit, let last = page.last else { return all }
            q.after = last.cursor
        }
    }

    @Test(arguments: Backend.allCases)
    func pagesAreNewestFirstAndCoverEveryRowOnce(_ backend: Backend) async throws {
        let j = try await backend.make()
        try await Self.fill(j)
        let all = try await Self.walk(j, ExecutionQuery(stateMachineArn: Self.machine, limit: 7))
        #expect(all.count == 30)
        #expect(Set(all.map(\.arn)).count == 30)
        let keys = all.map { ($0.startMillis, $0.arn) }
        #expect(zip(keys, keys.dropFirst()).allSatisfy { $0 > $1 })
    }

    @Test(arguments: Backend.allCases)
    func filtersByStatusAndByVersion(_ backend: Backend) async throws {
        let j = try await backend.make()
        try await Self.fill(j)
        let failed = try await Self.walk(j, ExecutionQuery(stateMachineArn: Self.machine, status: .failed, limit: 4))
        #expect(failed.count == 10 && failed.allSatisfy { $0.status == .failed })
        let throughVersion = try await Self.walk(j, ExecutionQuery(stateMachineArn: Self.machine, qualifiedArn: Self.machine + ":1", limit: 100))
        #expect(throughVersion.map(\.name).sorted() == ["e0", "e10", "e15", "e20", "e25", "e5"])
        #expect(try await j.listExecutions(ExecutionQuery(stateMachineArn: Self.machine + "2", limit: 100)).count == 5)
    }

    /// The console's list: every machine's executions, by status, name prefix and start time.
    @Test(arguments: Backend.allCases)
    func listsAcrossMachinesWithNameAndTimeFilters(_ backend: Backend) async throws {
        let j = try await backend.make()
        try await Self.fill(j)
        let everyone = try await Self.walk(j, ExecutionQuery(stateMachineArn: nil, limit: 6))
        #expect(everyone.count == 35 && Set(everyone.map(\.arn)).count == 35)
        let keys = everyone.map { ($0.startMillis, $0.arn) }
        #expect(zip(keys, keys.dropFirst()).allSatisfy { $0 > $1 })
        let failed = try await Self.walk(j, ExecutionQuery(stateMachineArn: nil, status: .failed, limit: 5))
        #expect(failed.count == 12 && failed.allSatisfy { $0.status == .failed })
        // "e3" names e3 and e30…e34 (of both machines).
        let named = try await Self.walk(j, ExecutionQuery(stateMachineArn: nil, limit: 2, namePrefix: "e3"))
        #expect(named.map(\.name).sorted() == ["e3", "e30", "e31", "e32", "e33", "e34"])
        // Started in [1_005, 1_008): i / 2 in 5...7, so i in 10...15.
        let window = try await Self.walk(j, ExecutionQuery(stateMachineArn: nil, limit: 4, startedFrom: 1_005, startedUntil: 1_008))
        #expect(window.map(\.name).sorted() == ["e10", "e11", "e12", "e13", "e14", "e15"])
        let both = try await j.listExecutions(ExecutionQuery(stateMachineArn: Self.machine, status: .failed, limit: 100, namePrefix: "e1",
                                                             startedFrom: 1_005))
        #expect(both.map(\.name).sorted() == ["e12", "e15", "e18"])
        // A prefix with LIKE's wildcards is taken literally.
        #expect(try await j.listExecutions(ExecutionQuery(stateMachineArn: nil, limit: 100, namePrefix: "e%")).isEmpty)
    }

    @Test func cursorsRoundTripAndRefuseGarbage() {
        let c = ExecutionCursor(startMillis: 12, arn: "arn:aws:states:us-east-1:1:execution:m:a:b")
        #expect(ExecutionCursor(token: c.token) == c)
        #expect(ExecutionCursor(token: "o5") == nil)
        #expect(ExecutionCursor(token: "cx:arn:") == nil)
        #expect(ExecutionCursor(token: "c5:nope") == nil)
    }
}
