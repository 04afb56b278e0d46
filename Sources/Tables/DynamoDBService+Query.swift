import ServiceKit
import StatesLanguage

/// Query and Scan: pages read in key order from the table or an index, up to `Limit` items
/// evaluated or 1 MB read (AWS's page), filtered after reading, with LastEvaluatedKey to go on.
extension DynamoDBService {
    static let pageBytes = 1024 * 1024

    struct KeyRange {
        var partition: [UInt8]
        var range: (op: String, values: [[UInt8]])?
    }

    func query(_ r: JSONRequest) async throws -> [UInt8] {
        let schema = try catalog.schema(try r.required("TableName"))
        let index = try indexOf(schema, r)
        try Self.refuseMixed(r, legacy: ["KeyConditions", "QueryFilter", "AttributesToGet", "ConditionalOperator"],
                             expression: ["KeyConditionExpression", "FilterExpression", "ProjectionExpression"])
        let p = try Self.placeholders(r)
        let keyCondition: Condition
        if let text = try r.string("KeyConditionExpression") {
            keyCondition = try ExpressionParser.condition(text, kind: "KeyConditionExpression", p)
        } else if let legacy = r.body["KeyConditions"]?.objectValue, let c = try LegacyConditions.filter(legacy, operator: "AND") {
            keyCondition = c
        } else {
            throw ServiceError.validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
        }
        let hash = index?.hash ?? schema.hash
        let range = index == nil ? schema.range : index?.range
        let keys = try Self.keyRange(keyCondition, hash: hash, range: range)
        let filter = try filterCondition(r, p, legacy: "QueryFilter")
        let projection = try projection(r, p)
        try p.checkAllUsed()
        return try await page(r, schema: schema, index: index, keys: keys, filter: filter, projection: projection,
                        forward: try r.bool("ScanIndexForward") ?? true, segment: nil)
    }

    func scan(_ r: JSONRequest) async throws -> [UInt8] {
        let schema = try catalog.schema(try r.required("TableName"))
        let index = try indexOf(schema, r)
        try Self.refuseMixed(r, legacy: ["ScanFilter", "AttributesToGet", "ConditionalOperator"], expression: ["FilterExpression", "ProjectionExpression"])
        let p = try Self.placeholders(r)
        let filter = try filterCondition(r, p, legacy: "ScanFilter")
        let projection = try projection(r, p)
        try p.checkAllUsed()
        var segment: (Int, Int)?
        let s = try r.int("Segment")
        let total = try r.int("TotalSegments")
        if s != nil || total != nil {
            guard let s, let total else {
                throw ServiceError.validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
            }
            guard s < total else {
                throw ServiceError.validation("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: \(s) is not less than TotalSegments: \(total)")
            }
            segment = (s, total)
        }
        return try await page(r, schema: schema, index: index, keys: nil, filter: filter, projection: projection, forward: true, segment: segment)
    }

    func indexOf(_ schema: TableSchema, _ r: JSONRequest) throws(ServiceError) -> TableSchema.Index? {
        guard let name = try r.string("IndexName") else { return nil }
        guard let index = schema.index(name) else {
            throw ServiceError.validation("The table does not have the specified index: \(name)")
        }
        if index.global, try r.bool("ConsistentRead") == true {
            throw ServiceError.validation("Consistent reads are not supported on global secondary indexes")
        }
        return index
    }

    func filterCondition(_ r: JSONRequest, _ p: Placeholders, legacy: String) throws(ServiceError) -> Condition? {
        if let text = try r.string("FilterExpression") { return try ExpressionParser.condition(text, kind: "FilterExpression", p) }
        if let f = r.body[legacy]?.objectValue { return try LegacyConditions.filter(f, operator: try r.string("ConditionalOperator")) }
        return nil
    }

