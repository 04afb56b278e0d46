import Foundation
import StatesLanguage
import Testing
@testable import Events

/// The event-pattern cases recorded on AWS (`../shared/conformance/events/cases`, or
/// `$BATON_EVENTS_CASES`), run in-process against the compiled pattern.
@Suite struct EventPatternConformanceTests {
    static var directory: URL {
        if let env = ProcessInfo.processInfo.environment["BATON_EVENTS_CASES"] { return URL(fileURLWithPath: env) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/conformance/events/cases")
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var id: String
        var pattern: String
        var event: String
        var expected: JSON
        var testDescription: String { id }
    }

    static let cases: [Case] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var out: [Case] = []
        for f in files.sorted() where f.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(f).path),
                  case .object(let c)? = try? JSONParser.parse([UInt8](data)) else { continue }
            func text(_ v: JSON?) -> String { v?.stringValue ?? v?.serialized ?? "null" }
            if c["kind"]?.stringValue == "event-pattern" {
                out.append(Case(id: c["id"]?.stringValue ?? f, pattern: text(c["pattern"]), event: text(c["event"]), expected: c["expected"] ?? .null))
            } else if let form = c["as_event_pattern"]?.objectValue {
                out.append(Case(id: c["id"]?.stringValue ?? f, pattern: text(form["pattern"]), event: text(form["event"]), expected: c["expected"] ?? .null))
            }
        }
        return out
    }()

    @Test(.enabled(if: !EventPatternConformanceTests.cases.isEmpty, "no event-pattern cases at \(EventPatternConformanceTests.directory.path)"),
          arguments: EventPatternConformanceTests.cases)
    func recordedCase(_ c: Case) throws {
        if let error = c.expected["error"]?.stringValue {
            // SNS's policy-only errors are not event-pattern errors; the runner skips those too.
            guard error == "InvalidEventPatternException" else { return }
            #expect(throws: (any Error).self) { try EventPattern(text: c.pattern) }
            return
        }
        let pattern = try EventPattern(text: c.pattern)
        let event = try JSONParser.parse(c.event)
        #expect(pattern.matches(event) == (c.expected["match"] == .bool(true)))
    }
}
