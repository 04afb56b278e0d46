import Foundation
import Engine
import StatesInterpreter
import StatesLanguage
import Testing

/// The snapshot codec: every shape synthesised Codable produces survives a round trip.
@Suite struct BinaryCodecTests {
    enum Purpose: Codable, Equatable {
        case wait(frame: Int)
        case timeout(frame: Int, task: Tag)
        case nothing
    }

    struct Tag: Codable, Hashable { var rawValue: Int }

    enum Color: String, Codable { case red, green }

    struct Sample: Codable, Equatable {
        var name: String
        var empty: String
        var count: Int
        var negative: Int64
        var big: UInt64
        var ratio: Double
        var flag: Bool
        var optional: Int?
        var absent: String?
        var list: [Int?]
        var nested: [[String]]
        var byTag: [Tag: Int]
        var byName: [String: Purpose]
        var purposes: [Purpose]
        var color: Color
        var json: JSON
        var maybeJSON: JSON?
    }

    static let samples: [Sample] = [
        Sample(name: "héllo ✓", empty: "", count: 42, negative: -7, big: UInt64.max - 3, ratio: -0.1, flag: true,
               optional: 0, absent: nil, list: [1, nil, 3], nested: [[], ["a", "b"]],
               byTag: [Tag(rawValue: 1): 10, Tag(rawValue: -2): 20], byName: ["w": .wait(frame: 3), "n": .nothing],
               purposes: [.timeout(frame: 1, task: Tag(rawValue: 9)), .nothing, .wait(frame: 0)], color: .green,
               json: ["b": 1.0, "a": [1, "x", .null, true], "big": .bigNumber("123456789012345678901234567890")], maybeJSON: .null),
        Sample(name: "", empty: "", count: Int.min, negative: Int64.max, big: 0, ratio: .infinity, flag: false,
               optional: nil, absent: "present", list: [], nested: [], byTag: [:], byName: [:], purposes: [], color: .red,
               json: "text", maybeJSON: nil),
    ]

    @Test(arguments: samples.indices)
    func roundTrips(_ i: Int) throws {
        let bytes = try BinaryEncoder().encode(Self.samples[i])
        #expect(try BinaryDecoder().decode(Sample.self, from: bytes) == Self.samples[i])
    }

    @Test func truncatedInputIsAnErrorNotACrash() throws {
        let bytes = try BinaryEncoder().encode(Self.samples[0])
        for n in stride(from: 0, to: bytes.count, by: 7) {
            #expect(throws: (any Error).self) { _ = try BinaryDecoder().decode(Sample.self, from: Array(bytes.prefix(n))) }
        }
    }

