import Foundation
import Journal
import ServiceKit
import StatesLanguage

/// Secrets Manager on the seam (`secretsmanager.*`, JSON 1.1): secrets with versions and
/// staging labels (AWSCURRENT, AWSPREVIOUS, AWSPENDING, custom), deletion with a recovery
/// window, tags, random passwords. Every value is sealed at rest.
package struct SecretsManagerService: BatonService {
    let secrets: DocumentBook<Secret>
    let box: SecretBox
    let region: String
    let account: String
    let clock: @Sendable () -> Timestamp

    package var name: String { "secretsmanager" }

    package var browseViews: [BrowseView] {
        [BrowseView("Secrets", columns: [.init("Name", "Name"), .init("ARN", "ARN")], action: "ListSecrets", body: ["MaxResults": 100],
                    list: "SecretList")]
    }
    package var wireProtocol: WireProtocol { .json(targetPrefix: "secretsmanager", version: "1.1") }
    package var errorMessageMember: String { "Message" }

    init(store: any DocumentStore, box: SecretBox, region: String, account: String, clock: @escaping @Sendable () -> Timestamp) async throws(ServiceError) {
        secrets = try await DocumentBook(owner: "secretsmanager.secrets", store: store, encode: { $0.json }, decode: Secret.init(json:))
        self.box = box
        self.region = region
        self.account = account
        self.clock = clock
    }

    package var actions: [String: Action] {
        var t = ActionTable(model: SecretsManagerModel.constraints)
        let s = self
        t.json("CreateSecret") { try await s.create($0) }
        t.json("GetSecretValue") { try await s.getValue($0) }
        t.json("BatchGetSecretValue") { try await s.batchGet($0) }
        t.json("PutSecretValue") { try await s.putValue($0) }
        t.json("UpdateSecret") { try await s.update($0) }
        t.json("UpdateSecretVersionStage") { try await s.updateStage($0) }
        t.json("DescribeSecret") { try await s.describe($0) }
        t.json("ListSecrets") { try await s.list($0) }
        t.json("ListSecretVersionIds") { try await s.listVersions($0) }
        t.json("DeleteSecret") { try await s.delete($0) }
        t.json("RestoreSecret") { try await s.restore($0) }
        t.json("TagResource") { try await s.tag($0) }
        t.json("UntagResource") { try await s.untag($0) }
        t.json("GetRandomPassword") { try s.randomPassword($0) }
        t.json("RotateSecret") { try await s.rotate($0) }
        return t.actions
    }

    package var taskResources: [TaskResourceBinding] {
        [TaskResourceBinding(.sdk(service: "secretsmanager"), SDKTaskHandler(service: "SecretsManager", actions: actions))]
    }

    static func date(_ ms: Int64) -> JSON { .double(Double(ms) / 1000) }

    static let notFound = ServiceError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.", kind: .notFound)
    static let markedForDeletion = ServiceError("InvalidRequestException",
        "You can't perform this operation on the secret because it was marked for deletion.")

    static func randomSuffix() -> String {
        let chars = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var g = SystemRandomNumberGenerator()
        return String((0..<6).map { _ in chars[Int.random(in: 0..<chars.count, using: &g)] })
    }

    /// A secret by name, full ARN or partial ARN (without the random suffix); a secret whose
    /// recovery window has passed is gone.
    func find(_ id: String) async throws(ServiceError) -> Secret {
        let now = clock().milliseconds
        if let s = await secrets.get(id), s.deletedMillis.map({ $0 > now }) ?? true { return s }
        if id.hasPrefix("arn:") {
            for (_, s) in await secrets.all where s.arn == id || s.arn.dropLast(7) == id {
                if s.deletedMillis.map({ $0 > now }) ?? true { return s }
            }
        }
        throw Self.notFound
    }

    func live(_ id: String) async throws(ServiceError) -> Secret {
        let s = try await find(id)
        if s.deletedMillis != nil { throw Self.markedForDeletion }
        return s
    }

    /// The value given as SecretString or SecretBinary (base64 on the wire), sealed.
    func sealedValue(_ r: JSONRequest) throws(ServiceError) -> (sealed: String, binary: Bool, plain: [UInt8])? {
        let string = try r.string("SecretString")
        let binary = try r.string("SecretBinary")
        if string != nil && binary != nil {
            throw ServiceError("InvalidParameterException", "You can't specify both a binary secret value and a string secret value in the same secret.")
        }
        let plain: [UInt8]
        let isBinary: Bool
        if let string {
            plain = Array(string.utf8)
            isBinary = false
        } else if let binary {
            guard let data = Data(base64Encoded: binary) else { throw ServiceError("InvalidParameterException", "SecretBinary must be base64") }
            plain = [UInt8](data)
            isBinary = true
        } else {
            return nil
        }
        guard plain.count <= 65_536 else {
            throw ServiceError.validation("1 validation error detected: Value at 'secretString' failed to satisfy constraint: Member must have length less than or equal to 65536")
        }
        return (Data(try box.seal(plain)).base64EncodedString(), isBinary, plain)
    }

    func plain(_ v: Secret.Version) throws(ServiceError) -> [UInt8] {
        guard let sealed = Data(base64Encoded: v.sealed) else { throw ServiceError.internalFailure("a stored secret is corrupt") }
        return try box.open([UInt8](sealed))
    }

    /// Adds a version holding `stages`; each stage leaves the version that had it, and the
    /// version AWSCURRENT leaves becomes AWSPREVIOUS (AWS's rotation rule).
    static func add(_ version: Secret.Version, to s: inout Secret) {
        let previousCurrent = s.version(stage: "AWSCURRENT")?.id
        for i in s.versions.indices { s.versions[i].stages.removeAll { version.stages.contains($0) } }
        s.versions.append(version)
        if version.stages.contains("AWSCURRENT"), let previousCurrent, previousCurrent != version.id {
            for i in s.versions.indices { s.versions[i].stages.removeAll { $0 == "AWSPREVIOUS" } }
            if let i = s.versions.firstIndex(where: { $0.id == previousCurrent }) { s.versions[i].stages.append("AWSPREVIOUS") }
        }
        // AWS keeps at most 100 versions; those without a label go first.
        while s.versions.count > 100, let i = s.versions.firstIndex(where: { $0.stages.isEmpty }) { s.versions.remove(at: i) }
    }

    static func token(_ r: JSONRequest) throws(ServiceError) -> String {
        let token = try r.string("ClientRequestToken") ?? UUIDText.random()
        guard (32...64).contains(token.count) else {
            throw ServiceError("InvalidParameterException", "ClientRequestToken must be 32-64 characters long.")
        }
        return token
    }

    func create(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("Name")
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+=.@-")
        // AWS's message lists `!` as well: secrets a service manages are named `<service>!...`
        // (EventBridge's connections keep theirs as `events!connection/<name>/<id>`).
        var rest = Substring(name)
        if let bang = name.firstIndex(of: "!"), name[..<bang].allSatisfy({ $0.isLowercase || $0 == "-" }), bang != name.startIndex {
            rest = name[name.index(after: bang)...]
        }
        guard (1...512).contains(name.count), rest.allSatisfy({ allowed.contains($0) }) else {
            throw ServiceError.validation("Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
        }
        let token = try Self.token(r)
        let value = try sealedValue(r)
        let now = clock().milliseconds
        let arn = "arn:aws:secretsmanager:\(region):\(account):secret:\(name)-\(Self.randomSuffix())"
        let description = try r.string("Description")
        let kms = try r.string("KmsKeyId")
        let tags = Tags.parse(r.body["Tags"])
        let created = try await secrets.update(name) { (s: inout Secret?) throws(ServiceError) -> Secret in
            if let existing = s {
                if let d = existing.deletedMillis, d > now {
                    throw ServiceError("InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.")
                }
                if existing.deletedMillis == nil {
                    throw ServiceError("ResourceExistsException", "The operation failed because the secret \(name) already exists.", kind: .conflict)
                }
            }
            var secret = Secret(arn: arn, name: name, createdMillis: now)
            secret.description = description
            secret.kmsKeyId = kms
            secret.tags = tags
            if let value {
                Self.add(.init(id: token, sealed: value.sealed, binary: value.binary, createdMillis: now, stages: ["AWSCURRENT"]), to: &secret)
            }
            s = secret
            return secret
        }
        var o: JSONObject = ["ARN": .string(created.arn), "Name": .string(name)]
        if value != nil { o["VersionId"] = .string(token) }
        return .object(o)
    }

    func selectVersion(_ s: Secret, _ r: JSONRequest) throws(ServiceError) -> Secret.Version {
        let id = try r.string("VersionId")
        let stage = try r.string("VersionStage")
        if let id {
            guard let v = s.versions.first(where: { $0.id == id }) else {
                throw ServiceError("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: \(id)", kind: .notFound)
            }
            if let stage, !v.stages.contains(stage) {
                throw ServiceError("InvalidRequestException", "You provided a VersionStage that is not associated to the provided VersionId.")
            }
            return v
        }
        let label = stage ?? "AWSCURRENT"
        guard let v = s.version(stage: label) else {
            throw ServiceError("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: \(label)", kind: .notFound)
        }
        return v
    }

    func valueJSON(_ s: Secret, _ v: Secret.Version) throws(ServiceError) -> JSONObject {
        var o: JSONObject = ["ARN": .string(s.arn), "Name": .string(s.name), "VersionId": .string(v.id)]
        let bytes = try plain(v)
        if v.binary { o["SecretBinary"] = .string(Data(bytes).base64EncodedString()) } else { o["SecretString"] = .string(String(decoding: bytes, as: UTF8.self)) }
        o["VersionStages"] = .array(v.stages.map(JSON.string))
        o["CreatedDate"] = Self.date(v.createdMillis)
        return o
    }

    func getValue(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let s = try await live(try r.required("SecretId"))
        let v = try selectVersion(s, r)
        try await touch(s, v)
        return .object(try valueJSON(s, v))
    }

    /// AWS records the day a secret and a version were last read (LastAccessedDate, truncated
    /// to the day): written once a day at most, so reads stay reads.
    func touch(_ s: Secret, _ v: Secret.Version) async throws(ServiceError) {
        let day = clock().milliseconds / 86_400_000 * 86_400_000
        guard s.lastAccessedMillis != day || v.lastAccessedMillis != day else { return }
        try await secrets.update(s.name) { (stored: inout Secret?) throws(ServiceError) in
            guard var secret = stored else { return }
            secret.lastAccessedMillis = day
            if let i = secret.versions.firstIndex(where: { $0.id == v.id }) { secret.versions[i].lastAccessedMillis = day }
            stored = secret
        }
    }

    func batchGet(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        var values: [JSON] = []
        var errors: [JSON] = []
        for id in (r.body["SecretIdList"]?.arrayValue ?? []).compactMap(\.stringValue) {
            do {
                let s = try await live(id)
                values.append(.object(try valueJSON(s, try selectVersion(s, JSONRequest(body: [:])))))
            } catch {
                errors.append(["SecretId": .string(id), "ErrorCode": .string(error.code), "Message": .string(error.message)])
            }
        }
        return ["SecretValues": .array(values), "Errors": .array(errors)]
    }

    /// The SSM view of a secret (`/aws/reference/secretsmanager/NAME`).
    func asParameter(_ id: String, decrypt: Bool, arn: String) async throws(ServiceError) -> JSON {
        guard let s = try? await live(id), let v = s.version(stage: "AWSCURRENT") else {
            throw ServiceError("ParameterNotFound", "Secret /aws/reference/secretsmanager/\(id) not found.", kind: .notFound)
        }
        let described = try await describe(JSONRequest(body: ["SecretId": .string(s.arn)]))
        return ["Name": .string("/aws/reference/secretsmanager/\(id)"), "Type": "SecureString",
                "Value": .string(String(decoding: try plain(v), as: UTF8.self)), "Version": 0, "SourceResult": .string(described.serialized),
                "LastModifiedDate": Self.date(v.createdMillis), "ARN": .string(arn), "DataType": "text"]
    }
}
