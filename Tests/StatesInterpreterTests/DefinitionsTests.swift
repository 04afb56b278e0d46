import Foundation
import StatesInterpreter
import StatesLanguage
import Testing

/// Every example in `definitions/` is validated and run (with `NAME.input.json` as its input and
/// `NAME.expected.json` as its output),
/// tasks answered from `NAME.tasks.json` (state name → the results its calls return, in order)
/// or else by an echo that returns `{"Payload": <parameters' Payload>}` plus a tracking number.
@Suite struct DefinitionsTests {
    static var folder: URL { ConformanceCase.packageRoot.appendingPathComponent("definitions") }

    static let files: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
        .filter { $0.hasSuffix(".asl.json") }.sorted()

    @Test func thereAreExamples() {
        #expect(!Self.files.isEmpty)
    }

    @Test(arguments: files)
    func validatesAndRuns(_ file: String) throws {
        let text = String(decoding: FileManager.default.contents(atPath: Self.folder.appendingPathComponent(file).path) ?? Data(), as: UTF8.self)
        let (machine, diagnostics) = DefinitionCheck.validate(text)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let m = try #require(machine)
        let inputFile = Self.folder.appendingPathComponent(file.replacingOccurrences(of: ".asl.json", with: ".input.json"))
        let input = try FileManager.default.contents(atPath: inputFile.path).map { try JSONParser.parse([UInt8]($0)) } ?? [:]
        let tasksFile = Self.folder.appendingPathComponent(file.replacingOccurrences(of: ".asl.json", with: ".tasks.json"))
        let scripted = try FileManager.default.contents(atPath: tasksFile.path).map { try JSONParser.parse([UInt8]($0)) }
        let calls = Counter()
        var runner = LocalRunner(machine: m)
        runner.fallback = { invocation in
            if let results = scripted?[invocation.stateName]?.arrayValue {
                let n = calls.next(invocation.stateName)
                return n < results.count ? .succeeded(results[n]) : .failed(StatesError("Test.NoMoreResults", invocation.stateName))
            }
            var payload = invocation.parameters["Payload"] ?? invocation.parameters
            if case .object(var o) = payload { o["tracking"] = "T-1"; payload = .object(o) }
            return .succeeded(["Payload": payload, "StatusCode": 200])
        }
        var clock = ManualClock()
        let result = runner.run(input: input, clock: &clock)
        #expect(result.status == .succeeded, "\(result.error.map { "\($0.error): \($0.cause ?? "")" } ?? "")")
        let expectedFile = Self.folder.appendingPathComponent(file.replacingOccurrences(of: ".asl.json", with: ".expected.json"))
        if let data = FileManager.default.contents(atPath: expectedFile.path) {
            #expect(result.output == (try JSONParser.parse([UInt8](data))))
        }
    }
}

/// Calls per state, for scripted task results.
final class Counter: @unchecked Sendable {
    // @unchecked Sendable: `counts` is only touched under `lock`.
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    func next(_ key: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        counts[key, default: 0] += 1
        return counts[key]! - 1
    }
}
