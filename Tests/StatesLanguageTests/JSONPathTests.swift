import StatesLanguage
import Testing

struct PathCase: Sendable, CustomTestStringConvertible {
    var path: String
    var spec: JSON
    var testDescription: String { path }
}

@Suite struct JSONPathTests {
    static let document = fixture("jsonpath.json")
    static let cases: [PathCase] = (document["cases"]?.arrayValue ?? []).map {
        PathCase(path: $0["path"]?.stringValue ?? "", spec: $0)
    }

    @Test(arguments: cases)
    func evaluates(_ c: PathCase) throws {
        let input = Self.document["input"]!
        if c.spec["invalid"] != nil {
            #expect(throws: JSONPathError.self) { try JSONPath(c.path) }
            return
        }
        let path = try JSONPath(c.path)
        if let notFound = c.spec["notFound"]?.stringValue {
            #expect(throws: JSONPathNotFound(normalizedPath: notFound)) { try path.evaluate(input: input) }
            return
        }
        var expected = c.spec["expected"]!
        if expected == "<input>" { expected = input }
        #expect(try path.evaluate(input: input) == expected)
    }

    @Test func contextPathsReadTheContextObject() throws {
        let path = try JSONPath("$$.Execution.Id")
        #expect(path.root == .context)
        #expect(try path.evaluate(input: [:], context: ["Execution": ["Id": "arn"]]) == "arn")
    }

    @Test(arguments: ["$.a.b", "$['a'][0]", "$.a[-1]"])
    func definitePaths(_ text: String) throws {
        #expect(try JSONPath(text).isDefinite)
    }

    @Test(arguments: ["$.a[*]", "$..a", "$.a[1:2]", "$.a[?(@.x)]", "$.a[0,1]"])
    func indefinitePaths(_ text: String) throws {
        #expect(try !JSONPath(text).isDefinite)
    }
}

@Suite struct JSONPathRootTests {
    @Test func theBuiltRootIsTheParsedRoot() throws {
        let parsed = try JSONPath("$")
        #expect(JSONPath.root.text == parsed.text && JSONPath.root.root == parsed.root && JSONPath.root.segments == parsed.segments)
        #expect(JSONPath.root.isDefinite == parsed.isDefinite)
    }
}
