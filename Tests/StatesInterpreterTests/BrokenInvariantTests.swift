@testable import StatesInterpreter
import StatesLanguage
import Testing

/// A state that contradicts itself (here: a Parallel branch whose parent frame is gone) fails
/// that execution with States.Runtime, recorded in its history; nothing traps.
@Suite struct BrokenInvariantTests {
    @Test func aMissingParentFrameFailsTheExecutionInsteadOfTrapping() throws {
        let definition: JSON = ["StartAt": "Par", "States": [
            "Par": ["Type": "Parallel", "End": true, "Branches": [
                ["StartAt": "T", "States": ["T": ["Type": "Task", "Resource": "arn:aws:states:::bench:echo", "End": true]]],
            ]],
        ]]
        let i = Interpreter(machine: try StateMachine.parse(definition.serialized))
        var (state, _) = StateTests.begin(i)
        guard let task = state.pendingTasks.first, let branch = state.tasks[task], let parent = state.frames[branch]?.parent else {
            Issue.record("expected a task waiting inside a branch")
            return
        }
        state.frames.removeValue(forKey: parent)
        let d = i.decide(&state, on: Trigger(.taskSucceeded(task, output: ["ok": true]), at: StateTests.start.adding(seconds: 1)))
        #expect(state.status == .failed)
        guard let failed = d.events.last, failed.type == "ExecutionFailed" else {
            Issue.record("expected ExecutionFailed, got \(d.events.map(\.type))")
            return
        }
        #expect(failed.details["error"]?.stringValue == StatesError.runtime)
        #expect(failed.details["cause"]?.stringValue?.contains("internal error") == true)
        #expect(d.effects.contains(.executionFinished(.failed)))
    }
}
