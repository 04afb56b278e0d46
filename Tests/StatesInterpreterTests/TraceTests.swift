import StatesInterpreter
import StatesLanguage
import Testing

/// A run's trace reaches its tasks: the trace of the step's cause when it brought one (a
/// callback, a webhook delivery), else the one the run was started in.
@Suite struct TraceTests {
    static let start = Timestamp(seconds: 1_700_000_000)
    static let started = "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=1"
    static let resumed = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"

    static func invocation(_ d: Decision) -> TaskInvocation? {
        for e in d.effects { if case .invokeTask(let inv) = e { return inv } }
        return nil
    }

    @Test func tasksRunInTheStartsTraceUntilACallbackBringsAnother() throws {
        let i = Interpreter(machine: try StateMachine.parse(JSON.object([
            "StartAt": "A", "States": [
                "A": ["Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "B"],
                "B": ["Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "C"],
                "C": ["Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true],
            ]]).serialized))
        var context = ExecutionContext.local(at: Self.start)
        context.traceHeader = Self.started
        var state = ExecutionState(context: context, input: [:], seed: 1)
        var d = i.decide(&state, on: Trigger(.start(input: [:], context: context, randomSeed: 1), at: Self.start))
        #expect(d.events.first?.details["traceHeader"] == .string(Self.started))
        let a = try #require(Self.invocation(d))
        #expect(a.traceHeader == Self.started)
        // Resumed by a callback with a trace of its own: the next task runs in that one.
        d = i.decide(&state, on: Trigger(.taskSucceeded(a.id, output: [:]), at: Self.start, traceHeader: Self.resumed))
        let b = try #require(Self.invocation(d))
        #expect(b.traceHeader == Self.resumed)
        // Resumed with none: the run's own again.
        d = i.decide(&state, on: Trigger(.taskSucceeded(b.id, output: [:]), at: Self.start))
        #expect(Self.invocation(d)?.traceHeader == Self.started)
    }

    @Test func aRunStartedWithoutATraceRecordsNone() throws {
        let i = Interpreter(machine: try StateMachine.parse(#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#))
        var state = ExecutionState(context: .local(at: Self.start), input: [:], seed: 1)
        let d = i.decide(&state, on: Trigger(.start(input: [:], context: .local(at: Self.start), randomSeed: 1), at: Self.start))
        #expect(d.events.first?.details["traceHeader"] == nil)
    }
}
