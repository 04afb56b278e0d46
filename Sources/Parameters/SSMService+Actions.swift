import Foundation
import ServiceKit
import StatesLanguage

extension SSMService {
    static let types: Set<String> = ["String", "StringList", "SecureString"]

    func put(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try canonicalName(try r.required("Name"))
        let value = try r.required("Value")
        guard !value.isEmpty else {
            throw ServiceError.validation("1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1")
        }
        let lower = name.lowercased().drop { $0 == "/" }
        if lower.hasPrefix("aws") || lower.hasPrefix("ssm") {
            throw ServiceError.validation("No access to reserved parameter name: \(name).")
        }
        let overwrite = try r.bool("Overwrite") ?? false
        let givenType = try r.string("Type")
        if let givenType, !Self.types.contains(givenType) {
            throw ServiceError.validation("1 validation error detected: Value '\(givenType)' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]")
        }
        let tier = try r.string("Tier") ?? "Standard"
        guard value.utf8.count <= (tier == "Advanced" ? 8192 : 4096) else {
            throw ServiceError.validation("Parameter value can't be longer than \(tier == "Advanced" ? 8192 : 4096) characters.")
        }
        if let pattern = try r.string("AllowedPattern"), value.range(of: pattern, options: .regularExpression) == nil {
            throw ServiceError.validation("Parameter value, cannot be validated against allowedPattern: \(pattern)")
        }
        let tags = Tags.parse(r.body["Tags"])
        let now = clock().milliseconds
        let box = self.box
        let description = try r.string("Description")
        let dataType = try r.string("DataType") ?? "text"
        let keyId = try r.string("KeyId")
        let pattern = try r.string("AllowedPattern")
        let version = try await parameters.update(name) { (p: inout Parameter?) throws(ServiceError) -> Int64 in
            if p != nil, !overwrite {
                throw ServiceError("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
                                   kind: .conflict)
            }
            if p != nil, !tags.isEmpty {
                throw ServiceError.validation("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
            }
            guard let type = givenType ?? p?.type else {
                throw ServiceError.validation("A parameter type is required when you create a parameter.")
            }
            var param = p ?? Parameter(name: name, type: type, dataType: dataType, description: description, allowedPattern: pattern,
                                       keyId: type == "SecureString" ? (keyId ?? "alias/aws/ssm") : nil, tier: tier)
            param.type = type
            if let description { param.description = description }
            if let pattern { param.allowedPattern = pattern }
            if p == nil {
                param.tags = tags
            }
            let stored = type == "SecureString" ? Data(try box.seal(Array(value.utf8))).base64EncodedString() : value
            let next = (param.latest?.version ?? 0) + 1
            param.versions.append(.init(version: next, value: stored, lastModifiedMillis: now, labels: [], description: param.description, type: type))
            // AWS keeps the last 100 versions.
            if param.versions.count > 100 { param.versions.removeFirst(param.versions.count - 100) }
            p = param
            return next
        }
        return ["Version": .int(version), "Tier": .string(tier)]
    }

    func getParameter(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        ["Parameter": try await resolve(try r.required("Name"), decrypt: try r.bool("WithDecryption") ?? false)]
    }

    func getParameters(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let names = (r.body["Names"]?.arrayValue ?? []).compactMap(\.stringValue)
        guard (1...10).contains(names.count) else {
            throw ServiceError.validation("1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to 10")
        }
        let decrypt = try r.bool("WithDecryption") ?? false
        var found: [JSON] = []
        var invalid: [JSON] = []
        for name in names {
            do { found.append(try await resolve(name, decrypt: decrypt)) } catch {
                guard error.kind == .notFound else { throw error }
                invalid.append(.string(name))
            }
        }
        return ["Parameters": .array(found), "InvalidParameters": .array(invalid)]
    }

    /// ParameterFilters as AWS applies them to a parameter: Type, KeyId, Label, Name, Tier, DataType, tag:KEY.
    func matches(_ p: Parameter, _ filters: [JSON]) -> Bool {
        for f in filters {
            let key = f["Key"]?.stringValue ?? ""
            let values = (f["Values"]?.arrayValue ?? []).compactMap(\.stringValue)
            let option = f["Option"]?.stringValue ?? "Equals"
            func check(_ s: String?) -> Bool {
                guard let s else { return false }
                if values.isEmpty { return true }
                return values.contains { option == "BeginsWith" ? s.hasPrefix($0) : option == "Contains" ? s.contains($0) : s == $0 }
            }
            switch key {
            case "Type": if !check(p.type) { return false }
            case "KeyId": if !check(p.keyId) { return false }
            case "Tier": if !check(p.tier) { return false }
            case "DataType": if !check(p.dataType) { return false }
            case "Name": if !check(p.name) && !check(p.name.hasPrefix("/") ? String(p.name.dropFirst()) : "/" + p.name) { return false }
            case "Label": if !(p.latest.map { v in values.contains { v.labels.contains($0) } } ?? false) && !p.versions.contains(where: { v in values.contains { v.labels.contains($0) } }) { return false }
            case "Path":
                let recursive = option == "Recursive"
                if !values.contains(where: { Self.under(p.name, $0, recursive: recursive) }) { return false }
            default:
                if key.hasPrefix("tag:") {
                    let tag = String(key.dropFirst(4))
                    guard let t = p.tags.first(where: { $0.key == tag }), values.isEmpty || values.contains(t.value) else { return false }
                }
            }
        }
        return true
    }

    static func under(_ name: String, _ path: String, recursive: Bool) -> Bool {
        let prefix = path.hasSuffix("/") ? path : path + "/"
        guard path == "/" ? name.hasPrefix("/") : name.hasPrefix(prefix) else { return false }
        return recursive || !name.dropFirst(path == "/" ? 1 : prefix.count).contains("/")
    }

    /// One page of `items` with a token; `limit` is AWS's per action.
    func page<T>(_ items: [T], _ r: JSONRequest, limit: Int) throws(ServiceError) -> ([T], String?) {
        let size = try r.int("MaxResults") ?? limit
        guard (1...limit).contains(size) else {
            throw ServiceError.validation("1 validation error detected: Value '\(size)' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to \(limit)")
        }
        var start = 0
        if let token = try r.string("NextToken") {
            guard let n = Int(token), n >= 0, n <= items.count else { throw ServiceError("InvalidNextToken", "The specified token isn't valid.") }
            start = n
        }
        let end = min(items.count, start + size)
        return (Array(items[start..<end]), end < items.count ? String(end) : nil)
    }

    func getByPath(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let path = try r.required("Path")
        guard path.hasPrefix("/"), !path.contains("//") || path == "/" else {
            throw ServiceError.validation("The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.")
        }
        let recursive = try r.bool("Recursive") ?? false
        let filters = r.body["ParameterFilters"]?.arrayValue ?? []
        let decrypt = try r.bool("WithDecryption") ?? false
        let labels = filters.filter { $0["Key"]?.stringValue == "Label" }.flatMap { ($0["Values"]?.arrayValue ?? []).compactMap(\.stringValue) }
        let chosen = await parameters.all.map(\.value).filter { Self.under($0.name, path, recursive: recursive) && matches($0, filters) }
        let (items, next) = try page(chosen, r, limit: 10)
        var out: [JSON] = []
        for p in items {
            // A Label filter returns the labelled version.
            let version = labels.isEmpty ? p.latest : p.versions.last { v in labels.contains { v.labels.contains($0) } }
            if let version { out.append(try render(p, version, decrypt: decrypt)) }
        }
        var o: JSONObject = ["Parameters": .array(out)]
        if let next { o["NextToken"] = .string(next) }
        return .object(o)
    }

    func delete(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try canonicalName(try r.required("Name"))
        try await parameters.update(name) { (p: inout Parameter?) throws(ServiceError) in
            guard p != nil else { throw Self.notFound(name) }
            p = nil
        }
        return [:]
    }

    func deleteMany(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let names = (r.body["Names"]?.arrayValue ?? []).compactMap(\.stringValue)
        guard (1...10).contains(names.count) else {
            throw ServiceError.validation("1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to 10")
        }
        var deleted: [JSON] = []
        var invalid: [JSON] = []
        for name in names {
            do {
                _ = try await delete(JSONRequest(body: ["Name": .string(name)]))
                deleted.append(.string(name))
            } catch {
                guard error.kind == .notFound || error.code == "ValidationException" else { throw error }
                invalid.append(.string(name))
            }
        }
        return ["DeletedParameters": .array(deleted), "InvalidParameters": .array(invalid)]
    }

    func metadata(_ p: Parameter) -> JSON {
        var o: JSONObject = ["Name": .string(p.name), "ARN": .string(arn(p.name)), "Type": .string(p.type),
                             "LastModifiedDate": Self.date(p.latest?.lastModifiedMillis ?? 0),
                             "LastModifiedUser": .string("arn:aws:iam::\(account):root"), "Version": .int(p.latest?.version ?? 0),
                             "Tier": .string(p.tier), "Policies": .array([]), "DataType": .string(p.dataType)]
        if let k = p.keyId { o["KeyId"] = .string(k) }
        if let d = p.description { o["Description"] = .string(d) }
        if let a = p.allowedPattern { o["AllowedPattern"] = .string(a) }
        return .object(o)
    }

    func describe(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        var filters = r.body["ParameterFilters"]?.arrayValue ?? []
        // The older Filters: Name/Type/KeyId with Values, matched by prefix for Name.
        for f in r.body["Filters"]?.arrayValue ?? [] {
            var o = f.objectValue ?? [:]
            if o["Key"]?.stringValue == "Name" { o["Option"] = "BeginsWith" }
            filters.append(.object(o))
        }
        let chosen = await parameters.all.map(\.value).filter { matches($0, filters) }
        let (items, next) = try page(chosen, r, limit: 50)
        var o: JSONObject = ["Parameters": .array(items.map(metadata))]
        if let next { o["NextToken"] = .string(next) }
        return .object(o)
    }

    func existing(_ given: String) async throws(ServiceError) -> Parameter {
        let name = try canonicalName(given)
        guard let p = await parameters.get(name) else { throw Self.notFound(given) }
        return p
    }

    func history(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let p = try await existing(try r.required("Name"))
        let decrypt = try r.bool("WithDecryption") ?? false
        var rows: [JSON] = []
        for v in p.versions {
            var o: JSONObject = ["Name": .string(p.name), "Type": .string(v.type), "Value": .string(try plain(p, v, decrypt: decrypt)),
                                 "Version": .int(v.version), "LastModifiedDate": Self.date(v.lastModifiedMillis),
                                 "LastModifiedUser": .string("arn:aws:iam::\(account):root"), "Labels": .array(v.labels.map(JSON.string)),
                                 "Tier": .string(p.tier), "Policies": .array([]), "DataType": .string(p.dataType)]
            if let d = v.description { o["Description"] = .string(d) }
            if let k = p.keyId { o["KeyId"] = .string(k) }
            rows.append(.object(o))
        }
        let (items, next) = try page(rows, r, limit: 50)
        var o: JSONObject = ["Parameters": .array(items)]
        if let next { o["NextToken"] = .string(next) }
        return .object(o)
    }

    static func validLabel(_ l: String) -> Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
        let lower = l.lowercased()
        return (1...100).contains(l.count) && l.allSatisfy { allowed.contains($0) } && !lower.hasPrefix("aws") && !lower.hasPrefix("ssm")
            && !(l.first?.isNumber ?? false)
    }

