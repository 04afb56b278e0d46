import Engine
import Journal
import ServiceKit
import StatesInterpreter
import StatesLanguage

/// Versions, aliases, tags, and the Map run and redrive actions.
extension StepFunctionsAPI {
    /// Splits `…:stateMachine:NAME[:QUALIFIER]` into the base ARN and the qualifier.
    func splitQualified(_ arn: String) throws(APIError) -> (base: String, qualifier: String?) {
        try checkArn(arn, kind: "stateMachine")
        guard let parsed = ARN(arn), parsed.resourceFields.count <= 3 else { throw APIError.invalidArn(arn) }
        let fields = parsed.resourceFields
        if fields.count == 3, let colon = arn.lastIndex(of: ":") { return (String(arn[..<colon]), fields[2]) }
        return (arn, nil)
    }

    /// What an execution started on `arn` runs: the machine, the definition, and the version or
    /// alias it came through (an alias picks a version by its routing weights).
    func resolveTarget(_ arn: String) async throws(APIError) -> Engine.Target {
        try await engineCall { () throws(EngineError) in try await engine.resolveTarget(arn) }
    }

    func publishStateMachineVersion(_ r: Request) async throws(APIError) -> JSON {
        let sm = try await stateMachine(try r.required("stateMachineArn"))
        let description = try r.string("description")
        let v = try await engineCall { () throws(EngineError) in try await engine.publishVersion(sm, description: description) }
        return ["stateMachineVersionArn": .string(v.arn), "creationDate": Self.date(v.createdMillis)]
    }

    func listStateMachineVersions(_ r: Request) async throws(APIError) -> JSON {
        let sm = try await stateMachine(try r.required("stateMachineArn"))
        let versions = try await journalCall { () throws(JournalError) in try await journal.versions(stateMachineArn: sm.arn) }
        return try r.paged("stateMachineVersions", Array(versions.reversed())) {
            ["stateMachineVersionArn": .string($0.arn), "creationDate": Self.date($0.createdMillis)]
        }
    }

    func deleteStateMachineVersion(_ r: Request) async throws(APIError) -> JSON {
        let arn = try r.required("stateMachineVersionArn")
        let (base, qualifier) = try splitQualified(arn)
        guard let q = qualifier, Int(q) != nil else { throw APIError.invalidArn(arn) }
        let aliases = try await journalCall { () throws(JournalError) in try await journal.aliases(stateMachineArn: base) }
        if aliases.contains(where: { $0.routing.contains { $0.versionArn == arn } }) {
            throw APIError("ConflictException", "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [\(aliases.map(\.name).joined(separator: ", "))]")
        }
        try await journalCall { () throws(JournalError) in try await journal.deleteVersion(arn: arn) }
        return [:]
    }

    func routing(_ r: Request, base: String) async throws(APIError) -> [AliasRecord.Route] {
        guard case .array(let items)? = r.body["routingConfiguration"], (1...2).contains(items.count) else {
            throw APIError.validation("1 validation error detected: Value at 'routingConfiguration' failed to satisfy constraint: Member must have length between 1 and 2")
        }
        let versions = try await journalCall { () throws(JournalError) in try await journal.versions(stateMachineArn: base) }
        var routes: [AliasRecord.Route] = []
        for item in items {
            guard let arn = item["stateMachineVersionArn"]?.stringValue, let w = item["weight"]?.integerValue, (0...100).contains(w) else {
                throw APIError.validation("Each route needs a stateMachineVersionArn and a weight between 0 and 100")
            }
            guard versions.contains(where: { $0.arn == arn }) else { throw APIError("ResourceNotFound", "Resource not found: '\(arn)'") }
            routes.append(.init(versionArn: arn, weight: Int(w)))
        }
        guard routes.reduce(0, { $0 + $1.weight }) == 100 else {
            throw APIError.validation("Sum of routing configuration weights must be equal to 100.")
        }
        return routes
    }

    func createStateMachineAlias(_ r: Request) async throws(APIError) -> JSON {
        let name = try r.required("name")
        guard Self.validName(name), Int(name) == nil else { throw APIError.invalidName(name) }
        guard case .array(let items)? = r.body["routingConfiguration"], let first = items.first?["stateMachineVersionArn"]?.stringValue else {
            throw APIError.validation("1 validation error detected: Value null at 'routingConfiguration' failed to satisfy constraint: Member must not be null")
        }
        let (base, _) = try splitQualified(first)
        _ = try await stateMachine(base)
        let routes = try await routing(r, base: base)
        let arn = "\(base):\(name)"
        let existing = try await journalCall { () throws(JournalError) in try await journal.aliases(stateMachineArn: base) }.first { $0.name == name }
        if let existing {
            guard existing.routing == routes, existing.description == (try r.string("description")) else {
                throw APIError("ConflictException", "Alias \(arn) already exists with a different configuration")
            }
            return ["stateMachineAliasArn": .string(arn), "creationDate": Self.date(existing.createdMillis)]
        }
        let t = now()
        let alias = AliasRecord(arn: arn, stateMachineArn: base, name: name, description: try r.string("description"), routing: routes,
                                createdMillis: t, updatedMillis: t)
        try await journalCall { () throws(JournalError) in try await journal.putAlias(alias) }
        return ["stateMachineAliasArn": .string(arn), "creationDate": Self.date(t)]
    }

