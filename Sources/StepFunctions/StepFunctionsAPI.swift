import Engine
import Foundation
import Journal
import ServiceKit
import StatesInterpreter
import StatesLanguage

/// The AWS Step Functions actions (`AWSStepFunctions.<Action>`), translated to engine calls.
package struct StepFunctionsAPI: Sendable {
    package let engine: Engine
    package let region: String
    package let account: String
    /// The Map Runs of Distributed Maps (nil: none run as child executions).
    package let mapRuns: MapRuns?
    /// Where executions are logged (nil: nowhere; configurations are still kept).
    package let logs: ExecutionLogs?

    package init(engine: Engine, region: String = "us-east-1", account: String = "000000000000", mapRuns: MapRuns? = nil,
                 logs: ExecutionLogs? = nil) {
        self.engine = engine
        self.region = region
        self.account = account
        self.mapRuns = mapRuns
        self.logs = logs
    }

    var journal: any JournalStore { engine.journal }

    /// The action table: AWS's action name to the method that performs it.
    static let table: [String: @Sendable (StepFunctionsAPI) -> (Request) async throws -> JSON] = [
        "CreateStateMachine": { api in api.createStateMachine },
        "DescribeStateMachine": { api in api.describeStateMachine },
        "UpdateStateMachine": { api in api.updateStateMachine },
        "DeleteStateMachine": { api in api.deleteStateMachine },
        "ListStateMachines": { api in api.listStateMachines },
        "StartExecution": { api in api.startExecution },
        "StartSyncExecution": { api in api.startSyncExecution },
        "DescribeExecution": { api in api.describeExecution },
        "DescribeStateMachineForExecution": { api in api.describeStateMachineForExecution },
        "ListExecutions": { api in api.listExecutions },
        "GetExecutionHistory": { api in api.getExecutionHistory },
        "StopExecution": { api in api.stopExecution },
        "SendTaskSuccess": { api in api.sendTaskSuccess },
        "SendTaskFailure": { api in api.sendTaskFailure },
        "SendTaskHeartbeat": { api in api.sendTaskHeartbeat },
        "CreateActivity": { api in api.createActivity },
        "DescribeActivity": { api in api.describeActivity },
        "DeleteActivity": { api in api.deleteActivity },
        "ListActivities": { api in api.listActivities },
        "GetActivityTask": { api in api.getActivityTask },
        "ValidateStateMachineDefinition": { api in { (r: Request) throws -> JSON in try api.validateDefinition(r) } },
        "PublishStateMachineVersion": { api in api.publishStateMachineVersion },
        "ListStateMachineVersions": { api in api.listStateMachineVersions },
        "DeleteStateMachineVersion": { api in api.deleteStateMachineVersion },
        "CreateStateMachineAlias": { api in api.createStateMachineAlias },
        "DescribeStateMachineAlias": { api in api.describeStateMachineAlias },
        "UpdateStateMachineAlias": { api in api.updateStateMachineAlias },
        "DeleteStateMachineAlias": { api in api.deleteStateMachineAlias },
        "ListStateMachineAliases": { api in api.listStateMachineAliases },
        "TagResource": { api in api.tagResource },
        "UntagResource": { api in api.untagResource },
        "ListTagsForResource": { api in api.listTagsForResource },
        "DescribeMapRun": { api in api.describeMapRun },
        "ListMapRuns": { api in api.listMapRuns },
        "UpdateMapRun": { api in api.updateMapRun },
        "TestState": { api in api.testState },
        "RedriveExecution": { api in api.redriveExecution },
    ]

    /// One action by name (tests call actions without the front door).
    package func handle(_ action: String, _ body: JSONObject) async throws(ServiceError) -> JSON {
        guard let perform = Self.table[action] else { throw APIError.unknownOperation(action) }
        do { return try await perform(self)(Request(body: body)) } catch let e as ServiceError { throw e } catch {
            throw APIError.internalFailure("\(error)")
        }
    }

    // MARK: helpers

    func engineCall<T>(_ body: () async throws(EngineError) -> T) async throws(APIError) -> T {
        do { return try await body() } catch {
            throw APIError(engine: error)
        }
    }

    func journalCall<T>(_ body: () async throws(JournalError) -> T) async throws(APIError) -> T {
        do { return try await body() } catch { throw APIError(journal: error) }
    }

    static func date(_ ms: Int64) -> JSON { .double(Double(ms) / 1000) }

    func now() -> Int64 { engine.clock.now().milliseconds }

    /// AWS: 1–80 characters, none of whitespace, brackets, wildcards, `"#%\^|~`$&,;:/` or control characters.
    static func validName(_ name: String) -> Bool {
        guard (1...80).contains(name.count) else { return false }
        return !name.unicodeScalars.contains(where: forbiddenInNames)
    }

    /// AWS: "A name must not contain: white space, brackets < > { } [ ], wildcard characters ? *,
    /// special characters " # % \\ ^ | ~ ` $ & , ; : /, control characters (U+0000-001F,
    /// U+007F-009F, U+FFFE-FFFF)". Matched without building a set for every name.
    static func forbiddenInNames(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case " ", "<", ">", "{", "}", "[", "]", "?", "*", "\"", "#", "%", "\\", "^", "|", "~", "`", "$", "&", ",", ";", ":", "/": true
        default: c.value < 0x20 || (0x7F...0x9F).contains(c.value) || c.value == 0xFFFE || c.value == 0xFFFF
        }
    }

    func stateMachineArn(_ name: String) -> String { "arn:aws:states:\(region):\(account):stateMachine:\(name)" }

    func checkArn(_ arn: String, kind: String) throws(APIError) {
        guard Self.isStatesArn(arn, kind: kind) else { throw APIError.invalidArn(arn) }
    }

    /// `arn:PARTITION:states:REGION:ACCOUNT:KIND:NAME…`, checked by bytes: every call that names
    /// a machine or an execution is checked, and parsing it into an `ARN` (eight strings) was
    /// 1.4 % of a StartSyncExecution's CPU. The same verdict as `ARN(arn)` with service
    /// `states`, at least two resource fields and `kind` the first (`StatesArnTests`).
    static func isStatesArn(_ arn: String, kind: String) -> Bool {
        // arn:PARTITION:states:REGION:ACCOUNT:KIND:NAME..., checked field by field in one pass
        // (`ARN.field` for each walked from the start: 0.7 % of an Express run).
        let u = arn.utf8
        var n = 0, start = u.startIndex, i = u.startIndex
        while i != u.endIndex {
            if u[i] == UInt8(ascii: ":") {
                let field = arn[start..<i]
                switch n {
                case 0: guard field == "arn" else { return false }
                case 1: guard !field.isEmpty else { return false }
                case 2: guard field == "states" else { return false }
                case 5: return field == kind[...]   // a sixth colon: the name's field is there
                default: break
                }
                n += 1
                start = u.index(after: i)
            }
            i = u.index(after: i)
        }
        return false
    }

    func stateMachine(_ arn: String) async throws(APIError) -> StateMachineRecord {
        try checkArn(arn, kind: "stateMachine")
        guard let sm = try await journalCall({ () throws(JournalError) in try await journal.stateMachine(arn: arn) }) else {
            throw APIError("StateMachineDoesNotExist", "State Machine Does Not Exist: '\(arn)'")
        }
        return sm
    }

    func definitionText(_ id: Int64) async throws(APIError) -> String {
        try await journalCall { () throws(JournalError) in try await journal.definition(id: id) } ?? ""
    }

    /// A Task resource this endpoint has a handler for (a test's fake integration, a
    /// service of its own), which AWS's list of integrations need not have.
    func served(_ resource: String) -> Bool { engine.taskHandler(for: resource) != nil }

    func invalidDefinition(_ diagnostics: [Diagnostic]) -> APIError {
        let first = diagnostics.first { $0.severity == .error }
        return APIError("InvalidDefinition", "Invalid State Machine Definition: '\(first.map { "\($0.code) at \($0.location.isEmpty ? "/" : $0.location): \($0.message)" } ?? "")'")
    }

    // MARK: state machines

    func createStateMachine(_ r: Request) async throws(APIError) -> JSON {
        let name = try r.required("name")
        let definition = try r.required("definition")
        let role = try r.required("roleArn")
        let type = try r.string("type") ?? "STANDARD"
        guard type == "STANDARD" || type == "EXPRESS" else {
            throw APIError.validation("1 validation error detected: Value '\(type)' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]")
        }
        guard Self.validName(name) else { throw APIError.invalidName(name) }
        guard role.hasPrefix("arn:") else { throw APIError.invalidArn(role) }
        let logging = try LoggingConfiguration.from(r.body["loggingConfiguration"])
        let (machine, diagnostics) = DefinitionCheck.validate(definition, type: type, known: served)
        guard machine != nil else { throw invalidDefinition(diagnostics) }
        let arn = stateMachineArn(name)
        if let existing = try await journalCall({ () throws(JournalError) in try await journal.stateMachine(arn: arn) }) {
            // AWS: the same name with the same definition and role is idempotent.
            let sameDefinition = try await definitionText(existing.definitionId) == definition
            guard sameDefinition && existing.roleArn == role && existing.type == type else {
                throw APIError("StateMachineAlreadyExists", "State Machine Already Exists: '\(arn)'")
            }
            return ["stateMachineArn": .string(arn), "creationDate": Self.date(existing.createdMillis)]
        }
        let defId = try await engineCall { () throws(EngineError) in try await engine.saveDefinition(stateMachineArn: arn, definition: definition) }
        let created = now()
        let attributes = Self.attributes("{}", logging: logging)
        try await journalCall { () throws(JournalError) in
            try await journal.putStateMachine(StateMachineRecord(arn: arn, name: name, type: type, roleArn: role, definitionId: defId,
                                                                 createdMillis: created, attributes: attributes))
        }
        logs?.set(arn, logging)
        try await applyTags(r, to: arn)
        var out: JSONObject = ["stateMachineArn": .string(arn), "creationDate": Self.date(created)]
        if try r.bool("publish") == true {
            let record = StateMachineRecord(arn: arn, name: name, type: type, roleArn: role, definitionId: defId, createdMillis: created)
            let description = try r.string("versionDescription")
            let v = try await engineCall { () throws(EngineError) in try await engine.publishVersion(record, description: description) }
            out["stateMachineVersionArn"] = .string(v.arn)
        }
        return .object(out)
    }

    func describeStateMachine(_ r: Request) async throws(APIError) -> JSON {
        let arn = try r.required("stateMachineArn")
        let (base, qualifier) = try splitQualified(arn)
        var sm = try await stateMachine(base)
        if let q = qualifier, let n = Int(q) {
            let versions = try await journalCall { () throws(JournalError) in try await journal.versions(stateMachineArn: base) }
            guard let v = versions.first(where: { $0.version == n }) else {
                throw APIError("StateMachineDoesNotExist", "State Machine Does Not Exist: '\(arn)'")
            }
            sm.definitionId = v.definitionId
            sm.arn = v.arn
            var o = try await describe(sm)
            o["revisionId"] = .string("\(v.definitionId)")
            if let d = v.description { o["description"] = .string(d) }
            return .object(o)
        }
        return .object(try await describe(sm))
    }

    func describe(_ sm: StateMachineRecord) async throws(APIError) -> JSONObject {
        [
            "stateMachineArn": .string(sm.arn), "name": .string(sm.name), "status": "ACTIVE",
            "definition": .string(try await definitionText(sm.definitionId)), "roleArn": .string(sm.roleArn),
            "type": .string(sm.type), "creationDate": Self.date(sm.createdMillis),
            "loggingConfiguration": (ExecutionLogs.stored(sm.attributes) ?? .off).json,
            "tracingConfiguration": ["enabled": false],
        ]
    }

    func updateStateMachine(_ r: Request) async throws(APIError) -> JSON {
        var sm = try await stateMachine(try r.required("stateMachineArn"))
        let definition = try r.string("definition")
        let role = try r.string("roleArn")
        guard definition != nil || role != nil || r.body["loggingConfiguration"] != nil || r.body["tracingConfiguration"] != nil else {
            throw APIError("MissingRequiredParameter", "Either the definition, the roleArn, the loggingConfiguration or the tracingConfiguration must be specified")
        }
        if let definition {
            let (machine, diagnostics) = DefinitionCheck.validate(definition, type: sm.type, known: served)
            guard machine != nil else { throw invalidDefinition(diagnostics) }
            let arn = sm.arn
            sm.definitionId = try await engineCall { () throws(EngineError) in try await engine.saveDefinition(stateMachineArn: arn, definition: definition) }
        }
        if let role { sm.roleArn = role }
        let logging = try LoggingConfiguration.from(r.body["loggingConfiguration"])
        if let logging { sm.attributes = Self.attributes(sm.attributes, logging: logging) }
        let updated = sm
        try await journalCall { () throws(JournalError) in try await journal.putStateMachine(updated) }
        if let logging { logs?.set(updated.arn, logging) }
        var out: JSONObject = ["updateDate": Self.date(now())]
        // AWS: `publish` makes the updated definition a new version in the same call.
        if try r.bool("publish") == true {
            let description = try r.string("versionDescription")
            let v = try await engineCall { () throws(EngineError) in try await engine.publishVersion(updated, description: description) }
            out["stateMachineVersionArn"] = .string(v.arn)
            out["revisionId"] = .string(String(updated.definitionId))
        }
        return .object(out)
    }

    func deleteStateMachine(_ r: Request) async throws(APIError) -> JSON {
        let arn = try r.required("stateMachineArn")
        try checkArn(arn, kind: "stateMachine")
        try await journalCall { () throws(JournalError) in try await journal.deleteStateMachine(arn: arn) }
        logs?.set(arn, nil)
        return [:]
    }

    func listStateMachines(_ r: Request) async throws(APIError) -> JSON {
        let all = try await journalCall { () throws(JournalError) in try await journal.stateMachines() }
        return try r.paged("stateMachines", all) {
            ["stateMachineArn": .string($0.arn), "name": .string($0.name), "type": .string($0.type), "creationDate": Self.date($0.createdMillis)]
        }
    }

    /// A state machine's attributes with its logging configuration set.
    static func attributes(_ current: String, logging: LoggingConfiguration?) -> String {
        var o = (try? JSONParser.parse(current))?.objectValue ?? [:]
        if let logging { o["loggingConfiguration"] = logging.json }
        return JSON.object(o).serialized
    }

    func validateDefinition(_ r: Request) throws(APIError) -> JSON {
        let definition = try r.required("definition")
        let type = try r.string("type") ?? "STANDARD"
        let (_, diagnostics) = DefinitionCheck.validate(definition, type: type, known: served)
        let errors = diagnostics.contains { $0.severity == .error }
        return ["result": errors ? "FAIL" : "OK", "diagnostics": .array(diagnostics.map {
            ["severity": .string($0.severity.rawValue), "code": .string($0.code), "message": .string($0.message), "location": .string($0.location)]
        }), "truncated": false]
    }
}
