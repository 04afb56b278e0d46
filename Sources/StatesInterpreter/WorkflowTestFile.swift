import StatesLanguage

/// A workflow's tests (`NAME.tests.json` beside `NAME.asl.json`): mocked responses in Step
/// Functions Local's format, and cases that each give an input, the mocks (state → response
/// name, as a test case of a mock configuration), and what to expect.
///
///     {"MockedResponses": {"SendOK": {"0": {"Return": {"StatusCode": 200, "Payload": {…}}}}},
///      "TestCases": {"HappyPath": {"input": {…}, "mocks": {"SendCampaign": "SendOK"},
///                                  "expect": {"status": "SUCCEEDED", "output": {…}, "path": […],
///                                             "states": {"S": {"input": …, "output": …}}, "variables": {…}}}}}
package struct WorkflowTestFile: Sendable {
    package struct Expectation: Sendable {
        package var status: String?
        package var output: JSON?
        package var error: String?
        package var cause: String?
        /// The names of the states entered, in order.
        package var path: [String]?
        /// A state's input and output the last time it ran.
        package var states: [(name: String, input: JSON?, output: JSON?)]
        /// Variables' values at the end (the last value each was assigned).
        package var variables: JSONObject?
    }

    package struct Case: Sendable {
        package var name: String
        package var input: JSON
        package var mocks: [String: String]
        package var expect: Expectation
    }

    package var responses: [String: [MockConfig.Response]]
    package var cases: [Case]

    package init(text: String) throws(MockConfigError) {
        let json: JSON
        do { json = try JSONParser.parse(text) } catch { throw MockConfigError("", "the file is not JSON: \(error)") }
        try self.init(json: json)
    }

    package init(json: JSON) throws(MockConfigError) {
        guard case .object(let root) = json else { throw MockConfigError("", "a tests file must be a JSON object") }
        for key in root.keys where key != "MockedResponses" && key != "TestCases" && key != "Comment" {
            throw MockConfigError(key, "unknown field (a tests file has MockedResponses and TestCases)")
        }
        responses = try MockConfig.parseResponses(root["MockedResponses"] ?? .object([:]), path: "MockedResponses")
        guard case .object(let all)? = root["TestCases"], !all.isEmpty else {
            throw MockConfigError("TestCases", "must be a non-empty object of test cases")
        }
        cases = []
        for (name, body) in all {
            let path = "TestCases.\(name)"
            guard case .object(let c) = body else { throw MockConfigError(path, "must be an object") }
            for key in c.keys where !["input", "mocks", "expect", "Comment"].contains(key) {
                throw MockConfigError("\(path).\(key)", "unknown field (a test case has input, mocks and expect)")
            }
            let mocks = try c["mocks"].map { (m) throws(MockConfigError) in try MockConfig.parseCase(m, path: "\(path).mocks", responses: responses) } ?? [:]
            cases.append(Case(name: name, input: c["input"] ?? .object([:]), mocks: mocks,
                              expect: try Self.expectation(c["expect"], path: "\(path).expect")))
        }
    }

    static func expectation(_ json: JSON?, path: String) throws(MockConfigError) -> Expectation {
        guard case .object(let e)? = json else { throw MockConfigError(path, "must be an object (at least a status)") }
        let known = ["status", "output", "error", "cause", "path", "states", "variables"]
        for key in e.keys where !known.contains(key) {
            throw MockConfigError("\(path).\(key)", "unknown expectation (one of \(known.joined(separator: ", ")))")
        }
        func string(_ key: String) throws(MockConfigError) -> String? {
            guard let v = e[key] else { return nil }
            guard case .string(let s) = v else { throw MockConfigError("\(path).\(key)", "must be a string") }
            return s
        }
        var x = Expectation(status: try string("status"), output: e["output"], error: try string("error"), cause: try string("cause"), states: [])
        let statuses = ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]
        if let s = x.status, !statuses.contains(s) {
            throw MockConfigError("\(path).status", "must be one of \(statuses.joined(separator: ", "))")
        }
        if let p = e["path"] {
            guard case .array(let names) = p, let strings = Optional(names.compactMap(\.stringValue)), strings.count == names.count else {
                throw MockConfigError("\(path).path", "must be an array of state names")
            }
            x.path = strings
        }
        if let s = e["states"] {
            guard case .object(let states) = s else { throw MockConfigError("\(path).states", "must be an object of state names") }
            for (name, body) in states {
                guard case .object(let o) = body, !o.isEmpty, o.keys.allSatisfy({ $0 == "input" || $0 == "output" }) else {
                    throw MockConfigError("\(path).states.\(name)", "must be an object with input and/or output")
                }
                x.states.append((name, o["input"], o["output"]))
            }
        }
        if let v = e["variables"] {
            guard case .object(let o) = v else { throw MockConfigError("\(path).variables", "must be an object of variable names") }
            x.variables = o
        }
        return x
    }
}
