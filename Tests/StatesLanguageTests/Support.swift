import Foundation
import StatesLanguage

/// Reads a JSON fixture beside the tests.
func fixture(_ name: String, file: String = #filePath) -> JSON {
    let url = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
    let data = FileManager.default.contents(atPath: url.path) ?? Data()
    return (try? JSONParser.parse([UInt8](data))) ?? .null
}

func fixtureStrings(_ name: String) -> [String] {
    fixture(name).arrayValue?.compactMap(\.stringValue) ?? []
}
