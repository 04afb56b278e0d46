import Engine
import Foundation
import Journal
import ServiceKit
import StatesInterpreter
import StatesLanguage
import StepFunctions
import Testing

/// A Distributed Map's iterations as child executions (`MapRuns`): started at most
/// MaxConcurrency at once, listed under their Map Run, their outputs the Map's result in item
/// order; failures past the tolerance fail the run and abort the rest; and a run goes on after
/// its server is killed. On a manual clock: the children wait on it.
@Suite(.timeLimit(.minutes(1))) struct MapRunTests {
    static let account = "arn:aws:states:us-east-1:000000000000"

    final class Fixture: @unchecked Sendable {
        // @unchecked Sendable: set up once; the stream is consumed by one test.
        let dir: String
        let clock: ManualEngineClock
        let db: SQLiteJournal
        let engine: Engine
        let sfn: StepFunctionsService
        let run: Task<Void, Never>
        private var changes: AsyncStream<ExecutionRecord>.Iterator

        init(dir: String = NSTemporaryDirectory() + "baton-maprun-\(UUID().uuidString)", clock: ManualEngineClock = ManualEngineClock()) throws {
            self.dir = dir
            self.clock = clock
            db = try SQLiteJournal(directory: dir, synchronous: .normal)
            engine = Engine(journal: db, clock: clock, partitions: 4)
            sfn = StepFunctionsService(ServiceContext(engine: engine, database: db, dataDirectory: dir))
            engine.install(TaskRegistry(services: [sfn]))
            let (stream, sink) = AsyncStream.makeStream(of: ExecutionRecord.self)
            engine.onStatusChange { sink.yield($0) }
            changes = stream.makeAsyncIterator()
            let engine = self.engine
            run = Task { await engine.run() }
        }

        /// The crash: the engine stops with its work in flight and the journal is closed.
        func kill() {
            run.cancel()
            engine.shutdown()
            db.close()
        }

        func close() {
            kill()
            try? FileManager.default.removeItem(atPath: dir)
        }

        func call(_ action: String, _ body: JSONObject) async throws -> JSON {
            let perform = try #require(sfn.actions[action])
            return try JSONParser.parse(try await perform(ServiceCall(action: action, json: body)).body)
        }

        func start(_ definition: String, input: JSON) async throws -> String {
            let sm = try await call("CreateStateMachine", ["name": "parent", "roleArn": "arn:aws:iam::000000000000:role/r",
                                                           "definition": .string(definition)])["stateMachineArn"] ?? .null
            return try #require(try await call("StartExecution", ["stateMachineArn": sm, "input": .string(input.serialized)])["executionArn"]?
                .stringValue)
        }

        /// The next `count` status changes that match.
        func next(_ count: Int, where matches: (ExecutionRecord) -> Bool) async -> [ExecutionRecord] {
            var out: [ExecutionRecord] = []
            while out.count < count, let r = await changes.next() { if matches(r) { out.append(r) } }
            return out
        }

        func tick(_ seconds: Int64) async {
            clock.advance(seconds: seconds)
            await engine.fireDueTimers()
        }

        func mapRun(of execution: String) async throws -> JSON {
            let runs = try await call("ListMapRuns", ["executionArn": .string(execution)])["mapRuns"]?.arrayValue ?? []
            #expect(runs.count == 1)
            return try await call("DescribeMapRun", ["mapRunArn": runs.first?["mapRunArn"] ?? .null])
        }
    }

    static func definition(maxConcurrency: Int, tolerated: Int? = nil, child: String) -> String {
        """
        {"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":\(maxConcurrency),\(tolerated.map { "\"ToleratedFailureCount\":\($0)," } ?? "")
         "ItemSelector":{"n.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
         "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},\(child)},"End":true}}}
        """
    }

    static let waitThenDouble = #""StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"Next":"D"},"D":{"Type":"Pass","Parameters":{"d.$":"States.MathAdd($.n, $.n)","i.$":"$.i"},"End":true}}"#

    static func isChild(_ r: ExecutionRecord) -> Bool { r.stateMachineArn.contains("stateMachine:parent/") }

    @Test func childrenRunAtMostMaxConcurrencyAtOnceListedUnderTheirRun() async throws {
        let f = try Fixture()
        defer { f.close() }
        let parent = try await f.start(Self.definition(maxConcurrency: 2, child: Self.waitThenDouble), input: [1, 2, 3, 4, 5])
        var started = await f.next(2) { Self.isChild($0) && $0.status == .running }
        var m = try await f.mapRun(of: parent)
        #expect(m["status"] == "RUNNING")
        #expect(m["executionCounts"]?["running"] == 2 && m["executionCounts"]?["pending"] == 3 && m["executionCounts"]?["total"] == 5)
        #expect(m["maxConcurrency"] == 2)
        // Two end, two more start; then the last.
        for batch in [2, 1] {
            await f.tick(10)
            // Two ends and the starts they make room for, in whatever order they come.
            let changes = await f.next(2 + batch) { Self.isChild($0) && ($0.status == .succeeded || $0.status == .running) }
            #expect(changes.filter { $0.status == .succeeded }.count == 2)
            started += changes.filter { $0.status == .running }
            m = try await f.mapRun(of: parent)
            #expect(m["executionCounts"]?["running"] == .int(Int64(batch)))
        }
        await f.tick(10)
        let done = await f.next(1) { $0.arn == parent && $0.status != .running }
        #expect(done.first?.status == .succeeded)
        let output = try JSONParser.parse(try #require(try await f.engine.describe(parent).output))
        #expect(output == [["d": 2, "i": 0], ["d": 4, "i": 1], ["d": 6, "i": 2], ["d": 8, "i": 3], ["d": 10, "i": 4]])

        m = try await f.mapRun(of: parent)
        #expect(m["status"] == "SUCCEEDED")
        #expect(m["executionCounts"]?["succeeded"] == 5 && m["itemCounts"]?["succeeded"] == 5 && m["stopDate"] != nil)
        let run = try #require(m["mapRunArn"])
        let children = try await f.call("ListExecutions", ["mapRunArn": run])["executions"]?.arrayValue ?? []
        #expect(children.count == 5 && children.allSatisfy { $0["status"] == "SUCCEEDED" })
        #expect(Set(children.compactMap { $0["executionArn"]?.stringValue }) == Set(started.map(\.arn)))
        let child = try await f.call("DescribeExecution", ["executionArn": children[0]["executionArn"] ?? .null])
        #expect(child["mapRunArn"] == run)
        // The parent's history holds the run, none of its children's steps (as AWS's).
        let types = try await f.engine.history(parent).map(\.type)
        #expect(types == ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted", "MapRunSucceeded",
                          "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"])
    }

    static let failOrWait = #""StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":0,"Next":"F"}],"Default":"W"},"F":{"Type":"Fail","Error":"Boom","Cause":"item was 0"},"W":{"Type":"Wait","Seconds":100,"End":true}}"#

    @Test(arguments: [nil, 1] as [Int?])
    func failuresPastTheToleranceFailTheRunAndAbortTheRest(tolerated: Int?) async throws {
        let f = try Fixture()
        defer { f.close() }
        let parent = try await f.start(Self.definition(maxConcurrency: 0, tolerated: tolerated, child: Self.failOrWait), input: [5, 6, 0, 0])
        // The parent's end, and the two children waiting when the failures came, aborted (in either order).
        let ends = await f.next(3) { ($0.arn == parent && $0.status != .running) || (Self.isChild($0) && $0.status == .aborted) }
        let done = ends.filter { $0.arn == parent }
        #expect(done.first?.status == .failed)
        // Nothing tolerated: the child's own error; past a tolerance: AWS's threshold error.
        #expect(done.first?.error == (tolerated == nil ? "Boom" : "States.ExceedToleratedFailureThreshold"))
        let m = try await f.mapRun(of: parent)
        #expect(m["status"] == "FAILED")
        let counts = m["executionCounts"]
        #expect(counts?["aborted"] == 2 && counts?["running"] == 0 && counts?["total"] == 4)
        #expect((counts?["failed"]?.integerValue ?? 0) >= 1)
    }

    @Test func aRunGoesOnAfterItsServerIsKilled() async throws {
        let dir = NSTemporaryDirectory() + "baton-maprun-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = ManualEngineClock()
        let a = try Fixture(dir: dir, clock: clock)
        let parent = try await a.start(Self.definition(maxConcurrency: 1, child: Self.waitThenDouble), input: [1, 2, 3])
        let first = await a.next(1) { Self.isChild($0) && $0.status == .running }
        a.kill()

        let b = try Fixture(dir: dir, clock: clock)
        defer { b.kill() }
        _ = try await b.engine.recover()
        // Time passes until the parent ends: the first child is waited for, not started again;
        // the others follow it, one at a time.
        var done: [ExecutionRecord] = []
        while done.isEmpty {
            await b.tick(10)
            done = await b.next(1) { Self.isChild($0) || $0.arn == parent }.filter { $0.arn == parent && $0.status != .running }
        }
        #expect(done.first?.status == .succeeded)
        let output = try JSONParser.parse(try #require(try await b.engine.describe(parent).output))
        #expect(output == [["d": 2, "i": 0], ["d": 4, "i": 1], ["d": 6, "i": 2]])
        let run = try await b.mapRun(of: parent)["mapRunArn"] ?? .null
        let children = try await b.call("ListExecutions", ["mapRunArn": run])["executions"]?.arrayValue ?? []
        #expect(children.count == 3)
        #expect(children.contains { $0["executionArn"]?.stringValue == first.first?.arn })
    }

    @Test func stoppingTheParentAbortsItsRunAndItsChildren() async throws {
        let f = try Fixture()
        defer { f.close() }
        let parent = try await f.start(Self.definition(maxConcurrency: 2, child: Self.waitThenDouble), input: [1, 2, 3])
        _ = await f.next(2) { Self.isChild($0) && $0.status == .running }
        _ = try await f.call("StopExecution", ["executionArn": .string(parent)])
        let aborted = await f.next(2) { Self.isChild($0) && $0.status == .aborted }
        #expect(aborted.count == 2)
        let m = try await f.mapRun(of: parent)
        #expect(m["status"] == "ABORTED")
        #expect(m["executionCounts"]?["aborted"] == 2 && m["executionCounts"]?["pending"] == 1)
    }

    @Test func updateMapRunRaisesTheConcurrencyOfARunningRun() async throws {
        let f = try Fixture()
        defer { f.close() }
        let parent = try await f.start(Self.definition(maxConcurrency: 1, child: Self.waitThenDouble), input: [1, 2, 3])
        _ = await f.next(1) { Self.isChild($0) && $0.status == .running }
        let run = try await f.mapRun(of: parent)["mapRunArn"] ?? .null
        _ = try await f.call("UpdateMapRun", ["mapRunArn": run, "maxConcurrency": 3])
        // The two waiting items start without any child ending.
        _ = await f.next(2) { Self.isChild($0) && $0.status == .running }
        let m = try await f.call("DescribeMapRun", ["mapRunArn": run])
        #expect(m["maxConcurrency"] == 3 && m["executionCounts"]?["running"] == 3)
        await f.tick(10)
        #expect(await f.next(1) { $0.arn == parent && $0.status != .running }.first?.status == .succeeded)
        // A finished run cannot be changed; an unknown one is not found.
        await #expect(throws: ServiceError.self) { _ = try await f.call("UpdateMapRun", ["mapRunArn": run, "maxConcurrency": 5]) }
        await #expect(throws: ServiceError.self) {
            _ = try await f.call("DescribeMapRun", ["mapRunArn": .string("\(Self.account):mapRun:parent/x:y")])
        }
    }
}
