import StatesLanguage

/// One secret and its versions. Values are sealed by the SecretBox before they are kept.
struct Secret: Sendable {
    struct Version: Sendable {
        var id: String
        /// base64 of the sealed value.
        var sealed: String
        var binary: Bool
        var createdMillis: Int64
        var stages: [String]
        var lastAccessedMillis: Int64?
    }

    var arn: String
    var name: String
    var description: String?
    var kmsKeyId: String?
    var createdMillis: Int64
    var lastChangedMillis: Int64
    var lastAccessedMillis: Int64?
    var deletedMillis: Int64?
    var tags: [(key: String, value: String)]
    var versions: [Version]

    init(arn: String, name: String, createdMillis: Int64) {
        self.arn = arn
        self.name = name
        self.createdMillis = createdMillis
        lastChangedMillis = createdMillis
        tags = []
        versions = []
    }

    func version(stage: String) -> Version? { versions.first { $0.stages.contains(stage) } }

    var json: JSON {
        var o: JSONObject = ["ARN": .string(arn), "Name": .string(name), "Created": .int(createdMillis), "Changed": .int(lastChangedMillis)]
        if let description { o["Description"] = .string(description) }
        if let kmsKeyId { o["KmsKeyId"] = .string(kmsKeyId) }
        if let lastAccessedMillis { o["Accessed"] = .int(lastAccessedMillis) }
        if let deletedMillis { o["Deleted"] = .int(deletedMillis) }
        o["Tags"] = Tags.json(tags)
        o["Versions"] = .array(versions.map { v in
            var e: JSONObject = ["Id": .string(v.id), "Sealed": .string(v.sealed), "Binary": .bool(v.binary), "Created": .int(v.createdMillis),
                                 "Stages": .array(v.stages.map(JSON.string))]
            if let a = v.lastAccessedMillis { e["Accessed"] = .int(a) }
            return .object(e)
        })
        return .object(o)
    }

    init?(json: JSON) {
        guard let arn = json["ARN"]?.stringValue, let name = json["Name"]?.stringValue else { return nil }
        self.init(arn: arn, name: name, createdMillis: json["Created"]?.integerValue ?? 0)
        lastChangedMillis = json["Changed"]?.integerValue ?? createdMillis
        description = json["Description"]?.stringValue
        kmsKeyId = json["KmsKeyId"]?.stringValue
        lastAccessedMillis = json["Accessed"]?.integerValue
        deletedMillis = json["Deleted"]?.integerValue
        tags = Tags.parse(json["Tags"])
        versions = (json["Versions"]?.arrayValue ?? []).compactMap { v in
            guard let id = v["Id"]?.stringValue, let sealed = v["Sealed"]?.stringValue else { return nil }
            return Version(id: id, sealed: sealed, binary: v["Binary"]?.boolValue ?? false, createdMillis: v["Created"]?.integerValue ?? 0,
                           stages: (v["Stages"]?.arrayValue ?? []).compactMap(\.stringValue), lastAccessedMillis: v["Accessed"]?.integerValue)
        }
    }
}
