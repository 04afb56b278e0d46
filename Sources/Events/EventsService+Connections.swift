import Foundation
import ServiceKit
import StatesInterpreter
import StatesLanguage

/// Connections and API destinations: an HTTPS endpoint as a rule's target, with the
/// connection's credentials kept where AWS keeps them, in a Secrets Manager secret named
/// `events!connection/<name>/<uuid>` (encrypted at rest by the secrets service). The connection
/// itself shows only the non-secret half of its parameters.
extension EventsService {
    static let connectionNamePattern = #"[\.\-_A-Za-z0-9]+"#
    static let httpMethods = ["HEAD", "POST", "PATCH", "DELETE", "PUT", "GET", "OPTIONS"]

    static func noConnection(_ name: String) -> ServiceError {
        ServiceError("ResourceNotFoundException", "Failed to describe the connection(s). Connection '\(name)' does not exist.", kind: .notFound)
    }

    static func noApiDestination(_ name: String) -> ServiceError {
        ServiceError("ResourceNotFoundException", "Failed to describe the api-destination(s). An api-destination '\(name)' does not exist.",
                     kind: .notFound)
    }

    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { $0 == 0x2E || $0 == 0x2D || $0 == 0x5F || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
    }

    // MARK: connections

    func createConnection(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("Name")
        guard Self.validName(name) else {
            throw ServiceError.validation("1 validation error detected: Value '\(name)' at 'name' failed to satisfy constraint: "
                                          + "Member must satisfy regular expression pattern: \(Self.connectionNamePattern)")
        }
        let type = try r.required("AuthorizationType")
        let parameters = r.body["AuthParameters"]?.objectValue ?? [:]
        let secret = try Self.connectionSecret(type: type, parameters)
        guard await connections.get(name) == nil else {
            throw ServiceError("ResourceAlreadyExistsException", "Connection \(name) already exists.")
        }
        let stored = try await secrets("CreateSecret", ["Name": .string("events!connection/\(name)/\(UUIDText.random().lowercased())"),
                                                         "SecretString": .string(JSON.object(secret).serialized)])
        let now = Self.seconds(self.now)
        var record: JSONObject = [
            "Name": .string(name), "ConnectionArn": .string("arn:aws:events:\(region):\(account):connection/\(name)/\(UUIDText.random().lowercased())"),
            // OAuth connections authorize against their endpoint first, as on AWS; the others are usable at once.
            "ConnectionState": .string(type == "OAUTH_CLIENT_CREDENTIALS" ? "AUTHORIZING" : "AUTHORIZED"),
            "AuthorizationType": .string(type), "AuthParameters": .object(Self.shownParameters(type: type, parameters)),
            "SecretArn": stored["ARN"] ?? .null, "CreationTime": now, "LastModifiedTime": now, "LastAuthorizedTime": now,
        ]
        if let d = try r.string("Description") { record["Description"] = .string(d) }
        try await connections.insert(name, record, ifTaken: ServiceError("ResourceAlreadyExistsException", "Connection \(name) already exists."))
        return .object(Self.pick(record, ["ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime"]))
    }

    func describeConnection(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("Name")
        guard let c = await connections.get(name) else { throw Self.noConnection(name) }
        return .object(c)
    }

    func listConnections(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let prefix = try r.string("NamePrefix") ?? ""
        let state = try r.string("ConnectionState")
        var out: [JSON] = []
        for (_, c) in await connections.all where (c["Name"]?.stringValue ?? "").hasPrefix(prefix) {
            if let state, c["ConnectionState"]?.stringValue != state { continue }
            out.append(.object(Self.pick(c, ["AuthorizationType", "ConnectionArn", "ConnectionState", "CreationTime", "LastAuthorizedTime",
                                             "LastModifiedTime", "Name"])))
        }
        return try Self.paged(r, "Connections", out)
    }

    func updateConnection(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("Name")
        guard var c = await connections.get(name) else { throw Self.noConnection(name) }
        let type = try r.string("AuthorizationType") ?? c["AuthorizationType"]?.stringValue ?? ""
        if let parameters = r.body["AuthParameters"]?.objectValue {
            let secret = try Self.connectionSecret(type: type, parameters)
            _ = try await secrets("PutSecretValue", ["SecretId": c["SecretArn"] ?? .null, "SecretString": .string(JSON.object(secret).serialized)])
            c["AuthParameters"] = .object(Self.shownParameters(type: type, parameters))
            c["AuthorizationType"] = .string(type)
        }
        if let d = try r.string("Description") { c["Description"] = .string(d) }
        let now = Self.seconds(self.now)
        c["LastModifiedTime"] = now
        c["LastAuthorizedTime"] = now
        let updated = c
        _ = try await connections.update(name) { (v: inout JSONObject?) throws(ServiceError) in v = updated }
        return .object(Self.pick(updated, ["ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime", "LastAuthorizedTime"]))
    }

