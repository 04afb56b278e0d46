import Foundation
import Journal
import StatesInterpreter
import StatesLanguage
import Testing
@testable import Engine

/// Spans made from committed events: one per state entered (a Map's iterations each one), one
/// for the execution, each state's the child of the execution's, whether a state enters and
/// exits in one step or across several, and a state still open when the run ends closed with it.
@Suite struct ExecutionSpansTests {
    static let definition = """
        {"StartAt":"A","States":{"A":{"Type":"Pass","Next":"M"},
         "M":{"Type":"Map","ItemsPath":"$.items","Next":"B","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}}},
         "B":{"Type":"Pass","Next":"F"},"F":{"Type":"Fail","Error":"Boom","Cause":"by the test"}}}
        """
    static let traceId = "4bf92f3577b34da6a3ce929d0e0e4736"

    static func events() throws -> [HistoryEvent] {
        var clock = ManualClock()
        let r = LocalRunner(machine: try DefinitionCheck.parse(definition)).run(input: ["items": [1, 2, 3]], clock: &clock)
        return r.events
    }

    static func record() -> ExecutionRecord {
        var r = ExecutionRecord(arn: "arn:aws:states:us-east-1:000000000000:execution:m:e", stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:m",
                                definitionId: 1, name: "e", status: .failed, input: "{}", startMillis: 0)
        r.traceHeader = "00-\(traceId)-00f067aa0ba902b7-01"
        return r
    }

    /// The events committed in one step, or split into steps at every index given.
    @Test(arguments: [[], [3], [2, 5, 9], Array(1..<13)])
    func everyStateGetsOneSpanUnderTheExecution(_ cuts: [Int]) throws {
        let events = try Self.events()
        let captured = LockedValue<[SpanRecord]>([])
        let spans = ExecutionSpans { span in captured.mutate { $0.append(span) } }
        var from = 0
        for cut in cuts + [events.count] where cut > from && cut <= events.count {
            spans.committed(Self.record(), Array(events[from..<cut]))
            from = cut
        }
        let all = captured.value
        let execution = try #require(all.first { $0.name == "execution m" })
        #expect(execution.parentSpanId?.hex == "00f067aa0ba902b7" && execution.error == "Boom")
        let states = all.filter { $0.name.hasPrefix("state ") }
        #expect(states.map(\.name).sorted() == ["state A", "state B", "state F", "state I", "state I", "state I", "state M"])
        #expect(states.allSatisfy { $0.parentSpanId == execution.spanId && $0.traceId.hex == Self.traceId && $0.startNanos <= $0.endNanos })
        #expect(Set(states.map(\.spanId)).count == states.count)
        let types = states.map { s in s.attributes.first { $0.0 == "aws.step_functions.state_type" }.map { "\(s.name)=\($0.1)" } ?? s.name }
        #expect(types.contains("state M=string(\"Map\")") && types.contains("state I=string(\"Pass\")"))
        #expect(states.first { $0.name == "state F" }?.error == "Fail")  // a Fail state's span fails by its type
        #expect(spans.stateSpan(arn: Self.record().arn, state: "M") == nil)
    }

    /// A state open when the step ends is the span its tasks run under; one still open when the
    /// run ends is closed with the run's error.
    @Test func aStateLeftOpenIsClosedByTheEnd() throws {
        let events = try Self.events()
        let captured = LockedValue<[SpanRecord]>([])
        let spans = ExecutionSpans { span in captured.mutate { $0.append(span) } }
        let enteredB = try #require(events.firstIndex { $0.type == "PassStateEntered" && $0.details["name"]?.stringValue == "B" })
        spans.committed(Self.record(), Array(events[...enteredB]))
        let open = try #require(spans.stateSpan(arn: Self.record().arn, state: "B"))
        let terminal = try #require(events.last)
        spans.committed(Self.record(), [terminal])
        let b = try #require(captured.value.first { $0.name == "state B" })
        #expect(b.spanId == open && b.error == "Boom")
        #expect(spans.stateSpan(arn: Self.record().arn, state: "B") == nil)
    }
}
