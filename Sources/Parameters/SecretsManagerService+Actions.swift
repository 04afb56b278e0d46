import Foundation
import ServiceKit
import StatesLanguage

extension SecretsManagerService {
    func putValue(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let id = try r.required("SecretId")
        guard let value = try sealedValue(r) else {
            throw ServiceError("InvalidRequestException", "You must provide either SecretString or SecretBinary.")
        }
        let token = try Self.token(r)
        let stages = (r.body["VersionStages"]?.arrayValue ?? []).compactMap(\.stringValue)
        let name = try await live(id).name
        let now = clock().milliseconds
        let box = self.box
        let (s, v) = try await secrets.update(name) { (s: inout Secret?) throws(ServiceError) -> (Secret, Secret.Version) in
            guard var secret = s else { throw Self.notFound }
            if let existing = secret.versions.first(where: { $0.id == token }) {
                // The same token and value: an idempotent retry. Another value: refused.
                guard let sealed = Data(base64Encoded: existing.sealed), (try? box.open([UInt8](sealed))) == value.plain else {
                    throw ServiceError("ResourceExistsException", "You can't modify an existing version, you can only create a new version.", kind: .conflict)
                }
                return (secret, existing)
            }
            let version = Secret.Version(id: token, sealed: value.sealed, binary: value.binary, createdMillis: now,
                                         stages: stages.isEmpty ? ["AWSCURRENT"] : stages)
            Self.add(version, to: &secret)
            secret.lastChangedMillis = now
            s = secret
            return (secret, version)
        }
        let current = s.versions.first { $0.id == v.id } ?? v
        return ["ARN": .string(s.arn), "Name": .string(s.name), "VersionId": .string(v.id), "VersionStages": .array(current.stages.map(JSON.string))]
    }

    func update(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try await live(try r.required("SecretId")).name
        let value = try sealedValue(r)
        let token = value == nil ? nil : try Self.token(r)
        let description = try r.string("Description")
        let kms = try r.string("KmsKeyId")
        let now = clock().milliseconds
        let s = try await secrets.update(name) { (s: inout Secret?) throws(ServiceError) -> Secret in
            guard var secret = s else { throw Self.notFound }
            if let description { secret.description = description }
            if let kms { secret.kmsKeyId = kms }
            if let value, let token, !secret.versions.contains(where: { $0.id == token }) {
                Self.add(.init(id: token, sealed: value.sealed, binary: value.binary, createdMillis: now, stages: ["AWSCURRENT"]), to: &secret)
            }
            secret.lastChangedMillis = now
            s = secret
            return secret
        }
        var o: JSONObject = ["ARN": .string(s.arn), "Name": .string(s.name)]
        if let token { o["VersionId"] = .string(token) }
        return .object(o)
    }

    func updateStage(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try await live(try r.required("SecretId")).name
        let stage = try r.required("VersionStage")
        let moveTo = try r.string("MoveToVersionId")
        let removeFrom = try r.string("RemoveFromVersionId")
        let s = try await secrets.update(name) { (s: inout Secret?) throws(ServiceError) -> Secret in
            guard var secret = s else { throw Self.notFound }
            let holder = secret.version(stage: stage)?.id
            if let removeFrom {
                guard holder == removeFrom else {
                    throw ServiceError("InvalidParameterException", "The parameter RemoveFromVersionId can't be empty. Staging label \(stage) is currently attached to version \(holder ?? "none"), so you must explicitly reference that version in RemoveFromVersionId.")
                }
            } else if let holder, holder != moveTo, moveTo != nil {
                throw ServiceError("InvalidParameterException", "The parameter RemoveFromVersionId can't be empty. Staging label \(stage) is currently attached to version \(holder), so you must explicitly reference that version in RemoveFromVersionId.")
            }
            if let moveTo, !secret.versions.contains(where: { $0.id == moveTo }) {
                throw ServiceError("InvalidParameterException", "The version \(moveTo) doesn't exist.")
            }
            for i in secret.versions.indices where secret.versions[i].id == removeFrom { secret.versions[i].stages.removeAll { $0 == stage } }
            if let moveTo, holder != moveTo {
                for i in secret.versions.indices { secret.versions[i].stages.removeAll { $0 == stage } }
                if stage == "AWSCURRENT" {
                    for i in secret.versions.indices { secret.versions[i].stages.removeAll { $0 == "AWSPREVIOUS" } }
                    if let old = holder, let i = secret.versions.firstIndex(where: { $0.id == old }) { secret.versions[i].stages.append("AWSPREVIOUS") }
                    if let i = secret.versions.firstIndex(where: { $0.id == moveTo }) { secret.versions[i].stages.removeAll { $0 == "AWSPREVIOUS" } }
                }
                if let i = secret.versions.firstIndex(where: { $0.id == moveTo }) { secret.versions[i].stages.append(stage) }
            }
            secret.lastChangedMillis = max(secret.lastChangedMillis, secret.createdMillis)
            s = secret
            return secret
        }
        return ["ARN": .string(s.arn), "Name": .string(s.name)]
    }