    func label(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try canonicalName(try r.required("Name"))
        let wanted = try r.int("ParameterVersion").map(Int64.init)
        let labels = (r.body["Labels"]?.arrayValue ?? []).compactMap(\.stringValue)
        let (valid, invalid) = (labels.filter(Self.validLabel), labels.filter { !Self.validLabel($0) })
        let version = try await parameters.update(name) { (p: inout Parameter?) throws(ServiceError) -> Int64 in
            guard var param = p, let latest = param.latest else { throw Self.notFound(name) }
            let target = wanted ?? latest.version
            guard let i = param.versions.firstIndex(where: { $0.version == target }) else {
                throw ServiceError("ParameterVersionNotFound", "Systems Manager could not find version \(target) of \(name). Verify the version and try again.",
                                   kind: .notFound)
            }
            guard param.versions[i].labels.count + valid.filter({ !param.versions[i].labels.contains($0) }).count <= 10 else {
                throw ServiceError("ParameterVersionLabelLimitExceeded", "A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.")
            }
            // A label names one version: moving it takes it from any other.
            for j in param.versions.indices { param.versions[j].labels.removeAll { valid.contains($0) } }
            param.versions[i].labels += valid
            p = param
            return target
        }
        return ["InvalidLabels": .array(invalid.map(JSON.string)), "ParameterVersion": .int(version)]
    }

