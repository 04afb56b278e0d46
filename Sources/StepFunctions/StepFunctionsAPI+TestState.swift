import Engine
import StatesInterpreter
import StatesLanguage

/// TestState: one state (or `stateName` in a whole definition), a given input, run by the
/// interpreter alone (`StateTest`). A `mock` stands in for the state's integration (or for a
/// Map's or Parallel's iterations); without one, a Task calls its integration on this endpoint.
extension StepFunctionsAPI {
    func testState(_ r: Request) async throws(APIError) -> JSON {
        let definitionText = try r.required("definition")
        let inputText = try r.string("input") ?? "{}"
        let level = try r.string("inspectionLevel") ?? "INFO"
        guard ["INFO", "DEBUG", "TRACE"].contains(level) else {
            throw APIError.validation("1 validation error detected: Value '\(level)' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]")
        }
        guard let input = try? JSONParser.parse(inputText) else { throw APIError("InvalidExecutionInput", "Invalid input: '\(inputText)'") }
        var variables: JSONObject? = nil
        if let text = try r.string("variables") {
            guard case .object(let o)? = try? JSONParser.parse(text) else {
                throw APIError.validation("Invalid variables: '\(text)' is not a JSON object")
            }
            variables = o
        }
        let mock = try Self.mock(r)
        var test: StateTest
        let stateName = try r.string("stateName")
        do throws(StateTest.Problem) {
            test = try StateTest(definition: definitionText, stateName: stateName, mocked: mock != nil, variables: variables)
        } catch {
            throw APIError(error.code, error.message)
        }
        test.input = input
        test.mock = mock?.mock
        test.configuration = try Self.configuration(r, for: test, mocked: mock != nil)
        if let text = try r.string("context") {
            guard mock != nil else { throw APIError.validation("A context object can only be given together with a mock.") }
            test.context = try Self.context(text)
        }
        if test.isTask, mock == nil, try r.string("roleArn") == nil {
            throw APIError.validation("RoleArn must be specified when testing a Task state")
        }
        if mock != nil, try r.bool("revealSecrets") == true {
            throw APIError.validation("TestState does not support RevealSecrets when a mock is specified.")
        }
        if let mock, case .result(let value) = mock.mock {
            try Self.check(value, of: test, mode: mock.mode)
        }
        var answer: TaskOutcome? = nil
        if let inv = test.invocation() {
            if inv.taskToken != nil || inv.resource.contains(".sync") || inv.resource.contains(":activity:") {
                throw APIError.validation("TestState runs .sync and .waitForTaskToken integrations and activities only with a mock.")
            }
            answer = await engine.call(inv.resource, parameters: inv.parameters, caller: "TestState", key: inv.idempotencyKey,
                                       traceHeader: r.traceHeader) ?? LocalRunner.unknownResource(inv)
        }
        let outcome = test.run(answer: answer, inspect: level != "INFO")
        var out = JSONObject()
        if let o = outcome.output { out["output"] = .string(o.serialized) }
        if let e = outcome.error { out["error"] = .string(e) }
        if let c = outcome.cause { out["cause"] = .string(c) }
        out["status"] = .string(outcome.status)
        if let n = outcome.nextState { out["nextState"] = .string(n) }
        if level != "INFO" { out["inspectionData"] = .object(outcome.inspection) }
        return .object(out)
    }

    /// `mock`: a `result` (JSON text) or an `errorOutput`, never both.
    static func mock(_ r: Request) throws(APIError) -> (mock: StateTest.Mock, mode: ResultShapes.Mode)? {
        guard let m = r.body["mock"], !m.isNull else { return nil }
        guard case .object(let o) = m else { throw APIError.validation("1 validation error detected: Value at 'mock' failed to satisfy constraint: Member must be a structure") }
        let mode = ResultShapes.Mode(rawValue: o["fieldValidationMode"]?.stringValue ?? "STRICT") ?? .strict
        let result = o["result"].flatMap { $0.isNull ? nil : $0 }
        let errorOutput = o["errorOutput"].flatMap { $0.isNull ? nil : $0 }
        if result != nil, errorOutput != nil {
            throw APIError.validation("A test mock should have only one of the following fields: [result, errorOutput].")
        }
        if let result {
            guard let text = result.stringValue, let value = try? JSONParser.parse(text) else {
                throw APIError.validation("Mocked result must be valid JSON")
            }
            return (.result(value), mode)
        }
        if let e = errorOutput?.objectValue {
            return (.error(e["error"]?.stringValue ?? "", e["cause"]?.stringValue ?? ""), mode)
        }
        throw APIError.validation("A test mock should have one of the following fields: [result, errorOutput].")
    }