    func describeJSON(_ s: Secret) -> JSONObject {
        var o: JSONObject = ["ARN": .string(s.arn), "Name": .string(s.name)]
        if let d = s.description { o["Description"] = .string(d) }
        if let k = s.kmsKeyId { o["KmsKeyId"] = .string(k) }
        o["LastChangedDate"] = Self.date(s.lastChangedMillis)
        if let a = s.lastAccessedMillis { o["LastAccessedDate"] = Self.date(a) }
        if let d = s.deletedMillis { o["DeletedDate"] = Self.date(d) }
        if !s.tags.isEmpty { o["Tags"] = Tags.json(s.tags) }
        var stages = JSONObject()
        for v in s.versions where !v.stages.isEmpty { stages[v.id] = .array(v.stages.map(JSON.string)) }
        o["VersionIdsToStages"] = .object(stages)
        o["CreatedDate"] = Self.date(s.createdMillis)
        return o
    }

    func describe(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        .object(describeJSON(try await find(try r.required("SecretId"))))
    }

    func list(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let now = clock().milliseconds
        let includeDeleted = try r.bool("IncludePlannedDeletion") ?? false
        let filters = r.body["Filters"]?.arrayValue ?? []
        var chosen: [Secret] = []
        for (_, s) in await secrets.all {
            if let d = s.deletedMillis, d <= now || !includeDeleted { continue }
            var ok = true
            for f in filters {
                let values = (f["Values"]?.arrayValue ?? []).compactMap(\.stringValue)
                func has(_ field: String?) -> Bool {
                    guard let field else { return false }
                    return values.contains { v in v.hasPrefix("!") ? !field.hasPrefix(String(v.dropFirst())) : field.lowercased().hasPrefix(v.lowercased()) }
                }
                switch f["Key"]?.stringValue {
                case "name": ok = ok && has(s.name)
                case "description": ok = ok && has(s.description)
                case "tag-key": ok = ok && s.tags.contains { has($0.key) }
                case "tag-value": ok = ok && s.tags.contains { has($0.value) }
                case "all": ok = ok && (has(s.name) || has(s.description) || s.tags.contains { has($0.key) || has($0.value) })
                default: break
                }
            }
            if ok { chosen.append(s) }
        }
        chosen.sort { $0.createdMillis < $1.createdMillis }
        let size = try r.int("MaxResults") ?? 100
        guard (1...100).contains(size) else { throw ServiceError.validation("MaxResults must be between 1 and 100") }
        var start = 0
        if let t = try r.string("NextToken") {
            guard let n = Int(t), n >= 0, n <= chosen.count else { throw ServiceError("InvalidNextTokenException", "The NextToken value is invalid.") }
            start = n
        }
        let end = min(chosen.count, start + size)
        var o: JSONObject = ["SecretList": .array(chosen[start..<end].map { s in
            var d = describeJSON(s)
            d["SecretVersionsToStages"] = d["VersionIdsToStages"]
            d["VersionIdsToStages"] = nil
            return .object(d)
        })]
        if end < chosen.count { o["NextToken"] = .string(String(end)) }
        return .object(o)
    }

    func listVersions(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let s = try await find(try r.required("SecretId"))
        let all = try r.bool("IncludeDeprecated") ?? false
        let versions = s.versions.filter { all || !$0.stages.isEmpty }.map { v -> JSON in
            var o: JSONObject = ["VersionId": .string(v.id), "VersionStages": .array(v.stages.map(JSON.string)), "CreatedDate": Self.date(v.createdMillis),
                                 "KmsKeyIds": .array([.string(s.kmsKeyId ?? "DefaultEncryptionKey")])]
            if let a = v.lastAccessedMillis { o["LastAccessedDate"] = Self.date(a) }
            return .object(o)
        }
        return ["Versions": .array(versions), "ARN": .string(s.arn), "Name": .string(s.name)]
    }

