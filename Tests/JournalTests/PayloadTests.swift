import Foundation
@testable import Journal
import StatesInterpreter
import StatesLanguage
import Testing

/// Large payloads are journaled once per execution and put back in place on read.
@Suite struct PayloadTests {
    static func big(_ tag: String) -> String {
        JSON.object(["tag": .string(tag), "blob": .string(String(repeating: "x\"y\\z", count: 4000))]).serialized
    }

    @Test func aPayloadRepeatedAcrossEventsIsStoredOnceAndReadBackIdentically() async throws {
        let dir = NSTemporaryDirectory() + "payloads-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let j = try SQLiteJournal(directory: dir, synchronous: .normal)
        defer { j.close() }
        let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
        let input = Self.big("in"), other = Self.big("out")
        // As the interpreter records them: the input as a JSON value shared by many events.
        guard let value = try? JSONParser.parse(input) else { throw JournalError(.corrupt, "fixture") }
        var events: [HistoryEvent] = [HistoryEvent(id: 1, previousEventId: 0, timestamp: Timestamp(milliseconds: 1), type: "ExecutionStarted",
                                                   detailsKey: "executionStartedEventDetails",
                                                   details: ["input": .string(input), "inputDetails": ["truncated": false], "roleArn": "r"])]
        for i in 2...11 {
            // Every event carries the input; half of them the other payload too; a small one stays inline.
            var d: JSONObject = ["name": .string("P\(i)"), "input": i % 3 == 0 ? .string(input) : value]
            if i % 2 == 0 { d["output"] = .string(other) }
            d["small"] = "{}"
            events.append(HistoryEvent(id: i, previousEventId: i - 1, timestamp: Timestamp(milliseconds: Int64(i)), type: "PassStateEntered",
                                       detailsKey: "stateEnteredEventDetails", details: d))
        }
        var b = JournalBatch(execution: record("x", definition: def, lastEventId: 11), expectedVersion: nil)
        b.events = events
        try await j.append(b)
        let read = try await j.history(arn: "x")
        #expect(read == events)
        #expect(read.map { $0.json.serialized } == events.map { $0.json.serialized })
        // Two distinct large texts (the input's, shared by the string and the value, and the
        // other): two rows, however many events carry them.
        let rows = try j.read { (db) throws(JournalError) -> Int64 in
            let s = try db.statement("SELECT COUNT(*) FROM payloads WHERE execution_arn = 'x'")
            _ = try s.step()
            return s.int64(0)
        }
        #expect(rows == 2)
        // A later step reuses them.
        var next = JournalBatch(execution: record("x", definition: def, lastEventId: 12), expectedVersion: 11)
        next.events = [HistoryEvent(id: 12, previousEventId: 11, timestamp: Timestamp(milliseconds: 12), type: "ExecutionSucceeded",
                                    detailsKey: "executionSucceededEventDetails", details: ["output": .string(other)])]
        try await j.append(next)
        #expect(try await j.history(arn: "x").last == next.events[0])
    }

    @Test func theHashSeparatesNearlyEqualStrings() {
        let a = Self.big("a")
        var seen: Set<UInt64> = [PayloadHash.of(a)]
        for tag in ["b", "c", "aa", ""] { seen.insert(PayloadHash.of(Self.big(tag))) }
        seen.insert(PayloadHash.of(a + " "))
        #expect(seen.count == 6)
        #expect(PayloadHash.of(a) == PayloadHash.of(String(a)))
    }
}

/// The shape of a Pass chain over a large input: every output is the input with one small
/// member changed, so all of them share the large part.
@Suite struct SharedPartTests {
    static func count(_ j: SQLiteJournal, _ sql: String) throws -> Int64 {
        try j.read { (db) throws(JournalError) -> Int64 in
            let s = try db.statement(sql)
            _ = try s.step()
            return s.int64(0)
        }
    }

    @Test func aLargeMemberSharedByManyValuesIsStoredOnce() async throws {
        let dir = NSTemporaryDirectory() + "payloads-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let blob = JSON.array((0..<400).map { i in ["i": .int(Int64(i)), "name": .string("item \(i) ~/\"q\""), "tags": ["a", "b"]] })
        var value: JSONObject = ["id": 7, "a/b~c": "keys with pointer characters", "blob": blob, "last": ["step": 0]]
        var events: [HistoryEvent] = []
        for k in 1...10 {
            let input = JSON.object(value)
            value["last"] = ["step": .int(Int64(k))]
            events.append(HistoryEvent(id: 2 * k - 1, previousEventId: 2 * k - 2, timestamp: Timestamp(milliseconds: Int64(k)), type: "PassStateEntered",
                                       detailsKey: "stateEnteredEventDetails", details: ["name": .string("P\(k)"), "input": input]))
            events.append(HistoryEvent(id: 2 * k, previousEventId: 2 * k - 1, timestamp: Timestamp(milliseconds: Int64(k)), type: "PassStateExited",
                                       detailsKey: "stateExitedEventDetails", details: ["name": .string("P\(k)"), "output": .object(value)]))
        }
        do {
            let j = try SQLiteJournal(directory: dir, synchronous: .normal)
            let def = try await j.saveDefinition(stateMachineArn: "sm", definition: "{}")
            var b = JournalBatch(execution: record("x", definition: def, lastEventId: 20), expectedVersion: nil)
            b.events = events
            try await j.append(b)
            let read = try await j.history(arn: "x")
            #expect(read.map { $0.json.serialized } == events.map { $0.json.serialized })
            #expect(read == events)
            let blobBytes = blob.serialized.utf8.count
            let stored = try Self.count(j, "SELECT SUM(LENGTH(body)) FROM payloads WHERE execution_arn = 'x'")
            // The blob once, and eleven small values around it (a few hundred bytes each).
            #expect(stored < Int64(blobBytes + 11 * 400))
            #expect(try Self.count(j, "SELECT COUNT(*) FROM payloads WHERE execution_arn = 'x'") == 12)
            j.close()
        }
        // After a restart (no identities remembered), the same content is found by its hash.
        let j = try SQLiteJournal(directory: dir, synchronous: .normal)
        defer { j.close() }
        var next = JournalBatch(execution: record("x", definition: 1, lastEventId: 21), expectedVersion: 20)
        next.events = [HistoryEvent(id: 21, previousEventId: 20, timestamp: Timestamp(milliseconds: 21), type: "ExecutionSucceeded",
                                    detailsKey: "executionSucceededEventDetails", details: ["output": .object(value)])]
        try await j.append(next)
        #expect(try Self.count(j, "SELECT COUNT(*) FROM payloads WHERE execution_arn = 'x'") == 12)
        #expect(try await j.history(arn: "x").last == next.events[0])
    }
}
