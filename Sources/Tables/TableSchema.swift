import ServiceKit
import StatesLanguage

/// What item operations need of a table, read from its stored description once: its key
/// attributes and their types, its indexes, its stream. The description itself (AWS's
/// TableDescription shape) is what DescribeTable answers.
struct TableSchema: Sendable {
    struct Key: Sendable, Equatable {
        var name: String
        var type: String
    }

    struct Index: Sendable {
        var name: String
        var hash: Key
        var range: Key?
        var global: Bool
        /// ALL, KEYS_ONLY or INCLUDE (with `included`).
        var projection: String
        var included: [String]
    }

    var id: Int64
    var name: String
    var arn: String
    var hash: Key
    var range: Key?
    var indexes: [Index]
    /// The stream's ARN and view type while a stream is enabled.
    var streamArn: String?
    var streamViewType: String?
    var ttlAttribute: String?
    /// Kinesis data streams the table's changes go to (its active streaming destinations), and
    /// whether each stamps records in microseconds rather than milliseconds.
    var kinesisDestinations: [(arn: String, microseconds: Bool)] = []
    var description: JSONObject

    init(id: Int64, description d: JSONObject, ttlAttribute: String?) {
        self.id = id
        description = d
        name = d["TableName"]?.stringValue ?? ""
        arn = d["TableArn"]?.stringValue ?? ""
        var types: [String: String] = [:]
        for a in d["AttributeDefinitions"]?.arrayValue ?? [] {
            if let n = a["AttributeName"]?.stringValue { types[n] = a["AttributeType"]?.stringValue ?? "S" }
        }
        func keys(_ schema: JSON?) -> (Key, Key?) {
            var h = Key(name: "", type: "S")
            var r: Key?
            for k in schema?.arrayValue ?? [] {
                let n = k["AttributeName"]?.stringValue ?? ""
                let key = Key(name: n, type: types[n] ?? "S")
                if k["KeyType"]?.stringValue == "HASH" { h = key } else { r = key }
            }
            return (h, r)
        }
        (hash, range) = keys(d["KeySchema"])
        var indexes: [Index] = []
        for (field, global) in [("GlobalSecondaryIndexes", true), ("LocalSecondaryIndexes", false)] {
            for i in d[field]?.arrayValue ?? [] {
                let (h, r) = keys(i["KeySchema"])
                indexes.append(Index(name: i["IndexName"]?.stringValue ?? "", hash: h, range: r, global: global,
                                     projection: i["Projection"]?["ProjectionType"]?.stringValue ?? "ALL",
                                     included: i["Projection"]?["NonKeyAttributes"]?.arrayValue?.compactMap(\.stringValue) ?? []))
            }
        }
        self.indexes = indexes
        if d["StreamSpecification"]?["StreamEnabled"]?.boolValue == true {
            streamArn = d["LatestStreamArn"]?.stringValue
            streamViewType = d["StreamSpecification"]?["StreamViewType"]?.stringValue
        }
        self.ttlAttribute = ttlAttribute
    }

    func index(_ name: String) -> Index? { indexes.first { $0.name == name } }

    var keyNames: [String] { [hash.name] + (range.map { [$0.name] } ?? []) }

    /// The stored key bytes of an item (or a key), checked against the schema with AWS's messages.
    func storedKey(_ item: Item, isKey: Bool = false) throws(ServiceError) -> (pk: [UInt8], sk: [UInt8]) {
        if isKey {
            let extra = item.keys.filter { !keyNames.contains($0) }
            if !extra.isEmpty || item.count != keyNames.count {
                throw ServiceError.validation("The provided key element does not match the schema")
            }
        }
        let pk = try keyBytes(item, hash, isKey: isKey)
        let sk = try range.map { (r) throws(ServiceError) in try keyBytes(item, r, isKey: isKey) } ?? []
        return (pk, sk)
    }

    private func keyBytes(_ item: Item, _ key: Key, isKey: Bool) throws(ServiceError) -> [UInt8] {
        guard let v = item[key.name] else {
            throw ServiceError.validation(isKey ? "The provided key element does not match the schema"
                                               : "One or more parameter values were invalid: Missing the key \(key.name) in the item")
        }
        guard v.typeName == key.type, let bytes = v.keyBytes else {
            throw ServiceError.validation(isKey ? "The provided key element does not match the schema"
                : "One or more parameter values were invalid: Type mismatch for key \(key.name) expected: \(key.type) actual: \(v.typeName)")
        }
        if bytes.isEmpty, key.type != "N" {
            throw ServiceError.validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty \(key.type == "S" ? "string" : "binary") value. Key: \(key.name)")
        }
        return bytes
    }

    /// The item's key attributes (for Keys in stream records and LastEvaluatedKey).
    func key(of item: Item, index: Index? = nil) -> Item {
        var out: Item = [:]
        for n in keyNames { out[n] = item[n] }
        if let index {
            out[index.hash.name] = item[index.hash.name]
            if let r = index.range { out[r.name] = item[r.name] }
        }
        return out
    }

    /// An index's entry for an item: nil when the item lacks the index's keys (a sparse index)
    /// or holds them with another type (AWS refuses that write; see `checkIndexKeys`).
    func indexKey(_ index: Index, of item: Item) -> (ipk: [UInt8], isk: [UInt8])? {
        guard let h = item[index.hash.name], h.typeName == index.hash.type, let hb = h.keyBytes else { return nil }
        guard let r = index.range else { return (hb, []) }
        guard let rv = item[r.name], rv.typeName == r.type, let rb = rv.keyBytes else { return nil }
        return (hb, rb)
    }

    /// AWS refuses an item whose index key attribute has the wrong type or is empty.
    func checkIndexKeys(_ item: Item) throws(ServiceError) {
        for index in indexes {
            for key in [index.hash] + (index.range.map { [$0] } ?? []) {
                guard let v = item[key.name] else { continue }
                guard v.typeName == key.type else {
                    throw ServiceError.validation("One or more parameter values were invalid: Type mismatch for Index Key \(key.name) Expected: \(key.type) Actual: \(v.typeName) IndexName: \(index.name)")
                }
                if v.keyBytes?.isEmpty == true, key.type != "N" {
                    throw ServiceError.validation("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: \(index.name), IndexKey: \(key.name)")
                }
            }
        }
    }

    /// What an index returns of an item: all of it, its keys, or its keys and the included.
    func projected(_ item: Item, through index: Index) -> Item {
        switch index.projection {
        case "ALL": return item
        default:
            var out = key(of: item, index: index)
            if index.projection == "INCLUDE" { for n in index.included { out[n] = item[n] } }
            return out
        }
    }
}
