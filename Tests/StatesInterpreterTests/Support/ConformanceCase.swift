import Foundation
import StatesLanguage
import Testing

/// One case of `../shared/conformance/sfn/cases`: a definition, an input and what AWS produced.
struct ConformanceCase: Sendable, CustomTestStringConvertible {
    var id: String
    var file: String
    var definition: String
    var input: String?
    var expected: JSON
    var needs: [JSON]
    var normalise: [JSON]

    var testDescription: String { id }

    /// The cases folder: `BATON_CONFORMANCE_DIR`, or `../shared/conformance/sfn/cases` beside the checkout.
    static var directory: URL {
        if let env = ProcessInfo.processInfo.environment["BATON_CONFORMANCE_DIR"] { return URL(fileURLWithPath: env) }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/conformance/sfn/cases")
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    static func loadAll() -> [ConformanceCase] {
        let dir = directory
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        var out: [ConformanceCase] = []
        for f in files.sorted() where f.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent(f).path),
                  let json = try? JSONParser.parse([UInt8](data)), case .object(let o) = json else { continue }
            out.append(ConformanceCase(
                id: o["id"]?.stringValue ?? f, file: f, definition: o["definition"]?.stringValue ?? "",
                input: o["input"]?.stringValue, expected: o["expected"] ?? .null,
                needs: o["needs"]?.arrayValue ?? [], normalise: o["normalise"]?.arrayValue ?? []))
        }
        return out
    }

    /// In scope for the interpreter: needs nothing beyond the engine.
    var inScope: Bool { needs.isEmpty }
}
