import Engine
import Journal
import StatesInterpreter
import StatesLanguage
import Testing

/// The catalogue's rules in the engine: versions, aliases by weight (the roll is an input),
/// idempotent starts.
@Suite struct CatalogueTests {
    static let pass = #"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#

    @Test func aliasesRouteByWeightAndVersionsNumberThemselves() async throws {
        // Through the protocol (whose calls throw), as the engine uses it.
        let journal: any JournalStore = InMemoryJournal()
        try await withEngine(journal: journal) { engine, _ in
            let d1 = try await engine.saveDefinition(stateMachineArn: smArn, definition: Self.pass)
            var sm = StateMachineRecord(arn: smArn, name: "test", type: "STANDARD", roleArn: "arn:aws:iam::1:role/r", definitionId: d1, createdMillis: 0)
            try await journal.putStateMachine(sm)
            let v1 = try await engine.publishVersion(sm, description: nil)
            #expect(v1.version == 1 && v1.arn == smArn + ":1")
            #expect(try await engine.publishVersion(sm, description: nil).arn == v1.arn)
            sm.definitionId = try await engine.saveDefinition(stateMachineArn: smArn, definition: Self.pass.replacingOccurrences(of: "\"P\"", with: "\"Q\""))
            try await journal.putStateMachine(sm)
            let v2 = try await engine.publishVersion(sm, description: "two")
            #expect(v2.version == 2)
            try await journal.putAlias(AliasRecord(arn: smArn + ":live", stateMachineArn: smArn, name: "live", description: nil,
                                                   routing: [.init(versionArn: v1.arn, weight: 30), .init(versionArn: v2.arn, weight: 70)],
                                                   createdMillis: 0, updatedMillis: 0))
            #expect(try await engine.resolveTarget(smArn + ":live", roll: 29).versionArn == v1.arn)
            #expect(try await engine.resolveTarget(smArn + ":live", roll: 30).versionArn == v2.arn)
            let byVersion = try await engine.resolveTarget(smArn + ":1")
            #expect(byVersion.definitionId == d1 && byVersion.aliasArn == nil)
            await #expect(throws: EngineError("StateMachineDoesNotExist", "")) { _ = try await engine.resolveTarget(smArn + ":9") }
            await #expect(throws: EngineError("ResourceNotFound", "")) { _ = try await engine.resolveTarget(smArn + ":nope") }
            await #expect(throws: EngineError("InvalidArn", "")) { _ = try await engine.resolveTarget("arn:aws:states:us-east-1:1:activity:a") }
            // The same name and input while running is the same execution; another input is refused.
            let target = try await engine.resolveTarget(smArn + ":live", roll: 0)
            let wait = try await engine.saveDefinition(stateMachineArn: smArn, definition: #"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}"#)
            var waiting = target
            waiting.definitionId = wait
            let first = try await engine.start(waiting, name: "once", input: "{}")
            #expect(try await engine.start(waiting, name: "once", input: "{}").arn == first.arn)
            await #expect(throws: EngineError.executionAlreadyExists("")) { _ = try await engine.start(waiting, name: "once", input: #"{"a":1}"#) }
        }
    }
}