    func delete(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let s = try await find(try r.required("SecretId"))
        let window = try r.int("RecoveryWindowInDays")
        let force = try r.bool("ForceDeleteWithoutRecovery") ?? false
        if window != nil && force {
            throw ServiceError("InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
        }
        let days = window ?? 30
        guard force || (7...30).contains(days) else {
            throw ServiceError("InvalidParameterException", "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
        }
        let now = clock().milliseconds
        let deletion = force ? now : (s.deletedMillis ?? now + Int64(days) * 86_400_000)
        try await secrets.update(s.name) { (stored: inout Secret?) throws(ServiceError) in
            guard var secret = stored else { throw Self.notFound }
            if force { stored = nil; return }
            if secret.deletedMillis == nil { secret.deletedMillis = deletion }
            stored = secret
        }
        return ["ARN": .string(s.arn), "Name": .string(s.name), "DeletionDate": Self.date(deletion)]
    }

    func restore(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let s = try await find(try r.required("SecretId"))
        try await secrets.update(s.name) { (stored: inout Secret?) throws(ServiceError) in
            guard var secret = stored else { throw Self.notFound }
            secret.deletedMillis = nil
            stored = secret
        }
        return ["ARN": .string(s.arn), "Name": .string(s.name)]
    }

    func tag(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let s = try await live(try r.required("SecretId"))
        let tags = Tags.parse(r.body["Tags"])
        try await secrets.update(s.name) { (stored: inout Secret?) throws(ServiceError) in
            guard var secret = stored else { throw Self.notFound }
            Tags.merge(&secret.tags, tags)
            stored = secret
        }
        return [:]
    }

    func untag(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let s = try await live(try r.required("SecretId"))
        let keys = (r.body["TagKeys"]?.arrayValue ?? []).compactMap(\.stringValue)
        try await secrets.update(s.name) { (stored: inout Secret?) throws(ServiceError) in
            guard var secret = stored else { throw Self.notFound }
            secret.tags.removeAll { keys.contains($0.key) }
            stored = secret
        }
        return [:]
    }

    func rotate(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let s = try await live(try r.required("SecretId"))
        guard r.body["RotationLambdaARN"]?.stringValue != nil else {
            throw ServiceError("InvalidRequestException", "No Lambda rotation function ARN is associated with this secret.")
        }
        throw ServiceError("InvalidRequestException", "Rotation of \(s.name) with a function is not supported by Baton yet.")
    }

    static let punctuation = Array("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")

    func randomPassword(_ r: JSONRequest) throws(ServiceError) -> JSON {
        let length = try r.int("PasswordLength") ?? 32
        guard (1...4096).contains(length) else {
            throw ServiceError.validation("1 validation error detected: Value '\(length)' at 'passwordLength' failed to satisfy constraint: Member must have value less than or equal to 4096")
        }
        let exclude = Set(try r.string("ExcludeCharacters") ?? "")
        var classes: [[Character]] = []
        if !(try r.bool("ExcludeLowercase") ?? false) { classes.append(Array("abcdefghijklmnopqrstuvwxyz")) }
        if !(try r.bool("ExcludeUppercase") ?? false) { classes.append(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) }
        if !(try r.bool("ExcludeNumbers") ?? false) { classes.append(Array("0123456789")) }
        if !(try r.bool("ExcludePunctuation") ?? false) { classes.append(Self.punctuation) }
        if try r.bool("IncludeSpace") ?? false { classes.append([" "]) }
        classes = classes.map { $0.filter { !exclude.contains($0) } }.filter { !$0.isEmpty }
        guard !classes.isEmpty else { throw ServiceError("InvalidParameterException", "The password can't be made of no characters.") }
        let requireEach = try r.bool("RequireEachIncludedType") ?? true
        var g = SystemRandomNumberGenerator()
        var chars: [Character] = []
        if requireEach {
            guard length >= classes.count else { throw ServiceError("InvalidParameterException", "The password length is too short to include every required character type.") }
            for c in classes { chars.append(c[Int.random(in: 0..<c.count, using: &g)]) }
        }
        let all = classes.flatMap { $0 }
        while chars.count < length { chars.append(all[Int.random(in: 0..<all.count, using: &g)]) }
        chars.shuffle(using: &g)
        return ["RandomPassword": .string(String(chars))]
    }
}
