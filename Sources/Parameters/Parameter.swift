import StatesLanguage

/// One SSM parameter with every version. A SecureString's values are sealed by the SecretBox
/// (base64 of the sealed bytes); other values are kept as given.
struct Parameter: Sendable {
    struct Version: Sendable {
        var version: Int64
        var value: String
        var lastModifiedMillis: Int64
        var labels: [String]
        var description: String?
        var type: String
    }

    var name: String
    var type: String
    var dataType: String
    var description: String?
    var allowedPattern: String?
    var keyId: String?
    var tier: String
    var versions: [Version]
    var tags: [(key: String, value: String)]

    var latest: Version? { versions.last }

    var json: JSON {
        var o: JSONObject = ["Name": .string(name), "Type": .string(type), "DataType": .string(dataType), "Tier": .string(tier)]
        if let description { o["Description"] = .string(description) }
        if let allowedPattern { o["AllowedPattern"] = .string(allowedPattern) }
        if let keyId { o["KeyId"] = .string(keyId) }
        o["Versions"] = .array(versions.map { v in
            var e: JSONObject = ["Version": .int(v.version), "Value": .string(v.value), "LastModified": .int(v.lastModifiedMillis),
                                 "Labels": .array(v.labels.map(JSON.string)), "Type": .string(v.type)]
            if let d = v.description { e["Description"] = .string(d) }
            return .object(e)
        })
        o["Tags"] = Tags.json(tags)
        return .object(o)
    }

    init(name: String, type: String, dataType: String, description: String?, allowedPattern: String?, keyId: String?, tier: String) {
        self.name = name
        self.type = type
        self.dataType = dataType
        self.description = description
        self.allowedPattern = allowedPattern
        self.keyId = keyId
        self.tier = tier
        versions = []
        tags = []
    }

    init?(json: JSON) {
        guard let name = json["Name"]?.stringValue, let type = json["Type"]?.stringValue else { return nil }
        self.init(name: name, type: type, dataType: json["DataType"]?.stringValue ?? "text", description: json["Description"]?.stringValue,
                  allowedPattern: json["AllowedPattern"]?.stringValue, keyId: json["KeyId"]?.stringValue,
                  tier: json["Tier"]?.stringValue ?? "Standard")
        versions = (json["Versions"]?.arrayValue ?? []).compactMap { v in
            guard let n = v["Version"]?.integerValue, let value = v["Value"]?.stringValue else { return nil }
            return Version(version: n, value: value, lastModifiedMillis: v["LastModified"]?.integerValue ?? 0,
                           labels: (v["Labels"]?.arrayValue ?? []).compactMap(\.stringValue), description: v["Description"]?.stringValue,
                           type: v["Type"]?.stringValue ?? type)
        }
        tags = Tags.parse(json["Tags"])
    }
}