    func unlabel(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try canonicalName(try r.required("Name"))
        guard let wanted = try r.int("ParameterVersion").map(Int64.init) else {
            throw ServiceError.validation("1 validation error detected: Value null at 'parameterVersion' failed to satisfy constraint: Member must not be null")
        }
        let labels = (r.body["Labels"]?.arrayValue ?? []).compactMap(\.stringValue)
        return try await parameters.update(name) { (p: inout Parameter?) throws(ServiceError) -> JSON in
            guard var param = p else { throw Self.notFound(name) }
            guard let i = param.versions.firstIndex(where: { $0.version == wanted }) else {
                throw ServiceError("ParameterVersionNotFound", "Systems Manager could not find version \(wanted) of \(name). Verify the version and try again.",
                                   kind: .notFound)
            }
            let removed = labels.filter { param.versions[i].labels.contains($0) }
            param.versions[i].labels.removeAll { removed.contains($0) }
            p = param
            return ["RemovedLabels": .array(removed.map(JSON.string)), "InvalidLabels": .array(labels.filter { !removed.contains($0) }.map(JSON.string))]
        }
    }

    func tagged(_ r: JSONRequest) throws(ServiceError) -> String {
        let type = try r.required("ResourceType")
        guard type == "Parameter" else { throw ServiceError("InvalidResourceType", "The resource type is not valid. \(type) is not supported here.") }
        return try canonicalName(try r.required("ResourceId"))
    }

    func addTags(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try tagged(r)
        let tags = Tags.parse(r.body["Tags"])
        try await parameters.update(name) { (p: inout Parameter?) throws(ServiceError) in
            guard var param = p else { throw ServiceError("InvalidResourceId", "The resource ID is not valid. Verify the ID and try again.", kind: .notFound) }
            Tags.merge(&param.tags, tags)
            p = param
        }
        return [:]
    }

    func removeTags(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try tagged(r)
        let keys = (r.body["TagKeys"]?.arrayValue ?? []).compactMap(\.stringValue)
        try await parameters.update(name) { (p: inout Parameter?) throws(ServiceError) in
            guard var param = p else { throw ServiceError("InvalidResourceId", "The resource ID is not valid. Verify the ID and try again.", kind: .notFound) }
            param.tags.removeAll { keys.contains($0.key) }
            p = param
        }
        return [:]
    }

    func listTags(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try tagged(r)
        guard let p = await parameters.get(name) else { throw ServiceError("InvalidResourceId", "The resource ID is not valid. Verify the ID and try again.", kind: .notFound) }
        return ["TagList": Tags.json(p.tags)]
    }
}