    func deleteConnection(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("Name")
        guard var c = await connections.get(name) else { throw Self.noConnection(name) }
        _ = try await connections.update(name) { (v: inout JSONObject?) throws(ServiceError) in v = nil }
        // The secret goes with it, at once (no recovery window: nothing else may read it).
        _ = try? await secrets("DeleteSecret", ["SecretId": c["SecretArn"] ?? .null, "ForceDeleteWithoutRecovery": true])
        c["ConnectionState"] = "DELETING"
        return .object(Self.pick(c, ["ConnectionArn", "ConnectionState", "CreationTime", "LastAuthorizedTime", "LastModifiedTime"]))
    }

    /// What the secret holds, in AWS's layout: `username`/`password`, `api_key_name`/`api_key_value`,
    /// or the OAuth client's id, secret, endpoint and method; `invocation_http_parameters` when given.
    static func connectionSecret(type: String, _ p: JSONObject) throws(ServiceError) -> JSONObject {
        var s = JSONObject()
        switch type {
        case "BASIC":
            guard let b = p["BasicAuthParameters"]?.objectValue, let user = b["Username"], let password = b["Password"] else {
                throw ServiceError.validation("BasicAuthParameters with Username and Password are required for BASIC authorization.")
            }
            s["username"] = user
            s["password"] = password
        case "API_KEY":
            guard let k = p["ApiKeyAuthParameters"]?.objectValue, let key = k["ApiKeyName"], let value = k["ApiKeyValue"] else {
                throw ServiceError.validation("ApiKeyAuthParameters with ApiKeyName and ApiKeyValue are required for API_KEY authorization.")
            }
            s["api_key_name"] = key
            s["api_key_value"] = value
        case "OAUTH_CLIENT_CREDENTIALS":
            guard let o = p["OAuthParameters"]?.objectValue, let client = o["ClientParameters"]?.objectValue,
                  let id = client["ClientID"], let secret = client["ClientSecret"], let endpoint = o["AuthorizationEndpoint"],
                  let method = o["HttpMethod"] else {
                throw ServiceError.validation("OAuthParameters with ClientParameters, AuthorizationEndpoint and HttpMethod are required for OAUTH_CLIENT_CREDENTIALS authorization.")
            }
            s["client_id"] = id
            s["client_secret"] = secret
            s["authorization_endpoint"] = endpoint
            s["http_method"] = method
        default:
            throw ServiceError.validation("1 validation error detected: Value '\(type)' at 'authorizationType' failed to satisfy constraint: "
                                          + "Member must satisfy enum value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]")
        }
        if let invocation = p["InvocationHttpParameters"] { s["invocation_http_parameters"] = invocation }
        return s
    }

    /// The parameters as DescribeConnection shows them: every secret value left out.
    static func shownParameters(type: String, _ p: JSONObject) -> JSONObject {
        var out = JSONObject()
        switch type {
        case "BASIC": out["BasicAuthParameters"] = ["Username": p["BasicAuthParameters"]?["Username"] ?? .null]
        case "API_KEY": out["ApiKeyAuthParameters"] = ["ApiKeyName": p["ApiKeyAuthParameters"]?["ApiKeyName"] ?? .null]
        default:
            if let o = p["OAuthParameters"]?.objectValue {
                var shown: JSONObject = ["AuthorizationEndpoint": o["AuthorizationEndpoint"] ?? .null,
                                         "ClientParameters": ["ClientID": o["ClientParameters"]?["ClientID"] ?? .null],
                                         "HttpMethod": o["HttpMethod"] ?? .null]
                if let extra = o["OAuthHttpParameters"] { shown["OAuthHttpParameters"] = extra }
                out["OAuthParameters"] = .object(shown)
            }
        }
        if let invocation = p["InvocationHttpParameters"] { out["InvocationHttpParameters"] = invocation }
        return out
    }

    static func pick(_ o: JSONObject, _ keys: [String]) -> JSONObject {
        var out = JSONObject()
        for k in keys { if let v = o[k] { out[k] = v } }
        return out
    }

    /// An action of the Secrets Manager service on this endpoint, through the seam.
    func secrets(_ action: String, _ parameters: JSONObject) async throws(ServiceError) -> JSONObject {
        let resource = "arn:aws:states:::aws-sdk:secretsmanager:" + action.prefix(1).lowercased() + action.dropFirst()
        guard let outcome = await delivery.engine.call(resource, parameters: .object(parameters), caller: "EventBridge", key: UUIDText.random()) else {
            throw ServiceError("InternalException", "Connections keep their credentials in Secrets Manager, which this server does not run.",
                               kind: .server)
        }
        switch outcome {
        case .succeeded(let answer): return answer.objectValue ?? [:]
        case .failed(let e): throw ServiceError("InternalException", "The connection's secret: \(e.cause ?? e.error)", kind: .server)
        case .pending: return [:]
        }
    }

    // MARK: API destinations