    /// A mocked result checked against what the state returns: a Map's is an array (an object
    /// when it has a ResultWriter), a Parallel's has one item per branch, a Task's fits its
    /// action's output shape (`fieldValidationMode`).
    static func check(_ value: JSON, of test: StateTest, mode: ResultShapes.Mode) throws(APIError) {
        switch test.type {
        case "Map":
            if test.state["ResultWriter"] != nil {
                guard case .object = value else { throw APIError.validation("Mocked result must be a JSON object.") }
            } else {
                guard case .array = value else { throw APIError.validation("Mocked result must be an array.") }
            }
        case "Parallel":
            let branches = test.state["Branches"]?.arrayValue?.count ?? 0
            guard case .array(let a) = value, a.count == branches else {
                throw APIError.validation("Mocked result must be an array with one item per branch (\(branches)).")
            }
        case "Task":
            if let resource = test.state["Resource"]?.stringValue,
               let problem = ResultShapes.problem(with: value, resource: resource, mode: mode) {
                throw APIError.validation(problem)
            }
        default: break
        }
    }

    /// `stateConfiguration`, checked against the state it configures.
    static func configuration(_ r: Request, for test: StateTest, mocked: Bool) throws(APIError) -> StateTest.Configuration {
        var c = StateTest.Configuration()
        guard let v = r.body["stateConfiguration"], !v.isNull else { return c }
        guard case .object(let o) = v else {
            throw APIError.validation("1 validation error detected: Value at 'stateConfiguration' failed to satisfy constraint: Member must be a structure")
        }
        guard mocked else { throw APIError.validation("A state configuration can only be given together with a mock.") }
        func count(_ key: String) throws(APIError) -> Int? {
            guard let v = o[key], !v.isNull else { return nil }
            guard let n = v.integerValue, n >= 0 else {
                throw APIError.validation("1 validation error detected: Value '\(v.serialized)' at 'stateConfiguration.\(key)' failed to satisfy constraint: Member must have value greater than or equal to 0")
            }
            return Int(n)
        }
        c.retrierRetryCount = try count("retrierRetryCount")
        if c.retrierRetryCount != nil, test.state["Retry"] == nil {
            throw APIError.validation("retrierRetryCount can only be specified for a state with a Retry field.")
        }
        c.mapIterationFailureCount = try count("mapIterationFailureCount")
        if c.mapIterationFailureCount != nil, test.type != "Map" {
            throw APIError.validation("mapIterationFailureCount can only be specified for a Map state.")
        }
        if let name = o["errorCausedByState"]?.stringValue {
            guard test.type == "Map" || test.type == "Parallel" else {
                throw APIError.validation("errorCausedByState can only be specified for a Map or Parallel state.")
            }
            let inner = (test.state["Branches"]?.arrayValue ?? []) + [test.state["ItemProcessor"], test.state["Iterator"]].compactMap { $0 }
            guard inner.contains(where: { StateTest.find(name, in: $0.objectValue ?? [:], jsonata: false) != nil }) else {
                throw APIError.validation("errorCausedByState '\(name)' is not a state of the \(test.type) state's \(test.type == "Map" ? "ItemProcessor" : "Branches").")
            }
            c.errorCausedByState = name
        }
        if let data = o["mapItemReaderData"]?.stringValue {
            guard test.type == "Map", test.state["ItemReader"] != nil else {
                throw APIError.validation("mapItemReaderData can only be specified for a Map state with an ItemReader.")
            }
            c.mapItemReaderData = data
        }
        return c
    }

    /// `context`: the fields of the context object the state sees, as AWS allows them
    /// (Execution, State, StateMachine, Task; not Map), each of its type.
    static func context(_ text: String) throws(APIError) -> String {
        func invalid(_ why: String) -> APIError { APIError.validation("Invalid Context object provided: \(why)") }
        guard case .object(let o)? = try? JSONParser.parse(text) else { throw invalid("the context must be a JSON object") }
        let allowed: [String: [String: String]] = [
            "Execution": ["Id": "string", "Input": "any", "Name": "string", "RoleArn": "string", "StartTime": "string", "RedriveCount": "integer"],
            "State": ["EnteredTime": "string", "Name": "string", "RetryCount": "integer"],
            "StateMachine": ["Id": "string", "Name": "string"],
            "Task": ["Token": "string"],
        ]
        for (section, value) in o {
            if section == "Map" { throw invalid("'Map' field is not supported when mocking a Context object") }
            guard let fields = allowed[section] else { throw invalid("Field '\(section)' is not allowed") }
            guard case .object(let f) = value else { throw invalid("\(section) must be a object") }
            for (key, v) in f {
                guard let type = fields[key] else { throw invalid("Field '\(key)' is not allowed") }
                switch type {
                case "string": guard case .string = v else { throw invalid("\(section).\(key) must be a string") }
                case "integer": guard v.integerValue != nil, v.isNumber else { throw invalid("\(section).\(key) must be a integer") }
                default: break
                }
            }
        }
        return text
    }
}
