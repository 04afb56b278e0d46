import Foundation
import Journal
import ServiceKit
import StatesLanguage

/// SSM Parameter Store on the seam (`AmazonSSM.*`, JSON 1.1): String, StringList and
/// SecureString parameters with versions, labels, paths and tags. SecureString values are
/// sealed at rest; `/aws/reference/secretsmanager/NAME` reads a secret, as on AWS.
package struct SSMService: BatonService {
    let parameters: DocumentBook<Parameter>
    let secrets: SecretsManagerService
    let box: SecretBox
    let region: String
    let account: String
    let clock: @Sendable () -> Timestamp

    package var name: String { "ssm" }

    package var browseViews: [BrowseView] {
        [BrowseView("Parameters", columns: [.init("Name", "Name"), .init("Type", "Type"), .init("Version", "Version")],
                    action: "DescribeParameters", body: ["MaxResults": 50], list: "Parameters")]
    }
    package var wireProtocol: WireProtocol { .json(targetPrefix: "AmazonSSM", version: "1.1") }

    init(store: any DocumentStore, secrets: SecretsManagerService, box: SecretBox, region: String, account: String,
         clock: @escaping @Sendable () -> Timestamp) async throws(ServiceError) {
        parameters = try await DocumentBook(owner: "ssm.parameters", store: store, encode: { $0.json }, decode: Parameter.init(json:))
        self.secrets = secrets
        self.box = box
        self.region = region
        self.account = account
        self.clock = clock
    }

    package var actions: [String: Action] {
        var t = ActionTable(model: SSMModel.constraints)
        let s = self
        t.json("PutParameter") { try await s.put($0) }
        t.json("GetParameter") { try await s.getParameter($0) }
        t.json("GetParameters") { try await s.getParameters($0) }
        t.json("GetParametersByPath") { try await s.getByPath($0) }
        t.json("DeleteParameter") { try await s.delete($0) }
        t.json("DeleteParameters") { try await s.deleteMany($0) }
        t.json("DescribeParameters") { try await s.describe($0) }
        t.json("GetParameterHistory") { try await s.history($0) }
        t.json("LabelParameterVersion") { try await s.label($0) }
        t.json("UnlabelParameterVersion") { try await s.unlabel($0) }
        t.json("AddTagsToResource") { try await s.addTags($0) }
        t.json("RemoveTagsFromResource") { try await s.removeTags($0) }
        t.json("ListTagsForResource") { try await s.listTags($0) }
        t.json("GetMaintenanceWindow") { r in
            let id = try r.required("WindowId")
            throw ServiceError("DoesNotExistException", "Maintenance window \(id) does not exist", kind: .notFound)
        }
        return t.actions
    }

    package var taskResources: [TaskResourceBinding] {
        [TaskResourceBinding(.sdk(service: "ssm"), SDKTaskHandler(service: "Ssm", actions: actions))]
    }

    // MARK: names

    static let namingRules = "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_"

    /// The name in a name or an ARN; nil when it breaks AWS's naming rules.
    func canonicalName(_ given: String) throws(ServiceError) -> String {
        var name = given
        if given.hasPrefix("arn:") {
            let parts = given.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6, parts[2] == "ssm", parts[5].hasPrefix("parameter/") else {
                throw ServiceError.validation("Invalid parameter name. \(Self.namingRules)")
            }
            let rest = String(parts[5].dropFirst("parameter".count))
            name = rest.dropFirst().contains("/") ? rest : String(rest.dropFirst())
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/")
        guard !name.isEmpty, name.count <= 2048, name.allSatisfy({ allowed.contains($0) }), !name.contains("//"),
              !name.contains("/") || name.hasPrefix("/") else {
            throw ServiceError.validation("Invalid parameter name. \(Self.namingRules)")
        }
        return name
    }

    func arn(_ name: String) -> String { "arn:aws:ssm:\(region):\(account):parameter" + (name.hasPrefix("/") ? name : "/" + name) }

    static func date(_ ms: Int64) -> JSON { .double(Double(ms) / 1000) }

    static func notFound(_ name: String) -> ServiceError { ServiceError("ParameterNotFound", "Parameter \(name) not found.", kind: .notFound) }

    // MARK: values

    func plain(_ p: Parameter, _ v: Parameter.Version, decrypt: Bool) throws(ServiceError) -> String {
        guard v.type == "SecureString" else { return v.value }
        guard decrypt else { return v.value }
        guard let sealed = Data(base64Encoded: v.value) else { throw ServiceError.internalFailure("a stored SecureString is corrupt") }
        return String(decoding: try box.open([UInt8](sealed)), as: UTF8.self)
    }

    func render(_ p: Parameter, _ v: Parameter.Version, decrypt: Bool, selector: String? = nil) throws(ServiceError) -> JSON {
        var o: JSONObject = ["Name": .string(p.name), "Type": .string(v.type), "Value": .string(try plain(p, v, decrypt: decrypt)),
                             "Version": .int(v.version), "LastModifiedDate": Self.date(v.lastModifiedMillis), "ARN": .string(arn(p.name)),
                             "DataType": .string(p.dataType)]
        if let selector { o["Selector"] = .string(selector) }
        return .object(o)
    }

    /// `name`, `name:3` or `name:label`.
    func resolve(_ reference: String, decrypt: Bool) async throws(ServiceError) -> JSON {
        var base = reference
        var selector: String?
        if !reference.hasPrefix("arn:"), let colon = reference.lastIndex(of: ":") {
            base = String(reference[..<colon])
            selector = String(reference[colon...])
        } else if reference.hasPrefix("arn:"), reference.split(separator: ":", omittingEmptySubsequences: false).count > 6,
                  let colon = reference.lastIndex(of: ":") {
            base = String(reference[..<colon])
            selector = String(reference[colon...])
        }
        if base.hasPrefix("/aws/reference/secretsmanager/") {
            return try await secrets.asParameter(String(base.dropFirst("/aws/reference/secretsmanager/".count)), decrypt: decrypt, arn: arn(base))
        }
        let name = try canonicalName(base)
        guard let p = await parameters.get(name), let latest = p.latest else { throw Self.notFound(reference) }
        guard let selector else { return try render(p, latest, decrypt: decrypt) }
        let key = String(selector.dropFirst())
        let version: Parameter.Version?
        if let n = Int64(key) { version = p.versions.first { $0.version == n } } else { version = p.versions.first { $0.labels.contains(key) } }
        guard let version else {
            throw ServiceError("ParameterVersionNotFound", "Systems Manager could not find version \(key) of \(name). Verify the version and try again.",
                               kind: .notFound)
        }
        return try render(p, version, decrypt: decrypt, selector: selector)
    }
}
