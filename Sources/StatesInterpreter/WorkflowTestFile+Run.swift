import StatesLanguage

/// Running a tests file: each case through the interpreter in memory on a manual clock (a Wait
/// or a retry's backoff takes no real time), its Task states answered by their mocks, then
/// checked against what the case expects.
extension WorkflowTestFile {
    package struct CaseResult: Sendable {
        package var name: String
        /// What differs from the expectation, one line each ("output.count: expected 3, got 2").
        package var failures: [String]
        package var status: ExecutionStatus
        package var output: JSON?
        package var error: StatesError?
        package var events: [HistoryEvent]
        package var passed: Bool { failures.isEmpty }
    }

    package func run(_ machine: StateMachine, stateMachineName: String = "local") -> [CaseResult] {
        cases.map { run($0, machine, stateMachineName: stateMachineName) }
    }

    package func run(_ c: Case, _ machine: StateMachine, stateMachineName: String) -> CaseResult {
        let session = MockSession(caseName: c.name, states: c.mocks.compactMapValues { responses[$0] })
        var runner = LocalRunner(machine: machine)
        runner.intercept = { inv in
            session.next(inv.stateName) ?? .failed(StatesError.runtime(
                "The state '\(inv.stateName)' has no mocked response in test case '\(c.name)': baton test runs offline, so every Task state a case reaches needs one."))
        }
        var clock = ManualClock()
        let context = ExecutionContext(executionArn: "arn:aws:states:us-east-1:000000000000:execution:\(stateMachineName):\(c.name)", name: c.name,
                                       roleArn: "arn:aws:iam::000000000000:role/baton-test",
                                       stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:\(stateMachineName)",
                                       stateMachineName: stateMachineName, startTime: clock.now())
        let r = runner.run(input: c.input, context: context, seed: 42, clock: &clock)
        return CaseResult(name: c.name, failures: Self.check(c.expect, r), status: r.status, output: r.output, error: r.error, events: r.events)
    }

    static func check(_ x: Expectation, _ r: LocalRunner.Result) -> [String] {
        var out: [String] = []
        if let s = x.status, s != r.status.rawValue {
            var line = "status: expected \(s), got \(r.status.rawValue)"
            if let e = r.error { line += " (\(e.error)\(e.cause.map { ": \($0)" } ?? ""))" }
            out.append(line)
        }
        if let o = x.output {
            if let actual = r.output { out += diff(o, actual, at: "output") } else { out.append("output: expected \(o.serialized), got none") }
        }
        if let e = x.error, e != r.error?.error {
            out.append("error: expected \(e), got \(r.error.map { $0.error + ($0.cause.map { " (\($0))" } ?? "") } ?? "none")")
        }
        if let c = x.cause, c != r.error?.cause { out.append("cause: expected \(c.debugDescription), got \(r.error?.cause?.debugDescription ?? "none")") }
        let entered = r.events.filter { $0.type.hasSuffix("StateEntered") }
        if let p = x.path {
            let actual = entered.compactMap { $0.details["name"]?.stringValue }
            if p != actual { out.append("path: expected \(p.joined(separator: " → ")), got \(actual.joined(separator: " → "))") }
        }
        for s in x.states {
            let enteredLast = entered.last { $0.details["name"]?.stringValue == s.name }
            let exitedLast = r.events.last { $0.type.hasSuffix("StateExited") && $0.details["name"]?.stringValue == s.name }
            if enteredLast == nil { out.append("states.\(s.name): never entered"); continue }
            if let i = s.input { out += diff(i, parsed(enteredLast?.details["input"]), at: "states.\(s.name).input") }
            if let o = s.output {
                if let exitedLast { out += diff(o, parsed(exitedLast.details["output"]), at: "states.\(s.name).output") } else {
                    out.append("states.\(s.name).output: the state never exited")
                }
            }
        }
        if let v = x.variables {
            var values = JSONObject()
            for e in r.events {
                guard case .object(let assigned)? = e.details["assignedVariables"] else { continue }
                for (name, text) in assigned { values[name] = parsed(text) }
            }
            for (name, expected) in v {
                if let actual = values[name] { out += diff(expected, actual, at: "variables.\(name)") } else {
                    out.append("variables.\(name): expected \(expected.serialized), never assigned")
                }
            }
        }
        return out
    }

    /// History carries inputs and outputs as JSON text.
    static func parsed(_ v: JSON?) -> JSON {
        guard case .string(let text)? = v else { return v ?? .null }
        return (try? JSONParser.parse(text)) ?? .string(text)
    }

    /// Where two values differ, one line per difference, by path.
    package static func diff(_ expected: JSON, _ actual: JSON, at path: String) -> [String] {
        switch (expected, actual) {
        case (.object(let e), .object(let a)):
            var out: [String] = []
            for (k, v) in e {
                if let w = a[k] { out += diff(v, w, at: "\(path).\(k)") } else { out.append("\(path).\(k): expected \(v.serialized), missing") }
            }
            for (k, w) in a where e[k] == nil { out.append("\(path).\(k): unexpected \(w.serialized)") }
            return out
        case (.array(let e), .array(let a)):
            var out: [String] = e.count == a.count ? [] : ["\(path): expected \(e.count) items, got \(a.count)"]
            for i in 0..<min(e.count, a.count) { out += diff(e[i], a[i], at: "\(path)[\(i)]") }
            return out
        default:
            return expected == actual ? [] : ["\(path): expected \(expected.serialized), got \(actual.serialized)"]
        }
    }
}
