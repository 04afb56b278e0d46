import StatesInterpreter
import StatesLanguage
import Testing

/// AWS keeps an error at 256 characters and a cause at 32,768 (its model's SensitiveError and
/// SensitiveCause); Baton cuts them there, wherever the failure comes from.
@Suite struct FailureLimitsTests {
    @Test func aFailStatesLongErrorAndCauseAreCut() throws {
        let definition: JSON = ["StartAt": "F", "States": ["F": ["Type": "Fail", "Error": .string(String(repeating: "E", count: 300)),
                                                                   "Cause": .string(String(repeating: "c", count: 40_000))]]]
        let machine = try StateMachine.parse(definition.serialized)
        var clock = ManualClock()
        let result = LocalRunner(machine: machine).run(input: [:], clock: &clock)
        #expect(result.status == .failed)
        #expect(result.error?.error.count == 256 && result.error?.cause?.count == 32_768)
        let failed = try #require(result.events.last)
        #expect(failed.type == "ExecutionFailed")
        #expect(failed.details["cause"]?.stringValue?.count == 32_768)
    }

    /// A runtime error that quotes a 250 KB input (the case a user met) is cut too.
    @Test func aRuntimeErrorQuotingALargeInputIsCut() throws {
        let definition = #"{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"x.$":"$.missing"},"End":true}}}"#
        let machine = try StateMachine.parse(definition)
        var clock = ManualClock()
        let input: JSON = ["blob": .string(String(repeating: "z", count: 250_000))]
        let result = LocalRunner(machine: machine).run(input: input, clock: &clock)
        #expect(result.status == .failed)
        let cause = try #require(result.error?.cause)
        #expect(cause.utf16.count == 32_768)
    }

    @Test(arguments: [("abc", 5, "abc"), ("abcdef", 3, "abc"), ("a😀b", 2, "a"), ("a😀b", 3, "a😀")])
    func cuttingCountsUTF16UnitsAndNeverSplitsAPair(_ text: String, _ limit: Int, _ expected: String) {
        #expect(StatesError.capped(text, limit) == expected)
    }
}