    func apiDestinationProblems(connectionArn: String?, method: String?) -> [String] {
        var problems: [String] = []
        if let arn = connectionArn, !Self.isConnectionArn(arn) {
            problems.append("Value '\(arn)' at 'connectionArn' failed to satisfy constraint: Member must satisfy regular expression pattern: "
                            + #"^arn:aws([a-z]|\-)*:events:([a-z]|\d|\-)*:([0-9]{12})?:connection\/[\.\-_A-Za-z0-9]+\/[\-A-Za-z0-9]+$"#)
        }
        if let method, !Self.httpMethods.contains(method) {
            problems.append("Value '\(method)' at 'httpMethod' failed to satisfy constraint: Member must satisfy enum value set: "
                            + "[\(Self.httpMethods.joined(separator: ", "))]")
        }
        return problems
    }

    static func isConnectionArn(_ arn: String) -> Bool {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1].hasPrefix("aws"), parts[2] == "events" else { return false }
        let resource = parts[5].split(separator: "/", omittingEmptySubsequences: false)
        return resource.count == 3 && resource[0] == "connection" && validName(String(resource[1])) && !resource[2].isEmpty
    }

    static func validationErrors(_ problems: [String]) -> ServiceError {
        ServiceError.validation("\(problems.count) validation error\(problems.count == 1 ? "" : "s") detected: " + problems.joined(separator: "; "))
    }

    func connectionState(_ arn: String) async -> String? {
        for (_, c) in await connections.all where c["ConnectionArn"]?.stringValue == arn { return c["ConnectionState"]?.stringValue }
        return nil
    }

    func createApiDestination(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("Name")
        let connection = try r.required("ConnectionArn"), endpoint = try r.required("InvocationEndpoint"), method = try r.required("HttpMethod")
        let problems = apiDestinationProblems(connectionArn: connection, method: method)
        guard problems.isEmpty else { throw Self.validationErrors(problems) }
        guard let state = await connectionState(connection) else {
            throw ServiceError("ResourceNotFoundException", "Connection '\(connection)' does not exist.", kind: .notFound)
        }
        let now = Self.seconds(self.now)
        var record: JSONObject = [
            "ApiDestinationArn": .string("arn:aws:events:\(region):\(account):api-destination/\(name)/\(UUIDText.random().lowercased())"),
            // Usable once its connection is authorized.
            "ApiDestinationState": .string(state == "AUTHORIZED" ? "ACTIVE" : "INACTIVE"),
            "ConnectionArn": .string(connection), "CreationTime": now, "HttpMethod": .string(method), "InvocationEndpoint": .string(endpoint),
            "InvocationRateLimitPerSecond": .int(Int64(try r.int("InvocationRateLimitPerSecond") ?? 300)), "LastModifiedTime": now, "Name": .string(name),
        ]
        if let d = try r.string("Description") { record["Description"] = .string(d) }
        try await apiDestinations.insert(name, record,
                                         ifTaken: ServiceError("ResourceAlreadyExistsException", "An api-destination '\(name)' already exists."))
        return .object(Self.pick(record, ["ApiDestinationArn", "ApiDestinationState", "CreationTime", "LastModifiedTime"]))
    }

    func describeApiDestination(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("Name")
        guard let d = await apiDestinations.get(name) else { throw Self.noApiDestination(name) }
        return .object(d)
    }

    func listApiDestinations(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let prefix = try r.string("NamePrefix") ?? ""
        let connection = try r.string("ConnectionArn")
        var out: [JSON] = []
        for (_, d) in await apiDestinations.all where (d["Name"]?.stringValue ?? "").hasPrefix(prefix) {
            if let connection, d["ConnectionArn"]?.stringValue != connection { continue }
            var shown = d
            shown["Description"] = nil
            out.append(.object(shown))
        }
        return try Self.paged(r, "ApiDestinations", out)
    }

    func updateApiDestination(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("Name")
        let connection = try r.string("ConnectionArn"), method = try r.string("HttpMethod")
        let problems = apiDestinationProblems(connectionArn: connection, method: method)
        guard problems.isEmpty else { throw Self.validationErrors(problems) }
        guard var d = await apiDestinations.get(name) else { throw Self.noApiDestination(name) }
        if let connection {
            guard let state = await connectionState(connection) else {
                throw ServiceError("ResourceNotFoundException", "Connection '\(connection)' does not exist.", kind: .notFound)
            }
            d["ConnectionArn"] = .string(connection)
            d["ApiDestinationState"] = .string(state == "AUTHORIZED" ? "ACTIVE" : "INACTIVE")
        }
        if let method { d["HttpMethod"] = .string(method) }
        if let endpoint = try r.string("InvocationEndpoint") { d["InvocationEndpoint"] = .string(endpoint) }
        if let description = try r.string("Description") { d["Description"] = .string(description) }
        if let limit = try r.int("InvocationRateLimitPerSecond") { d["InvocationRateLimitPerSecond"] = .int(Int64(limit)) }
        d["LastModifiedTime"] = Self.seconds(self.now)
        let updated = d
        _ = try await apiDestinations.update(name) { (v: inout JSONObject?) throws(ServiceError) in v = updated }
        return .object(Self.pick(updated, ["ApiDestinationArn", "ApiDestinationState", "CreationTime", "LastModifiedTime"]))
    }

    func deleteApiDestination(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("Name")
        guard await apiDestinations.get(name) != nil else { throw Self.noApiDestination(name) }
        _ = try await apiDestinations.update(name) { (v: inout JSONObject?) throws(ServiceError) in v = nil }
        return [:]
    }
}