    /// A state a run leaves mid-way (a Parallel of waits, a task with a token, variables at two
    /// levels) survives, and a
    /// snapshot written in the older JSON form still decodes.
    @Test func executionStatesRoundTripInBothFormats() throws {
        let definition = #"""
        {"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"top":{"n":1}},"Next":"P"},
          "P":{"Type":"Parallel","End":true,"Branches":[
          {"StartAt":"S","States":{"S":{"Type":"Pass","Assign":{"inner":[1,"x"]},"Next":"W"},"W":{"Type":"Wait","Seconds":5,"End":true}}},
          {"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::x:y.waitForTaskToken","HeartbeatSeconds":5,"End":true}}}]}}}
        """#
        let machine = try #require(StateMachine.validate(definition).0)
        let interpreter = Interpreter(machine: machine)
        let context = ExecutionContext.local(at: Timestamp(seconds: 1_700_000_000))
        var state = ExecutionState(context: context, input: ["k": [1, 2.5, "v"]], seed: 7)
        let decision = interpreter.decide(&state, on: Trigger(.start(input: ["k": [1, 2.5, "v"]], context: context, randomSeed: 7),
                                                              at: context.startTime, entropy: Array(repeating: 3, count: 16)))
        #expect(!decision.events.isEmpty)
        for bytes in [try SnapshotCodec.encode(state), [UInt8](try JSONEncoder().encode(state))] {
            let back = try SnapshotCodec.decode(bytes)
            #expect(back.eventCount == state.eventCount)
            #expect(back.openTokens == state.openTokens)
            #expect(Set(back.pendingTimers) == Set(state.pendingTimers))
            #expect(back.input == state.input)
            // Identical again once re-encoded through JSON with sorted keys (dictionary order aside).
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            #expect(try encoder.encode(back).count == (try encoder.encode(state)).count)
        }
    }

    /// A snapshot written before variables existed (no `variables`, no byte count, no entered
    /// predecessor) still decodes: a run parked across an upgrade resumes.
    @Test func snapshotsFromBeforeVariablesDecode() throws {
        let definition = #"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"End":true}}}"#
        let interpreter = Interpreter(machine: try #require(StateMachine.validate(definition).0))
        let context = ExecutionContext.local(at: Timestamp(seconds: 1_700_000_000))
        var state = ExecutionState(context: context, input: [:], seed: 7)
        _ = interpreter.decide(&state, on: Trigger(.start(input: [:], context: context, randomSeed: 7), at: context.startTime, entropy: []))
        let current = try JSONParser.parse([UInt8](try JSONEncoder().encode(state)))
        func strip(_ v: JSON) -> JSON {
            switch v {
            case .object(let o):
                var out = JSONObject()
                for (k, x) in o where !["variables", "storedVariableBytes", "storedEnteredPreviousId"].contains(k) { out[k] = strip(x) }
                return .object(out)
            case .array(let a): return .array(a.map(strip))
            default: return v
            }
        }
        let old = strip(current)
        #expect(old.serialized.count < current.serialized.count, "the new fields were in the snapshot")
        let back = try SnapshotCodec.decode(Array(old.serialized.utf8))
        #expect(back.eventCount == state.eventCount)
        #expect(Set(back.pendingTimers) == Set(state.pendingTimers))
    }
}

/// Snapshots written by earlier servers (the Codable binary form, tag 0x01) decode into the
/// same state as today's field-by-field form, so runs parked before an upgrade resume.
@Suite struct SnapshotCodecTests {
    @Test func anOlderSnapshotDecodesToTheSameState() throws {
        let machine = try DefinitionCheck.parse(#"""
            {"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
              {"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"End":true}}},
              {"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,
                "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","HeartbeatSeconds":60,"End":true}}},"End":true}}}],
              "End":true}}}
            """#)
        var clock = ManualClock()
        var states: [ExecutionState] = []
        _ = LocalRunner(machine: machine).run(input: try JSONParser.parse(#"{"items":[1,2,3]}"#), clock: &clock, maximumSteps: 50) {
            states.append($0)
        }
        #expect(!states.isEmpty)
        for state in states {
            let now = try SnapshotCodec.encode(state)
            let old = try SnapshotCodec.encodeCodable(state)
            #expect(now.first == 0x04 && old.first == 0x01)
            #expect(try SnapshotCodec.encode(SnapshotCodec.decode(old)) == now)
            #expect(try SnapshotCodec.encode(SnapshotCodec.decode(now)) == now)
            // Format 0x03 is 0x04 without the (absent) map runs at its end; 0x02 is 0x03
            // without the two (absent) mock fields at its end.
            let withoutMapRuns = [UInt8(0x03)] + now.dropFirst().dropLast(1)
            #expect(try SnapshotCodec.encode(SnapshotCodec.decode(withoutMapRuns)) == now)
            let before = [UInt8(0x02)] + now.dropFirst().dropLast(3)
            #expect(try SnapshotCodec.encode(SnapshotCodec.decode(before)) == now)
        }
        // A run of a mock test case keeps its case and its invocation counts.
        var context = ExecutionContext.local(at: clock.now())
        context.testCase = "HappyPath"
        var mocked: ExecutionState?
        _ = LocalRunner(machine: machine).run(input: try JSONParser.parse(#"{"items":[1,2,3]}"#), context: context, clock: &clock,
                                              maximumSteps: 50) { mocked = $0 }
        let state = try #require(mocked)
        let back = try SnapshotCodec.decode(try SnapshotCodec.encode(state))
        #expect(back.context.testCase == "HappyPath")
        #expect(try SnapshotCodec.encode(back) == SnapshotCodec.encode(state))
    }
}