    /// The partition and sort key bounds a key condition names: `hash = v`, optionally AND a
    /// comparison, BETWEEN or begins_with on the sort key. Anything else AWS refuses.
    static func keyRange(_ c: Condition, hash: TableSchema.Key, range: TableSchema.Key?) throws(ServiceError) -> KeyRange {
        var parts: [Condition] = []
        func flatten(_ c: Condition) throws(ServiceError) {
            switch c {
            case .and(let a, let b):
                try flatten(a)
                try flatten(b)
            case .or, .not:
                throw ServiceError.validation("Invalid operator used in KeyConditionExpression: \(c.operatorName)")
            default: parts.append(c)
            }
        }
        try flatten(c)
        var partition: [UInt8]?
        var sort: (op: String, values: [[UInt8]])?
        func bytes(_ o: Operand, _ key: TableSchema.Key) throws(ServiceError) -> [UInt8] {
            guard case .value(let v) = o else { throw ServiceError.validation("Query key condition not supported") }
            guard v.typeName == key.type, let b = v.keyBytes else {
                throw ServiceError.validation("One or more parameter values were invalid: Condition parameter type does not match schema type")
            }
            return b
        }
        for part in parts {
            switch part {
            case .compare(.path(let p), let op, let v) where p.elements.count == 1:
                if p.first == hash.name {
                    guard op == .eq else { throw ServiceError.validation("Query key condition not supported") }
                    guard partition == nil else { throw ServiceError.validation("KeyConditionExpressions must only contain one condition per key") }
                    partition = try bytes(v, hash)
                } else if let range, p.first == range.name {
                    guard sort == nil else { throw ServiceError.validation("KeyConditionExpressions must only contain one condition per key") }
                    guard op != .ne else { throw ServiceError.validation("Unsupported operator on KeyConditionExpression: operator: <>") }
                    sort = (op.rawValue, [try bytes(v, range)])
                } else {
                    throw ServiceError.validation("Query condition missed key schema element: \(hash.name)")
                }
            case .between(.path(let p), let low, let high) where range?.name == p.first && p.elements.count == 1:
                guard let range, sort == nil else { throw ServiceError.validation("KeyConditionExpressions must only contain one condition per key") }
                let l = try bytes(low, range)
                let h = try bytes(high, range)
                if case .value(let lv) = low, case .value(let hv) = high, let order = ExpressionEvaluator.compare(lv, hv), order > 0 {
                    throw ServiceError.validation("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {\(lv.typeName):\(ExpressionEvaluator.display(lv))}, upper bound operand: AttributeValue: {\(hv.typeName):\(ExpressionEvaluator.display(hv))}")
                }
                sort = ("BETWEEN", [l, h])
            case .beginsWith(.path(let p), let prefix) where range?.name == p.first && p.elements.count == 1:
                guard let range, sort == nil else { throw ServiceError.validation("KeyConditionExpressions must only contain one condition per key") }
                guard range.type != "N" else {
                    throw ServiceError.validation("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
                }
                sort = ("BEGINS_WITH", [try bytes(prefix, range)])
            default:
                throw ServiceError.validation("Query key condition not supported")
            }
        }
        guard let partition else { throw ServiceError.validation("Query condition missed key schema element: \(hash.name)") }
        return KeyRange(partition: partition, range: sort)
    }

    /// Reads one page and renders Query's or Scan's answer.
    func page(_ r: JSONRequest, schema: TableSchema, index: TableSchema.Index?, keys: KeyRange?, filter: Condition?,
              projection: [DocumentPath]?, forward: Bool, segment: (Int, Int)?) async throws(ServiceError) -> [UInt8] {
        let limit = try r.int("Limit")
        if let limit, limit < 1 {
            throw ServiceError.validation("1 validation error detected: Value '\(limit)' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1")
        }
        let select = try r.string("Select") ?? (projection == nil ? (index == nil ? "ALL_ATTRIBUTES" : "ALL_PROJECTED_ATTRIBUTES") : "SPECIFIC_ATTRIBUTES")
        if select == "SPECIFIC_ATTRIBUTES", projection == nil {
            throw ServiceError.validation("SPECIFIC_ATTRIBUTES requires either AttributesToGet or ProjectionExpression")
        }
        if select != "SPECIFIC_ATTRIBUTES", projection != nil, r.body["Select"] != nil {
            throw ServiceError.validation("Cannot specify the ProjectionExpression when choosing to get \(select)")
        }
        var after: (ipk: [UInt8], isk: [UInt8], pk: [UInt8], sk: [UInt8])?
        if r.body["ExclusiveStartKey"] != nil {
            let start = try Item(json: r.body["ExclusiveStartKey"], field: "ExclusiveStartKey")
            let base: (pk: [UInt8], sk: [UInt8])
            do { base = try schema.storedKey(start) } catch {
                throw ServiceError.validation("The provided starting key is invalid: The provided key element does not match the schema")
            }
            if let index {
                guard let k = schema.indexKey(index, of: start) else {
                    throw ServiceError.validation("The provided starting key is invalid: The provided key element does not match the schema")
                }
                after = (k.ipk, k.isk, base.pk, base.sk)
            } else {
                after = (base.pk, base.sk, base.pk, base.sk)
            }
        }
        // Whole items as stored need no parsing: their text is spliced into the answer.
        let splice = filter == nil && projection == nil && select != "COUNT" && (index == nil || (index?.projection == "ALL" && segment == nil))
        var items: [JSON] = []
        var spliced: [UInt8] = [UInt8(ascii: "[")]
        var count = 0
        var scanned = 0
        var bytes = 0
        var last: (item: Item, done: Bool)?
        let wanted = limit ?? Int.max
        let chunk = min(wanted, 1000)
        reading: while true {
            let requested = segment == nil ? min(chunk, wanted - scanned) : 1000
            let from = after
            let budget = Self.pageBytes - bytes
            let rows = try await store.read { (reader) throws(ServiceError) in
                try reader.scan(table: schema.id, index: index?.name, partition: keys?.partition, range: keys?.range, forward: forward,
                                after: from, limit: requested, budget: budget)
            }
            if rows.isEmpty {
                last = nil
                break
            }
            for (i, row) in rows.enumerated() {
                if splice, segment == nil || Self.segment(of: row.pk, segment?.1 ?? 1) == segment?.0 {
                    if count > 0 { spliced.append(UInt8(ascii: ",")) }
                    spliced += row.item
                    count += 1
                    scanned += 1
                    bytes += row.size
                    after = (row.pk, row.sk, row.pk, row.sk)
                    let full = scanned >= wanted || bytes >= Self.pageBytes
                    if index != nil || full || i == rows.count - 1 {
                        // The last row read: parsed for where the next page starts.
                        let item = try ItemReader.decode(row.item)
                        if let index { after = (schema.indexKey(index, of: item)?.ipk ?? [], schema.indexKey(index, of: item)?.isk ?? [], row.pk, row.sk) }
                        last = (item, false)
                    }
                    if full { break reading }
                    continue
                } else if splice {
                    // Another segment's row.
                    after = (row.pk, row.sk, row.pk, row.sk)
                    continue
                }
                let item = try ItemReader.decode(row.item)
                if let index {
                    after = (schema.indexKey(index, of: item)?.ipk ?? [], schema.indexKey(index, of: item)?.isk ?? [], row.pk, row.sk)
                } else {
                    after = (row.pk, row.sk, row.pk, row.sk)
                }
                if let (s, total) = segment, Self.segment(of: row.pk, total) != s { continue }
                scanned += 1
                bytes += row.size
                let visible = index.map { schema.projected(item, through: $0) } ?? item
                if try filter.map({ (c) throws(ServiceError) in try ExpressionEvaluator.holds(c, on: visible) }) ?? true {
                    count += 1
                    if select != "COUNT" {
                        items.append((projection.map { ExpressionEvaluator.project(visible, $0) } ?? visible).json)
                    }
                }
                last = (item, false)
                if scanned >= wanted || bytes >= Self.pageBytes { break reading }
            }
            if rows.count < requested {
                // The store had no more rows than these.
                last = nil
                break
            }
        }
        var out = JSONObject()
        if select != "COUNT" && !splice { out["Items"] = .array(items) }
        out["Count"] = .int(Int64(count))
        out["ScannedCount"] = .int(Int64(scanned))
        if let last {
            out["LastEvaluatedKey"] = schema.key(of: last.item, index: index).json
        }
        if let c = Self.capacity(schema.name, units: max(0.5, Double((bytes + 4095) / 4096) / 2), r: r) { out["ConsumedCapacity"] = c }
        guard splice else { return JSON.object(out).serializedBytes }
        spliced.append(UInt8(ascii: "]"))
        // {"Items":[…],<the rest>}
        let rest = JSON.object(out).serializedBytes
        return Array(#"{"Items":"#.utf8) + spliced + [UInt8(ascii: ",")] + rest.dropFirst()
    }

    static func segment(of pk: [UInt8], _ total: Int) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in pk {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return Int(h % UInt64(max(1, total)))
    }
}

extension Condition {
    var operatorName: String {
        switch self {
        case .or: "OR"
        case .not: "NOT"
        case .and: "AND"
        default: "?"
        }
    }
}
