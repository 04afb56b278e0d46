import StatesLanguage

/// Step Functions Local's mock configuration: for each state machine, test cases naming a
/// mocked response per Task state; each mocked response a list of answers by invocation.
///
///     {"StateMachines": {NAME: {"TestCases": {CASE: {STATE: RESPONSE}}}},
///      "MockedResponses": {RESPONSE: {"0": {"Return": …}, "1-2": {"Throw": {"Error": …, "Cause": …}}}}}
///
/// AWS: "The keys of a mocked response are the invocation numbers, starting from 0, … a range
/// such as "1-2" applies the response to each of those invocations." Retries are invocations.
package struct MockConfig: Sendable, Equatable {
    /// One answer: the integration's result, or the error it throws.
    package enum Response: Sendable, Equatable {
        case value(JSON)
        case error(StatesError)
    }

    /// Responses by name, expanded so that index i answers invocation i.
    package var responses: [String: [Response]]
    /// State machine name → test case → state → response name.
    package var stateMachines: [String: [String: [String: String]]]

    package init(responses: [String: [Response]] = [:], stateMachines: [String: [String: [String: String]]] = [:]) {
        self.responses = responses
        self.stateMachines = stateMachines
    }

    /// Parses and checks a whole file; every error names the path of what is wrong.
    package init(text: String) throws(MockConfigError) {
        let json: JSON
        do { json = try JSONParser.parse(text) } catch { throw MockConfigError("", "the file is not JSON: \(error)") }
        try self.init(json: json)
    }

    package init(json: JSON) throws(MockConfigError) {
        guard case .object(let root) = json else { throw MockConfigError("", "the configuration must be a JSON object") }
        for key in root.keys where key != "StateMachines" && key != "MockedResponses" {
            throw MockConfigError(key, "unknown field (a mock configuration has StateMachines and MockedResponses)")
        }
        responses = try Self.parseResponses(root["MockedResponses"] ?? .object([:]), path: "MockedResponses")
        stateMachines = [:]
        guard case .object(let machines) = root["StateMachines"] ?? .object([:]) else {
            throw MockConfigError("StateMachines", "must be an object of state machine names")
        }
        for (name, machine) in machines {
            let path = "StateMachines.\(name)"
            guard case .object(let m) = machine, case .object(let cases)? = m["TestCases"] else {
                throw MockConfigError(path, "must be an object with a TestCases object")
            }
            var parsed: [String: [String: String]] = [:]
            for (caseName, body) in cases {
                parsed[caseName] = try Self.parseCase(body, path: "\(path).TestCases.\(caseName)", responses: responses)
            }
            stateMachines[name] = parsed
        }
    }

    /// A test case's states and the responses each takes, or nil when the file has no such case.
    package func testCase(stateMachine: String, _ name: String) -> [String: [Response]]? {
        guard let states = stateMachines[stateMachine]?[name] else { return nil }
        return states.compactMapValues { responses[$0] }
    }

    /// `{STATE: RESPONSE_NAME}`, each name one of `responses`.
    package static func parseCase(_ json: JSON, path: String, responses: [String: [Response]]) throws(MockConfigError) -> [String: String] {
        guard case .object(let states) = json else { throw MockConfigError(path, "must be an object of state names to mocked response names") }
        var out: [String: String] = [:]
        for (state, value) in states {
            guard case .string(let name) = value else {
                throw MockConfigError("\(path).\(state)", "must be the name of a mocked response (a string)")
            }
            guard responses[name] != nil else {
                throw MockConfigError("\(path).\(state)", "names the mocked response '\(name)', which MockedResponses does not define")
            }
            out[state] = name
        }
        return out
    }

    /// `{NAME: {"0": {...}, "1-2": {...}}}`: keys numbered consecutively from 0, ranges inclusive.
    package static func parseResponses(_ json: JSON, path: String) throws(MockConfigError) -> [String: [Response]] {
        guard case .object(let all) = json else { throw MockConfigError(path, "must be an object of mocked responses") }
        var out: [String: [Response]] = [:]
        for (name, body) in all {
            let here = "\(path).\(name)"
            guard case .object(let byInvocation) = body, !byInvocation.isEmpty else {
                throw MockConfigError(here, "must be a non-empty object of invocation numbers (\"0\", \"1-2\") to responses")
            }
            var ranges: [(from: Int, to: Int, response: Response)] = []
            for (key, value) in byInvocation {
                guard let range = Self.range(key) else {
                    throw MockConfigError("\(here).\(key)", "is not an invocation number or range (\"0\", \"1-2\")")
                }
                ranges.append((range.from, range.to, try Self.response(value, path: "\(here).\(key)")))
            }
            ranges.sort { $0.from < $1.from }
            var next = 0
            var expanded: [Response] = []
            for r in ranges {
                guard r.from == next else {
                    let key = r.from == r.to ? "\(r.from)" : "\(r.from)-\(r.to)"
                    throw MockConfigError("\(here).\(key)", r.from < next
                        ? "overlaps an earlier invocation range"
                        : "leaves invocation \(next) without a response (keys are numbered consecutively from 0)")
                }
                expanded += Array(repeating: r.response, count: r.to - r.from + 1)
                next = r.to + 1
            }
            out[name] = expanded
        }
        return out
    }

    static func range(_ key: String) -> (from: Int, to: Int)? {
        let parts = key.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2,
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let from = Int(parts[0]), let to = Int(parts[parts.count - 1]), from <= to, to - from < 100_000 else { return nil }
        return (from, to)
    }

    static func response(_ json: JSON, path: String) throws(MockConfigError) -> Response {
        guard case .object(let o) = json else { throw MockConfigError(path, "must be an object with Return or Throw") }
        let fields = Set(o.keys)
        guard fields == ["Return"] || fields == ["Throw"] else {
            throw MockConfigError(path, "must have exactly one of Return and Throw (it has \(fields.isEmpty ? "neither" : fields.sorted().joined(separator: ", ")))")
        }
        if let value = o["Return"] { return .value(value) }
        guard case .object(let t)? = o["Throw"], case .string(let error)? = t["Error"] else {
            throw MockConfigError("\(path).Throw", "must be an object with an Error string (and a Cause string)")
        }
        for key in t.keys where key != "Error" && key != "Cause" {
            throw MockConfigError("\(path).Throw.\(key)", "unknown field (Throw has Error and Cause)")
        }
        var cause: String?
        if let c = t["Cause"] {
            guard case .string(let text) = c else { throw MockConfigError("\(path).Throw.Cause", "must be a string") }
            cause = text
        }
        return .error(StatesError(error, cause))
    }
}

