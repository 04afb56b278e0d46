import Engine
import Journal
import ServiceKit
import StatesInterpreter
import StatesLanguage

extension StepFunctionsAPI {
    func execution(_ arn: String) async throws(APIError) -> ExecutionRecord {
        // By fields, as slices of the text: every DescribeExecution poll checks its ARN, and a
        // parsed ARN's eight strings were 2 % of a callback run's server CPU.
        let type = ARN.field(5, of: arn)
        guard ARN.field(0, of: arn) == "arn", ARN.field(1, of: arn)?.isEmpty == false, ARN.field(2, of: arn) == "states",
              type == "execution" || type == "express", ARN.field(7, of: arn) != nil else {
            throw APIError.invalidArn(arn)
        }
        return try await engineCall { () throws(EngineError) in try await engine.describe(arn) }
    }

    static func describe(_ e: ExecutionRecord) -> JSONObject {
        var o: JSONObject = [
            "executionArn": .string(e.arn), "stateMachineArn": .string(e.stateMachineArn), "name": .string(e.name),
            "status": .string(e.status.rawValue), "startDate": date(e.startMillis),
            "input": .string(e.input), "inputDetails": ["included": true], "redriveCount": .int(Int64(e.redriveCount)),
        ]
        if let q = e.qualifiedArn {
            let parts = q.split(separator: "|").map(String.init)
            o["stateMachineVersionArn"] = .string(parts[0])
            if parts.count > 1 { o["stateMachineAliasArn"] = .string(parts[1]) }
        }
        if let t = e.redriveMillis { o["redriveDate"] = date(t) }
        if let stop = e.stopMillis { o["stopDate"] = date(stop) }
        if let output = e.output {
            o["output"] = .string(output)
            o["outputDetails"] = ["included": true]
        }
        if let error = e.error { o["error"] = .string(error) }
        if let cause = e.cause { o["cause"] = .string(cause) }
        if let trace = e.traceHeader { o["traceHeader"] = .string(trace) }
        o["redriveStatus"] = .string(e.status == .running || e.status == .succeeded ? "NOT_REDRIVABLE" : "REDRIVABLE")
        return o
    }

    /// The input, checked as AWS checks it, and its parsed value (parsed once, here).
    func startInput(_ r: Request) throws(APIError) -> (String, JSON) {
        let input = try r.string("input") ?? "{}"
        guard input.utf8.count <= engine.limits.maximumPayloadBytes else {
            throw APIError("InvalidExecutionInput", "The input exceeds the maximum size of \(engine.limits.maximumPayloadBytes) bytes.")
        }
        guard let value = try? JSONParser.parse(input) else {
            throw APIError("InvalidExecutionInput", "Invalid State Machine Execution Input: '\(input)'")
        }
        return (input, value)
    }

    /// A state machine ARN with a mock test case after `#` (Step Functions Local's way of
    /// running a test case): the ARN, and the case once checked against the configuration.
    func splitTestCase(_ given: String) throws(APIError) -> (arn: String, testCase: String?) {
        // Over the UTF-8 view: `String.lastIndex(of:)` walks characters, 1.4 % of an Express run.
        guard let hash = given.utf8.lastIndex(of: UInt8(ascii: "#")) else { return (given, nil) }
        let arn = String(given[..<hash]), testCase = String(given[given.index(after: hash)...])
        let machine = ARN(arn)?.resourceFields.dropFirst().first ?? ""
        guard let file = engine.mockConfiguration else {
            throw APIError("InvalidArn", "Invalid Arn: '\(given)': a test case needs a mock configuration (baton serve --mock-config FILE, or SFN_MOCK_CONFIG)")
        }
        let (config, problem) = file.current()
        if let problem { throw APIError.validation("The mock configuration \(file.path) is invalid: \(problem)") }
        guard config.testCase(stateMachine: machine, testCase) != nil else {
            throw APIError("InvalidArn", "Invalid Arn: '\(given)': the mock configuration \(file.path) has no test case '\(testCase)' for the state machine '\(machine)'")
        }
        return (arn, testCase)
    }

    func startExecution(_ r: Request) async throws(APIError) -> JSON {
        let (requested, testCase) = try splitTestCase(try r.required("stateMachineArn"))
        let target = try await resolveTarget(requested)
        let (input, value) = try startInput(r)
        let name = try r.string("name") ?? UUIDText.random()
        guard Self.validName(name) else { throw APIError.invalidName(name) }
        let sm = target.stateMachine
        if sm.type == "EXPRESS" {
            let row = try await engineCall { () throws(EngineError) in
                try await engine.startExpressExecution(stateMachineArn: sm.arn, definitionId: target.definitionId, name: name, input: input,
                                                       parsed: value, roleArn: sm.roleArn, testCase: testCase)
            }
            return ["executionArn": .string(row.arn), "startDate": Self.date(row.startMillis)]
        }
        // AWS's `traceHeader`, else the request's own trace headers.
        let trace = try r.string("traceHeader") ?? r.traceHeader
        let row = try await engineCall { () throws(EngineError) in
            try await engine.start(target, name: name, input: input, parsedInput: value, traceHeader: trace, testCase: testCase)
        }
        return ["executionArn": .string(row.arn), "startDate": Self.date(row.startMillis)]
    }

