import Console
import Engine
import Foundation
import Journal
import ServiceKit
import StatesInterpreter
import StatesLanguage
import Testing

/// The console's live view of one execution: what is there, then each committed step, then
/// the end; woken by the engine's commit, on a manual clock, with no sleeps.
@Suite struct HistoryStreamTests {
    static let machine = "arn:aws:states:us-east-1:000000000000:stateMachine:live"

    /// A server-sent event as the browser reads it.
    struct Message: Sendable {
        var event: String
        var data: JSON?
    }

    static func parse(_ bytes: [UInt8]) -> Message? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasPrefix("event: ") else { return nil }
        let lines = text.split(separator: "\n")
        let event = String(lines[0].dropFirst("event: ".count))
        let data = lines.count > 1 ? try? JSONParser.parse(String(lines[1].dropFirst("data: ".count))) : nil
        return Message(event: event, data: data)
    }

    static func withEngine(_ body: (Engine, ManualEngineClock) async throws -> Void) async throws {
        let clock = ManualEngineClock()
        let engine = Engine(journal: InMemoryJournal(), clock: clock, partitions: 2)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await engine.run() }
            try await body(engine, clock)
            await engine.settle()
            engine.shutdown()
            group.cancelAll()
        }
    }

    /// Runs the watch action's stream in a task; its messages arrive on the returned stream.
    static func watch(_ engine: Engine, _ arn: String, after: Int? = nil) async throws -> (AsyncStream<Message>, Task<Void, Never>) {
        var query = ["executionArn": arn]
        if let after { query["after"] = String(after) }
        var call = ServiceCall(action: "ConsoleWatch", method: "GET", path: "/console/api/watch")
        call.query = query
        let action = try #require(ConsoleService(engine: engine).actions["ConsoleWatch"])
        let reply = try await action(call)
        #expect(reply.headers.contains { $0.0 == "Content-Type" && $0.1 == "text/event-stream" })
        let stream = try #require(reply.stream)
        let (messages, sink) = AsyncStream<Message>.makeStream()
        let task = Task {
            try? await stream { bytes in if let m = parse(bytes) { sink.yield(m) } }
            sink.finish()
        }
        return (messages, task)
    }

    @Test func sendsTheHistorySoFarThenEachStepThenTheEnd() async throws {
        try await Self.withEngine { engine, clock in
            let id = try await engine.saveDefinition(stateMachineArn: Self.machine, definition:
                #"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"Next":"P"},"P":{"Type":"Pass","End":true}}}"#)
            let arn = try await engine.startExecution(stateMachineArn: Self.machine, definitionId: id, name: "one", input: "{}").arn
            let (messages, task) = try await Self.watch(engine, arn)
            var iterator = messages.makeAsyncIterator()
            var ids: [Int] = []
            var statuses: [String] = []
            // What is there: the start and the Wait's entry, then the execution's status.
            while let m = await iterator.next() {
                if m.event == "events" { ids += m.data?.arrayValue?.compactMap { $0["id"]?.doubleValue.map { Int($0) } } ?? [] }
                if m.event == "execution" { statuses.append(m.data?["status"]?.stringValue ?? ""); break }
            }
            #expect(statuses == ["RUNNING"] && ids == [1, 2])
            #expect(engine.historyWatchers.count(arn) == 1)
            // The timer's step commits: its events arrive, then the end.
            clock.advance(seconds: 60)
            await engine.fireDueTimers()
            var last = ""
            while let m = await iterator.next() {
                if m.event == "events" { ids += m.data?.arrayValue?.compactMap { $0["id"]?.doubleValue.map { Int($0) } } ?? [] }
                if m.event == "execution" { statuses.append(m.data?["status"]?.stringValue ?? "") }
                last = m.event
            }
            await task.value
            let history = try await engine.history(arn)
            #expect(ids == history.map(\.id), "every event once, in order")
            #expect(statuses == ["RUNNING", "SUCCEEDED"] && last == "end")
            #expect(engine.historyWatchers.count(arn) == 0)
        }
    }

    @Test func resumesAfterAnEventIdAndEndsAtOnceForAFinishedRun() async throws {
        try await Self.withEngine { engine, _ in
            let id = try await engine.saveDefinition(stateMachineArn: Self.machine, definition:
                #"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","End":true}}}"#)
            let arn = try await engine.startExecution(stateMachineArn: Self.machine, definitionId: id, name: "done", input: "{}").arn
            let total = try await engine.history(arn).count
            let (messages, task) = try await Self.watch(engine, arn, after: 3)
            var seen: [Message] = []
            for await m in messages { seen.append(m) }
            await task.value
            let ids = seen.filter { $0.event == "events" }.flatMap { $0.data?.arrayValue ?? [] }.compactMap { $0["id"]?.doubleValue.map { Int($0) } }
            #expect(ids == Array(4...total))
            #expect(seen.map(\.event).suffix(2) == ["execution", "end"])
        }
    }

    @Test func aClientThatLeavesStopsWatching() async throws {
        try await Self.withEngine { engine, _ in
            let id = try await engine.saveDefinition(stateMachineArn: Self.machine, definition:
                #"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}"#)
            let arn = try await engine.startExecution(stateMachineArn: Self.machine, definitionId: id, name: "left", input: "{}").arn
            let (messages, task) = try await Self.watch(engine, arn)
            for await m in messages where m.event == "execution" { break }
            #expect(engine.historyWatchers.count(arn) == 1)
            task.cancel()
            await task.value
            #expect(engine.historyWatchers.count(arn) == 0)
        }
    }

    @Test func refusesAMissingExecutionAsAnError() async throws {
        try await Self.withEngine { engine, _ in
            let action = try #require(ConsoleService(engine: engine).actions["ConsoleWatch"])
            var call = ServiceCall(action: "ConsoleWatch", method: "GET")
            call.query = ["executionArn": "arn:aws:states:us-east-1:000000000000:execution:live:nope"]
            await #expect(throws: ServiceError.self) { try await action(call) }
            call.query = ["executionArn": "arn:aws:states:us-east-1:000000000000:execution:live:nope", "after": "-1"]
            await #expect(throws: ServiceError.self) { try await action(call) }
        }
    }
}