    func alias(_ arn: String) async throws(APIError) -> AliasRecord {
        let (base, qualifier) = try splitQualified(arn)
        guard let q = qualifier, Int(q) == nil else { throw APIError.invalidArn(arn) }
        guard let a = try await journalCall({ () throws(JournalError) in try await journal.aliases(stateMachineArn: base) }).first(where: { $0.name == q }) else {
            throw APIError("ResourceNotFound", "Resource not found: '\(arn)'")
        }
        return a
    }

    static func describe(_ a: AliasRecord) -> JSONObject {
        var o: JSONObject = [
            "stateMachineAliasArn": .string(a.arn), "name": .string(a.name),
            "routingConfiguration": .array(a.routing.map { ["stateMachineVersionArn": .string($0.versionArn), "weight": .int(Int64($0.weight))] }),
            "creationDate": date(a.createdMillis), "updateDate": date(a.updatedMillis),
        ]
        if let d = a.description { o["description"] = .string(d) }
        return o
    }

    func describeStateMachineAlias(_ r: Request) async throws(APIError) -> JSON {
        .object(Self.describe(try await alias(try r.required("stateMachineAliasArn"))))
    }

    func updateStateMachineAlias(_ r: Request) async throws(APIError) -> JSON {
        var a = try await alias(try r.required("stateMachineAliasArn"))
        if r.body["routingConfiguration"] != nil { a.routing = try await routing(r, base: a.stateMachineArn) }
        if let d = try r.string("description") { a.description = d }
        a.updatedMillis = now()
        let updated = a
        try await journalCall { () throws(JournalError) in try await journal.putAlias(updated) }
        return ["updateDate": Self.date(a.updatedMillis)]
    }

    func deleteStateMachineAlias(_ r: Request) async throws(APIError) -> JSON {
        let a = try await alias(try r.required("stateMachineAliasArn"))
        try await journalCall { () throws(JournalError) in try await journal.deleteAlias(arn: a.arn) }
        return [:]
    }

    func listStateMachineAliases(_ r: Request) async throws(APIError) -> JSON {
        let sm = try await stateMachine(try r.required("stateMachineArn"))
        let all = try await journalCall { () throws(JournalError) in try await journal.aliases(stateMachineArn: sm.arn) }
        return try r.paged("stateMachineAliases", all) {
            ["stateMachineAliasArn": .string($0.arn), "creationDate": Self.date($0.createdMillis)]
        }
    }

    // MARK: tags

    /// Tags live on state machines and activities that exist.
    func taggable(_ arn: String) async throws(APIError) {
        guard let parsed = ARN(arn), parsed.service == "states", parsed.resourceFields.count >= 2 else { throw APIError.invalidArn(arn) }
        switch parsed.resourceFields[0] {
        case "stateMachine": _ = try await stateMachine(arn)
        case "activity": _ = try await activity(arn)
        default: throw APIError.invalidArn(arn)
        }
    }

    func tagResource(_ r: Request) async throws(APIError) -> JSON {
        let arn = try r.required("resourceArn")
        try await taggable(arn)
        guard case .array(let items)? = r.body["tags"] else {
            throw APIError.validation("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
        }
        let tags = items.compactMap { t -> (key: String, value: String)? in
            guard let k = t["key"]?.stringValue else { return nil }
            return (k, t["value"]?.stringValue ?? "")
        }
        let existing = try await journalCall { () throws(JournalError) in try await journal.tags(resourceArn: arn) }
        guard Set(existing.map(\.key)).union(tags.map(\.key)).count <= 50 else {
            throw APIError("TooManyTags", "Too many tags on \(arn): at most 50")
        }
        try await journalCall { () throws(JournalError) in try await journal.tag(resourceArn: arn, tags) }
        return [:]
    }

    func untagResource(_ r: Request) async throws(APIError) -> JSON {
        let arn = try r.required("resourceArn")
        try await taggable(arn)
        let keys = r.body["tagKeys"]?.arrayValue?.compactMap(\.stringValue) ?? []
        try await journalCall { () throws(JournalError) in try await journal.untag(resourceArn: arn, keys: keys) }
        return [:]
    }

    func listTagsForResource(_ r: Request) async throws(APIError) -> JSON {
        let arn = try r.required("resourceArn")
        try await taggable(arn)
        let tags = try await journalCall { () throws(JournalError) in try await journal.tags(resourceArn: arn) }
        return ["tags": .array(tags.map { ["key": .string($0.key), "value": .string($0.value)] })]
    }

    func applyTags(_ r: Request, to arn: String) async throws(APIError) {
        guard case .array(let items)? = r.body["tags"], !items.isEmpty else { return }
        let tags = items.compactMap { t -> (key: String, value: String)? in
            guard let k = t["key"]?.stringValue else { return nil }
            return (k, t["value"]?.stringValue ?? "")
        }
        try await journalCall { () throws(JournalError) in try await journal.tag(resourceArn: arn, tags) }
    }

    // MARK: map runs and redrive

    /// Distributed Map runs are not child executions here yet, so no Map run exists to describe.

    func redriveExecution(_ r: Request) async throws(APIError) -> JSON {
        let arn = try r.required("executionArn")
        let e = try await execution(arn)
        let role = try await journalCall { () throws(JournalError) in try await journal.stateMachine(arn: e.stateMachineArn) }?.roleArn
            ?? "arn:aws:iam::\(account):role/baton"
        _ = try await engineCall { () throws(EngineError) in try await engine.redriveExecution(arn, roleArn: role) }
        return ["redriveDate": Self.date(now())]
    }
}
