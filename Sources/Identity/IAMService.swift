import Foundation
import ServiceKit
import StatesLanguage

/// IAM roles and policies, kept so that unmodified scripts run: infrastructure code creates a
/// role before the state machine, rule or function that names it. Baton does not enforce
/// them (one local account; requests are authenticated by SigV4, not authorised by policy);
/// it stores roles, inline and managed policies and their attachments, and answers as IAM
/// does, in its query protocol.
package struct IAMService: BatonService {
    let roles: DocumentBook<JSONObject>
    let policies: DocumentBook<JSONObject>
    let account: String
    let now: @Sendable () -> Timestamp

    package init(_ context: ServiceContext) async throws(ServiceError) {
        let json: @Sendable (JSONObject) -> JSON = { .object($0) }
        roles = try await DocumentBook(owner: "iam.roles", store: context.store, encode: json, decode: { $0.objectValue })
        policies = try await DocumentBook(owner: "iam.policies", store: context.store, encode: json, decode: { $0.objectValue })
        account = context.account
        let clock = context.engine.clock
        now = { clock.now() }
    }

    package var name: String { "iam" }
    package var wireProtocol: WireProtocol { .query(service: "iam") }
    package var queryProtocol: QueryProtocol? { QueryProtocol(model: IAMQueryModel.model, signingName: "iam") }

    package var actions: [String: Action] {
        var t = ActionTable()
        let s = self
        t.json("CreateRole") { try await s.createRole($0) }
        t.json("GetRole") { try await ["Role": .object(s.role($0).0)] }
        t.json("DeleteRole") { try await s.deleteRole($0) }
        t.json("ListRoles") { r in
            let prefix = try r.string("PathPrefix") ?? "/"
            return ["Roles": .array(await s.roles.all.map(\.value).filter { ($0["Path"]?.stringValue ?? "/").hasPrefix(prefix) }.map { .object(Self.shown($0)) }),
                    "IsTruncated": false]
        }
        t.json("UpdateAssumeRolePolicy") { try await s.changeRole($0) { role, r throws(ServiceError) in
            role["AssumeRolePolicyDocument"] = .string(try Self.document(r, "PolicyDocument"))
        } }
        t.json("UpdateRole") { try await s.changeRole($0) { role, r throws(ServiceError) in
            if let d = try r.string("Description") { role["Description"] = .string(d) }
            if let m = try r.int("MaxSessionDuration") { role["MaxSessionDuration"] = .int(Int64(m)) }
        } }
        t.json("TagRole") { try await s.changeRole($0) { role, r throws(ServiceError) in
            var tags = role["Tags"]?.arrayValue ?? []
            for tag in r.body["Tags"]?.arrayValue ?? [] {
                tags.removeAll { $0["Key"] == tag["Key"] }
                tags.append(tag)
            }
            role["Tags"] = .array(tags)
        } }
        t.json("UntagRole") { try await s.changeRole($0) { role, r throws(ServiceError) in
            let keys = r.body["TagKeys"]?.arrayValue ?? []
            role["Tags"] = .array((role["Tags"]?.arrayValue ?? []).filter { !keys.contains($0["Key"] ?? .null) })
        } }
        t.json("ListRoleTags") { try await ["Tags": s.role($0).0["Tags"] ?? .array([]), "IsTruncated": false] }
        t.json("PutRolePolicy") { try await s.changeRole($0) { role, r throws(ServiceError) in
            var inline = role["InlinePolicies"]?.objectValue ?? [:]
            inline[try r.required("PolicyName")] = .string(try Self.document(r, "PolicyDocument"))
            role["InlinePolicies"] = .object(inline)
        } }
        t.json("GetRolePolicy") { r in
            let (role, name) = try await s.role(r)
            let policy = try r.required("PolicyName")
            guard let doc = role["InlinePolicies"]?[policy]?.stringValue else {
                throw Self.noSuchEntity("The role policy with name \(policy) cannot be found.")
            }
            return ["RoleName": .string(name), "PolicyName": .string(policy), "PolicyDocument": .string(Self.encoded(doc))]
        }
        t.json("DeleteRolePolicy") { try await s.changeRole($0) { role, r throws(ServiceError) in
            let policy = try r.required("PolicyName")
            var inline = role["InlinePolicies"]?.objectValue ?? [:]
            guard inline[policy] != nil else { throw Self.noSuchEntity("The role policy with name \(policy) cannot be found.") }
            inline[policy] = nil
            role["InlinePolicies"] = .object(inline)
        } }
        t.json("ListRolePolicies") { try await ["PolicyNames": .array((s.role($0).0["InlinePolicies"]?.objectValue ?? [:]).map { .string($0.key) }),
                                                "IsTruncated": false] }
        t.json("CreatePolicy") { try await s.createPolicy($0) }
        t.json("GetPolicy") { r in
            let arn = try r.required("PolicyArn")
            guard let p = await s.policies.get(arn) else { throw Self.noSuchEntity("Policy \(arn) does not exist or is not attachable.") }
            return ["Policy": .object(Self.shownPolicy(p))]
        }
        t.json("GetPolicyVersion") { r in
            let arn = try r.required("PolicyArn")
            guard let p = await s.policies.get(arn) else { throw Self.noSuchEntity("Policy \(arn) does not exist or is not attachable.") }
            return ["PolicyVersion": ["Document": .string(Self.encoded(p["Document"]?.stringValue ?? "{}")), "VersionId": "v1",
                                      "IsDefaultVersion": true, "CreateDate": p["CreateDate"] ?? .null]]
        }
        t.json("DeletePolicy") { r in
            let arn = try r.required("PolicyArn")
            try await s.policies.update(arn) { (v: inout JSONObject?) throws(ServiceError) in
                guard v != nil else { throw Self.noSuchEntity("Policy \(arn) was not found.") }
                v = nil
            }
            return [:]
        }
        t.json("ListPolicies") { _ in ["Policies": .array(await s.policies.all.map { .object(Self.shownPolicy($0.value)) }), "IsTruncated": false] }
        t.json("AttachRolePolicy") { r in
            let arn = try r.required("PolicyArn")
            // AWS-managed policies (arn:aws:iam::aws:policy/…) need no CreatePolicy.
            let known = await s.policies.get(arn) != nil
            guard arn.contains(":aws:policy/") || known else {
                throw Self.noSuchEntity("Policy \(arn) does not exist or is not attachable.")
            }
            return try await s.changeRole(r) { role, _ throws(ServiceError) in
                var attached = role["Attached"]?.arrayValue ?? []
                if !attached.contains(.string(arn)) { attached.append(.string(arn)) }
                role["Attached"] = .array(attached)
            }
        }
        t.json("DetachRolePolicy") { try await s.changeRole($0) { role, r throws(ServiceError) in
            let arn = try r.required("PolicyArn")
            let attached = role["Attached"]?.arrayValue ?? []
            guard attached.contains(.string(arn)) else { throw Self.noSuchEntity("Policy \(arn) was not found.") }
            role["Attached"] = .array(attached.filter { $0 != .string(arn) })
        } }
        t.json("ListAttachedRolePolicies") { r in
            let arns = (try await s.role(r).0["Attached"]?.arrayValue ?? []).compactMap(\.stringValue)
            return ["AttachedPolicies": .array(arns.map { ["PolicyArn": .string($0), "PolicyName": .string($0.split(separator: "/").last.map(String.init) ?? $0)] }),
                    "IsTruncated": false]
        }
        t.json("GetUser") { _ in
            ["User": ["Path": "/", "UserName": "baton", "UserId": "AIDABATONLOCALUSER01", "Arn": .string("arn:aws:iam::\(s.account):user/baton"),
                      "CreateDate": "2024-01-01T00:00:00Z"]]
        }
        t.json("ListAccountAliases") { _ in ["AccountAliases": .array([]), "IsTruncated": false] }
        return t.actions
    }

    // MARK: helpers

    static func noSuchEntity(_ m: String) -> ServiceError { ServiceError("NoSuchEntityException", m, kind: .notFound) }

    /// A policy document member: JSON text, checked.
    static func document(_ r: JSONRequest, _ member: String) throws(ServiceError) -> String {
        let text = try r.required(member)
        guard case .object? = try? JSONParser.parse(text) else {
            throw ServiceError("MalformedPolicyDocumentException", "Syntax errors in policy.")
        }
        return text
    }

    /// IAM answers policy documents URL-encoded (SDKs decode them).
    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    /// A role as IAM shows it (its policies are listed by their own actions).
    static func shown(_ role: JSONObject) -> JSONObject {
        var r = role
        r["InlinePolicies"] = nil
        r["Attached"] = nil
        if let d = r["AssumeRolePolicyDocument"]?.stringValue { r["AssumeRolePolicyDocument"] = .string(encoded(d)) }
        if r["Tags"]?.arrayValue?.isEmpty ?? true { r["Tags"] = nil }
        return r
    }

    static func shownPolicy(_ p: JSONObject) -> JSONObject {
        var out = p
        out["Document"] = nil
        return out
    }

    static func randomId(_ prefix: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        let hex = UUIDText.random().replacingOccurrences(of: "-", with: "")
        return prefix + String(hex.prefix(17).map { alphabet[Int($0.hexDigitValue ?? 0) % alphabet.count] })
    }

    func createRole(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("RoleName")
        guard (1...64).contains(name.count), name.allSatisfy({ $0.isLetter || $0.isNumber || "+=,.@_-".contains($0) }) else {
            throw ServiceError("ValidationError", "1 validation error detected: Value '\(name)' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+")
        }
        let path = try r.string("Path") ?? "/"
        var role: JSONObject = [
            "Path": .string(path), "RoleName": .string(name), "RoleId": .string(Self.randomId("AROA")),
            "Arn": .string("arn:aws:iam::\(account):role\(path)\(name)"), "CreateDate": .string(now().iso8601),
            "AssumeRolePolicyDocument": .string(try Self.document(r, "AssumeRolePolicyDocument")),
            "MaxSessionDuration": .int(Int64(try r.int("MaxSessionDuration") ?? 3600)),
        ]
        if let d = try r.string("Description") { role["Description"] = .string(d) }
        if let tags = r.body["Tags"]?.arrayValue { role["Tags"] = .array(tags) }
        let created = role
        try await roles.insert(name, created, ifTaken: ServiceError("EntityAlreadyExistsException", "Role with name \(name) already exists.",
                                                                     kind: .conflict))
        return ["Role": .object(Self.shown(created))]
    }

    func role(_ r: JSONRequest) async throws(ServiceError) -> (JSONObject, String) {
        let name = try r.required("RoleName")
        guard let role = await roles.get(name) else { throw Self.noSuchEntity("The role with name \(name) cannot be found.") }
        return (role, name)
    }

    func changeRole(_ r: JSONRequest, _ change: @Sendable @escaping (inout JSONObject, JSONRequest) throws(ServiceError) -> Void) async throws(ServiceError) -> JSON {
        let name = try r.required("RoleName")
        try await roles.update(name) { (v: inout JSONObject?) throws(ServiceError) in
            guard var role = v else { throw Self.noSuchEntity("The role with name \(name) cannot be found.") }
            try change(&role, r)
            v = role
        }
        return [:]
    }

    func deleteRole(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("RoleName")
        try await roles.update(name) { (v: inout JSONObject?) throws(ServiceError) in
            guard let role = v else { throw Self.noSuchEntity("The role with name \(name) cannot be found.") }
            if !(role["Attached"]?.arrayValue ?? []).isEmpty || !(role["InlinePolicies"]?.objectValue ?? [:]).isEmpty {
                throw ServiceError("DeleteConflictException", "Cannot delete entity, must detach all policies first.", kind: .conflict)
            }
            v = nil
        }
        return [:]
    }

    func createPolicy(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("PolicyName")
        let path = try r.string("Path") ?? "/"
        let arn = "arn:aws:iam::\(account):policy\(path)\(name)"
        let created = now().iso8601
        let policy: JSONObject = [
            "PolicyName": .string(name), "PolicyId": .string(Self.randomId("ANPA")), "Arn": .string(arn), "Path": .string(path),
            "DefaultVersionId": "v1", "AttachmentCount": 0, "PermissionsBoundaryUsageCount": 0, "IsAttachable": true,
            "CreateDate": .string(created), "UpdateDate": .string(created), "Document": .string(try Self.document(r, "PolicyDocument")),
        ]
        try await policies.insert(arn, policy, ifTaken: ServiceError("EntityAlreadyExistsException",
                                                                     "A policy called \(name) already exists. Duplicate names are not allowed.", kind: .conflict))
        return ["Policy": .object(Self.shownPolicy(policy))]
    }
}