/// What is wrong with a mock configuration, and where.
package struct MockConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    package var path: String
    package var message: String

    package init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    package var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// One execution's use of a test case: each listed state takes its responses in the order it
/// is invoked (a retry is an invocation). A state the case does not list is not mocked.
package final class MockSession: @unchecked Sendable {
    // @unchecked Sendable: used by one runner (or under the engine's per-execution order) at a time.
    package let caseName: String
    let states: [String: [MockConfig.Response]]
    private var counts: [String: Int] = [:]

    package init(caseName: String, states: [String: [MockConfig.Response]]) {
        self.caseName = caseName
        self.states = states
    }

    package func mocks(_ stateName: String) -> Bool { states[stateName] != nil }

    /// The answer to the state's next invocation; nil when the case does not mock the state.
    package func next(_ stateName: String) -> TaskOutcome? {
        guard let responses = states[stateName] else { return nil }
        let n = counts[stateName, default: 0]
        counts[stateName] = n + 1
        return Self.outcome(responses, invocation: n, state: stateName, caseName: caseName)
    }

    /// Invocation `n`'s answer. Past the last response the execution fails (States.Runtime,
    /// which no Catch of States.ALL takes), as Step Functions Local fails it.
    package static func outcome(_ responses: [MockConfig.Response], invocation n: Int, state: String, caseName: String) -> TaskOutcome {
        guard n < responses.count else {
            return .failed(StatesError.runtime("No mocked response for invocation \(n) of state '\(state)' in test case '\(caseName)' (its responses cover invocations 0-\(responses.count - 1))."))
        }
        switch responses[n] {
        case .value(let v): return .succeeded(v)
        case .error(let e): return .failed(e)
        }
    }
}
