import Foundation
import StatesLanguage
import Testing
@testable import StatesInterpreter

/// The execution snapshot's field-by-field form: every state every recorded case passes
/// through comes back whole. "Whole" is judged by reflection over all stored properties, so a
/// field added to the state and forgotten by the snapshot fails here.
@Suite struct SnapshotTests {
    static let cases = ConformanceCase.loadAll().filter(\.inScope)

    /// Every stored property, recursively, dictionaries and sets in a fixed order.
    static func dump(_ value: Any) -> String {
        let m = Mirror(reflecting: value)
        switch m.displayStyle {
        case .dictionary, .set:
            return "{" + m.children.map { dump($0.value) }.sorted().joined(separator: ",") + "}"
        case .optional:
            return m.children.first.map { "?" + dump($0.value) } ?? "nil"
        case .struct, .class, .tuple, .collection, .enum:
            if let json = value as? JSON { return json.serialized }
            let kids = m.children.map { ($0.label ?? "") + ":" + dump($0.value) }
            return "\(m.subjectType)(" + kids.joined(separator: ",") + ")"
        default:
            return "\(value)"
        }
    }

    @Test(.enabled(if: !SnapshotTests.cases.isEmpty, "no conformance cases at \(ConformanceCase.directory.path)"))
    func everyStateOfEveryCaseRoundTrips() throws {
        var states = 0
        var failures: [String] = []
        for c in Self.cases {
            guard let machine = try? DefinitionCheck.parse(c.definition), let input = try? JSONParser.parse(c.input ?? "{}") else { continue }
            var clock = ManualClock()
            _ = LocalRunner(machine: machine).run(input: input, clock: &clock) { state in
                states += 1
                var w = SnapshotWriter(prefix: [])
                state.write(to: &w)
                if w.bytes.isEmpty { failures.append("\(c.id): nothing written") }
                var r = SnapshotReader(w.bytes, from: 0)
                guard let back = try? ExecutionState.read(from: &r) else {
                    failures.append("\(c.id): did not decode")
                    return
                }
                if Self.dump(back) != Self.dump(state) { failures.append("\(c.id): \(Self.dump(state).prefix(200))") }
            }
        }
        #expect(states >= Self.cases.count)
        #expect(failures.isEmpty, "\(failures.count) states differ, e.g. \(failures.first ?? "")")
    }

    @Test func aTruncatedSnapshotIsAnErrorNotACrash() throws {
        let machine = try DefinitionCheck.parse(#"{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"End":true}}},"End":true}}}"#)
        var clock = ManualClock()
        var last: ExecutionState?
        _ = LocalRunner(machine: machine).run(input: try JSONParser.parse(#"{"items":[1,2,3]}"#), clock: &clock) { last = $0 }
        var w = SnapshotWriter(prefix: [])
        try #require(last).write(to: &w)
        for n in 0..<w.bytes.count {
            var r = SnapshotReader(Array(w.bytes.prefix(n)), from: 0)
            #expect(throws: (any Error).self) { _ = try ExecutionState.read(from: &r) }
        }
    }
}
