import StatesLanguage
import Testing

/// A State is a value although its fields sit behind one reference: a changed copy leaves
/// the state it was copied from (and the machine holding it) as it was.
struct StateValueTests {
    @Test func aChangedCopyLeavesTheOriginal() throws {
        let (machine, diagnostics) = StateMachine.validate("""
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Comment": "first", "Next": "B"}, "B": {"Type": "Succeed"}}}
            """)
        let m = try #require(machine, "\(diagnostics)")
        let original = m.states[0]
        var copy = original
        copy.name = "Z"
        copy.comment = "changed"
        copy.transition = .end
        copy.queryLanguage = .jsonata
        #expect(original.name == "A" && original.comment == "first" && original.transition == .next("B"))
        #expect(original.queryLanguage == .jsonPath)
        #expect(m.states[0].name == "A" && m.states[0].comment == "first")
        #expect(copy.name == "Z" && copy.comment == "changed" && copy.transition == .end && copy.isJSONata)
        // A copy changed twice keeps its own fields (the second change needs no copy).
        copy.name = "Y"
        #expect(copy.name == "Y" && original.name == "A")
    }
}