    func startSyncExecution(_ r: Request) async throws(APIError) -> JSON {
        let (requested, testCase) = try splitTestCase(try r.required("stateMachineArn"))
        let sm = try await stateMachine(requested)
        guard sm.type == "EXPRESS" else {
            throw APIError("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
        }
        let (input, value) = try startInput(r)
        let name = try r.string("name") ?? UUIDText.random()
        guard Self.validName(name) else { throw APIError.invalidName(name) }
        let row = try await engineCall { () throws(EngineError) in
            try await engine.runExpressExecution(stateMachineArn: sm.arn, definitionId: sm.definitionId, name: name, input: input, parsed: value,
                                                 roleArn: sm.roleArn, testCase: testCase)
        }
        var o = Self.describe(row)
        o["redriveCount"] = nil
        o["redriveStatus"] = nil
        o["billingDetails"] = ["billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": .int(max(100, (row.stopMillis ?? row.startMillis) - row.startMillis))]
        return .object(o)
    }

    func describeExecution(_ r: Request) async throws(APIError) -> JSON {
        let e = try await execution(try r.required("executionArn"))
        var o = Self.describe(e)
        // A Distributed Map's child names the Map Run it belongs to.
        if let run = await mapRunArn(ofChildMachine: e.stateMachineArn) { o["mapRunArn"] = .string(run) }
        return .object(o)
    }

    func describeStateMachineForExecution(_ r: Request) async throws(APIError) -> JSON {
        let e = try await execution(try r.required("executionArn"))
        let sm = try await journalCall { () throws(JournalError) in try await journal.stateMachine(arn: e.stateMachineArn) }
        return [
            // A Map Run's child: its machine is the processor, named PARENT/LABEL, stored with no row of its own.
            "stateMachineArn": .string(e.stateMachineArn), "name": .string(sm?.name ?? e.stateMachineArn.split(separator: ":").last.map(String.init) ?? ""),
            "definition": .string(try await definitionText(e.definitionId)), "roleArn": .string(sm?.roleArn ?? ""),
            "updateDate": Self.date(sm?.createdMillis ?? e.startMillis),
            "loggingConfiguration": (sm.flatMap { ExecutionLogs.stored($0.attributes) } ?? .off).json, "tracingConfiguration": ["enabled": false],
        ]
    }

    func listExecutions(_ r: Request) async throws(APIError) -> JSON {
        let requested: String
        let smArn: String
        var qualifier: String?
        if let run = try r.string("mapRunArn") {
            // A Map Run's child executions.
            guard try r.string("stateMachineArn") == nil else {
                throw APIError.validation("Only one of stateMachineArn or mapRunArn can be specified.")
            }
            smArn = try await mapRunRecord(run).stateMachineArn
            requested = smArn
        } else {
            requested = try r.required("stateMachineArn")
            // A version or alias ARN lists the executions started through it.
            (smArn, qualifier) = try splitQualified(requested)
            _ = try await stateMachine(smArn)
        }
        var status: ExecutionStatus?
        if let filter = try r.string("statusFilter") {
            guard let parsed = ExecutionStatus(rawValue: filter), filter != "PENDING_REDRIVE" else {
                throw APIError.validation("1 validation error detected: Value '\(filter)' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [ABORTED, FAILED, PENDING_REDRIVE, RUNNING, SUCCEEDED, TIMED_OUT]")
            }
            status = parsed
        }
        var after: ExecutionCursor?
        if let token = try r.string("nextToken") {
            guard let cursor = ExecutionCursor(token: token) else { throw APIError("InvalidToken", "Invalid Token: '\(token)'") }
            after = cursor
        }
        let size = try r.maxResults()
        // One row more than the page says whether another page follows.
        let rows = try await journalCall { () throws(JournalError) in
            try await journal.listExecutions(ExecutionQuery(stateMachineArn: smArn, status: status, qualifiedArn: qualifier == nil ? nil : requested,
                                                            limit: size + 1, after: after))
        }
        let page = rows.prefix(size)
        var out: JSONObject = ["executions": .array(page.map { e in
            var o: JSONObject = ["executionArn": .string(e.arn), "stateMachineArn": .string(e.stateMachineArn), "name": .string(e.name),
                                 "status": .string(e.status.rawValue), "startDate": Self.date(e.startMillis)]
            if let s = e.stopMillis { o["stopDate"] = Self.date(s) }
            return .object(o)
        })]
        if rows.count > size, let last = page.last { out["nextToken"] = .string(last.cursor.token) }
        return .object(out)
    }

    func getExecutionHistory(_ r: Request) async throws(APIError) -> JSON {
        let arn = try r.required("executionArn")
        _ = try await execution(arn)
        var events = try await engineCall { () throws(EngineError) in try await engine.history(arn) }
        if try r.bool("reverseOrder") == true { events.reverse() }
        let includeData = try r.bool("includeExecutionData") ?? true
        return try r.paged("events", events) { e in
            guard !includeData, case .object(var o) = e.json else { return e.json }
            for (k, v) in o {
                guard case .object(var d) = v else { continue }
                for key in HistoryEvent.payloadKeys where d[key] != nil {
                    d[key] = nil
                    d[key + "Details"] = ["included": false]
                }
                o[k] = .object(d)
            }
            return .object(o)
        }
    }

    func stopExecution(_ r: Request) async throws(APIError) -> JSON {
        let arn = try r.required("executionArn")
        _ = try await execution(arn)
        let error = try r.string("error"), cause = try r.string("cause")
        let row = try await engineCall { () throws(EngineError) in try await engine.stopExecution(arn, error: error, cause: cause) }
        return ["stopDate": Self.date(row.stopMillis ?? now())]
    }

    // MARK: task tokens

    func sendTaskSuccess(_ r: Request) async throws(APIError) -> JSON {
        let token = try r.required("taskToken"), output = try r.required("output")
        guard (try? JSONParser.parse(output)) != nil else { throw APIError("InvalidOutput", "Invalid Output: '\(output)'") }
        let trace = r.traceHeader
        try await engineCall { () throws(EngineError) in try await engine.sendTaskSuccess(token: token, output: output, traceHeader: trace) }
        return [:]
    }

    func sendTaskFailure(_ r: Request) async throws(APIError) -> JSON {
        let token = try r.required("taskToken")
        let error = try r.string("error"), cause = try r.string("cause")
        let trace = r.traceHeader
        try await engineCall { () throws(EngineError) in
            try await engine.sendTaskFailure(token: token, error: error, cause: cause, traceHeader: trace)
        }
        return [:]
    }

    func sendTaskHeartbeat(_ r: Request) async throws(APIError) -> JSON {
        let token = try r.required("taskToken")
        try await engineCall { () throws(EngineError) in try await engine.sendTaskHeartbeat(token: token) }
        return [:]
    }

    // MARK: activities

    func activityArn(_ name: String) -> String { "arn:aws:states:\(region):\(account):activity:\(name)" }

    func createActivity(_ r: Request) async throws(APIError) -> JSON {
        let name = try r.required("name")
        guard Self.validName(name) else { throw APIError.invalidName(name) }
        let arn = activityArn(name)
        let created = now()
        do {
            try await journal.putActivity(ActivityRecord(arn: arn, name: name, createdMillis: created))
            try await journal.tag(resourceArn: arn, (r.body["tags"]?.arrayValue ?? []).compactMap { t in
                t["key"]?.stringValue.map { (key: $0, value: t["value"]?.stringValue ?? "") }
            })
        } catch {
            // AWS: creating an existing activity is idempotent.
            guard error.code == .alreadyExists else { throw APIError.internalFailure("\(error)") }
            let existing = try await journalCall { () throws(JournalError) in try await journal.activities() }.first { $0.arn == arn }
            return ["activityArn": .string(arn), "creationDate": Self.date(existing?.createdMillis ?? created)]
        }
        return ["activityArn": .string(arn), "creationDate": Self.date(created)]
    }

    func activity(_ arn: String) async throws(APIError) -> ActivityRecord {
        try checkArn(arn, kind: "activity")
        guard let a = try await journalCall({ () throws(JournalError) in try await journal.activities() }).first(where: { $0.arn == arn }) else {
            throw APIError("ActivityDoesNotExist", "Activity Does Not Exist: '\(arn)'")
        }
        return a
    }

    func describeActivity(_ r: Request) async throws(APIError) -> JSON {
        let a = try await activity(try r.required("activityArn"))
        return ["activityArn": .string(a.arn), "name": .string(a.name), "creationDate": Self.date(a.createdMillis)]
    }

    func deleteActivity(_ r: Request) async throws(APIError) -> JSON {
        let arn = try r.required("activityArn")
        try checkArn(arn, kind: "activity")
        try await journalCall { () throws(JournalError) in try await journal.deleteActivity(arn: arn) }
        return [:]
    }

    func listActivities(_ r: Request) async throws(APIError) -> JSON {
        let all = try await journalCall { () throws(JournalError) in try await journal.activities() }
        return try r.paged("activities", all) {
            ["activityArn": .string($0.arn), "name": .string($0.name), "creationDate": Self.date($0.createdMillis)]
        }
    }

    func getActivityTask(_ r: Request) async throws(APIError) -> JSON {
        let a = try await activity(try r.required("activityArn"))
        let worker = try r.string("workerName")
        let engine = self.engine, arn = a.arn
        let task = try await engineCall { () throws(EngineError) in
            try await longPoll(endingWith: { engine.endLongPolls() }) { () throws(EngineError) in
                try await engine.getActivityTask(activityArn: arn, workerName: worker, timeoutSeconds: 60)
            }
        }
        guard let task else { return [:] }
        return ["taskToken": .string(task.token), "input": .string(task.input)]
    }
}
