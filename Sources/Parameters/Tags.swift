import StatesLanguage

/// Tags as both services take them: `[{"Key", "Value"}]`, a later value replacing an earlier.
enum Tags {
    typealias List = [(key: String, value: String)]

    static func parse(_ json: JSON?) -> List {
        (json?.arrayValue ?? []).compactMap { t in t["Key"]?.stringValue.map { (key: $0, value: t["Value"]?.stringValue ?? "") } }
    }

    static func merge(_ tags: inout List, _ new: List) {
        for t in new {
            tags.removeAll { $0.key == t.key }
            tags.append(t)
        }
    }

    static func json(_ tags: List) -> JSON { .array(tags.map { ["Key": .string($0.key), "Value": .string($0.value)] }) }
}
