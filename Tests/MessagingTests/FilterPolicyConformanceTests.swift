import Foundation
import ServiceKit
import StatesLanguage
import Testing
@testable import Messaging

/// The SNS filter-policy cases recorded on AWS (`../shared/conformance/events/cases`, kind
/// `sns-filter-policy`, or `$BATON_EVENTS_CASES`), run in-process: each policy is checked as
/// Subscribe checks it, then matched against the publication in its scope.
@Suite struct FilterPolicyConformanceTests {
    static var directory: URL {
        if let env = ProcessInfo.processInfo.environment["BATON_EVENTS_CASES"] { return URL(fileURLWithPath: env) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/conformance/events/cases")
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var id: String
        var policy: String
        var scope: String
        var event: JSON
        var expected: JSON
        var testDescription: String { id }
    }

    static let cases: [Case] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var out: [Case] = []
        for f in files.sorted() where f.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(f).path),
                  case .object(let c)? = try? JSONParser.parse([UInt8](data)), c["kind"]?.stringValue == "sns-filter-policy" else { continue }
            let policy = c["pattern"].map { $0.stringValue ?? $0.serialized } ?? "null"
            out.append(Case(id: c["id"]?.stringValue ?? f, policy: policy, scope: c["scope"]?.stringValue ?? "MessageAttributes",
                            event: c["event"] ?? .null, expected: c["expected"] ?? .null))
        }
        return out
    }()

    @Test(.enabled(if: !FilterPolicyConformanceTests.cases.isEmpty, "no sns-filter-policy cases at \(FilterPolicyConformanceTests.directory.path)"),
          arguments: FilterPolicyConformanceTests.cases)
    func recordedCase(_ c: Case) throws {
        if c.expected["error"] != nil {
            #expect(throws: ServiceError.self) { try FilterPolicy(text: c.policy, scope: c.scope) }
            return
        }
        let policy = try FilterPolicy(text: c.policy, scope: c.scope)
        let matched: Bool
        if c.scope == "MessageBody" {
            matched = policy.matches(body: c.event["Message"]?.stringValue ?? "")
        } else {
            matched = policy.matches(attributes: c.event["MessageAttributes"]?.objectValue ?? [:])
        }
        #expect(matched == (c.expected["match"] == .bool(true)))
    }
}
