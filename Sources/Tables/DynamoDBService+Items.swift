import Foundation
import ServiceKit
import StatesLanguage

/// PutItem, GetItem, UpdateItem and DeleteItem. A change reads the item, checks its
/// condition, writes it and appends its stream record in one savepoint on the writer, so no
/// other write comes between the check and the change.
extension DynamoDBService {
    static let maximumItemBytes = 400 * 1024

    /// One change, as a transaction step: what was there, what is there now.
    struct Change: Sendable {
        var schema: TableSchema
        var pk: [UInt8]
        var sk: [UInt8]
        var old: Item?
        var new: Item?
    }

    static func conditionFailed(_ old: Item?, returning: String?) -> ServiceError {
        var details: JSONObject?
        if returning == "ALL_OLD", let old { details = ["Item": old.json] }
        return ServiceError("ConditionalCheckFailedException", "The conditional request failed", details: details)
    }

    static func checkSize(_ item: Item) throws(ServiceError) {
        if item.itemSize > maximumItemBytes {
            throw ServiceError.validation("Item size has exceeded the maximum allowed size")
        }
    }

    /// Writes a change and its stream record (none when nothing changed, as AWS documents).
    func commit(_ change: Change, _ w: ItemWriter, now: Timestamp, ttlDelete: Bool = false) throws(ServiceError) {
        let s = change.schema
        if change.old == nil && change.new == nil { return }
        try w.replace(s, pk: change.pk, sk: change.sk, old: change.old, new: change.new, expires: change.new.flatMap { expiry(s, $0) })
        guard change.old != change.new else { return }
        // In the change's savepoint: a record that cannot be stored undoes the change.
        if let stream = s.streamArn {
            try w.appendRecord(stream: stream, now: now.milliseconds,
                               record: streamRecord(s, old: change.old, new: change.new, now: now, ttlDelete: ttlDelete))
        }
        if !s.kinesisDestinations.isEmpty { try streamToKinesis(change, w, now: now, ttlDelete: ttlDelete) }
    }

    /// The TTL attribute's epoch seconds, when the table has TTL on and the item a number there.
    func expiry(_ s: TableSchema, _ item: Item) -> Int64? {
        guard let attr = s.ttlAttribute, case .n(let n)? = item[attr], !n.negative else { return nil }
        return Int64(n.description.prefix { $0 != "." }) ?? nil
    }

    func streamRecord(_ s: TableSchema, old: Item?, new: Item?, now: Timestamp, ttlDelete: Bool) -> [UInt8] {
        let view = s.streamViewType ?? "NEW_AND_OLD_IMAGES"
        let keys = s.key(of: (new ?? old) ?? [:])
        var d = JSONObject()
        d.appendUnchecked("ApproximateCreationDateTime", .int(now.milliseconds / 1000))
        d.appendUnchecked("Keys", keys.json)
        var size = keys.itemSize
        if let new, view == "NEW_IMAGE" || view == "NEW_AND_OLD_IMAGES" {
            d.appendUnchecked("NewImage", new.json)
            size += new.itemSize
        }
        if let old, view == "OLD_IMAGE" || view == "NEW_AND_OLD_IMAGES" {
            d.appendUnchecked("OldImage", old.json)
            size += old.itemSize
        }
        d.appendUnchecked("SizeBytes", .int(Int64(size)))
        d.appendUnchecked("StreamViewType", .string(view))
        var r = JSONObject()
        r.appendUnchecked("eventID", .string(UUIDText.randomHex() + UUIDText.randomHex()))
        r.appendUnchecked("eventName", .string(old == nil ? "INSERT" : (new == nil ? "REMOVE" : "MODIFY")))
        r.appendUnchecked("eventVersion", "1.1")
        r.appendUnchecked("eventSource", "aws:dynamodb")
        r.appendUnchecked("awsRegion", .string(region))
        r.appendUnchecked("dynamodb", .object(d))
        if ttlDelete {
            // AWS marks deletes made by TTL as the service's own.
            r.appendUnchecked("userIdentity", ["type": "Service", "principalId": "dynamodb.amazonaws.com"])
        }
        return JSON.object(r).serializedBytes
    }

    /// The condition of a write: ConditionExpression, or the legacy Expected.
    func condition(_ r: JSONRequest, _ p: Placeholders) throws(ServiceError) -> Condition? {
        try Self.refuseMixed(r, legacy: ["Expected", "ConditionalOperator"], expression: ["ConditionExpression"])
        if let text = try r.string("ConditionExpression") { return try ExpressionParser.condition(text, p) }
        if let expected = r.body["Expected"]?.objectValue {
            return try LegacyConditions.expected(expected, operator: try r.string("ConditionalOperator"))
        }
        return nil
    }

    static func refuseMixed(_ r: JSONRequest, legacy: [String], expression: [String]) throws(ServiceError) {
        let l = legacy.filter { r.body[$0] != nil && r.body[$0]?.isNull == false }
        let e = expression.filter { r.body[$0] != nil && r.body[$0]?.isNull == false }
        if !l.isEmpty && !e.isEmpty {
            throw ServiceError.validation("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {\(l.joined(separator: ", "))} Expression parameters: {\(e.joined(separator: ", "))}")
        }
    }

    static func placeholders(_ r: JSONRequest) throws(ServiceError) -> Placeholders {
        try Placeholders(names: r.body["ExpressionAttributeNames"], values: r.body["ExpressionAttributeValues"])
    }

    static func capacity(_ table: String, units: Double, r: JSONRequest) -> JSON? {
        guard let mode = r.body["ReturnConsumedCapacity"]?.stringValue, mode != "NONE" else { return nil }
        return ["TableName": .string(table), "CapacityUnits": .double(units)]
    }

    static func writeUnits(_ items: Item?...) -> Double {
        Double(max(1, items.compactMap { $0?.itemSize }.max().map { ($0 + 1023) / 1024 } ?? 1))
    }

    // MARK: planned writes (one per PutItem, UpdateItem, DeleteItem, or transaction item)

    /// A write checked and parsed before it runs: which item, under which condition, to what.
    struct WritePlan: Sendable {
        enum Action: Sendable {
            case put(Item)
            case delete
            case update(UpdateActions, key: Item)
            case check
        }

        var schema: TableSchema
        var pk: [UInt8]
        var sk: [UInt8]
        var condition: Condition?
        var onFailure: String?
        var action: Action
    }

    func planPut(_ r: JSONRequest) throws(ServiceError) -> WritePlan {
        // The request's shape is checked before the table is looked up, as AWS does.
        let item = try Item(json: r.body["Item"], field: "Item")
        let schema = try catalog.schema(try r.required("TableName"))
        let (pk, sk) = try schema.storedKey(item)
        try schema.checkIndexKeys(item)
        try Self.checkSize(item)
        let p = try Self.placeholders(r)
        let condition = try condition(r, p)
        try p.checkAllUsed()
        return WritePlan(schema: schema, pk: pk, sk: sk, condition: condition, onFailure: try r.string("ReturnValuesOnConditionCheckFailure"),
                         action: .put(item))
    }

    func planDelete(_ r: JSONRequest, check: Bool = false) throws(ServiceError) -> WritePlan {
        let key = try Item(json: r.body["Key"], field: "Key")
        let schema = try catalog.schema(try r.required("TableName"))
        let (pk, sk) = try schema.storedKey(key, isKey: true)
        let p = try Self.placeholders(r)
        let condition = try condition(r, p)
        if check, condition == nil {
            throw ServiceError.validation("1 validation error detected: Value null at 'transactItems.1.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null")
        }
        try p.checkAllUsed()
        return WritePlan(schema: schema, pk: pk, sk: sk, condition: condition, onFailure: try r.string("ReturnValuesOnConditionCheckFailure"),
                         action: check ? .check : .delete)
    }

    func planUpdate(_ r: JSONRequest) throws(ServiceError) -> WritePlan {
        let key = try Item(json: r.body["Key"], field: "Key")
        let schema = try catalog.schema(try r.required("TableName"))
        let (pk, sk) = try schema.storedKey(key, isKey: true)
        try Self.refuseMixed(r, legacy: ["AttributeUpdates", "Expected"], expression: ["UpdateExpression", "ConditionExpression"])
        let p = try Self.placeholders(r)
        let actions: UpdateActions
        if let text = try r.string("UpdateExpression") {
            actions = try ExpressionParser.update(text, p)
        } else {
            actions = try LegacyConditions.attributeUpdates(r.body["AttributeUpdates"]?.objectValue ?? [:])
        }
        for path in actions.paths where schema.keyNames.contains(path.first) {
            throw ServiceError.validation("One or more parameter values were invalid: Cannot update attribute \(path.first). This attribute is part of the key")
        }
        let condition = try condition(r, p)
        try p.checkAllUsed()
        return WritePlan(schema: schema, pk: pk, sk: sk, condition: condition, onFailure: try r.string("ReturnValuesOnConditionCheckFailure"),
                         action: .update(actions, key: key))
    }

    /// The item a plan leaves (nil: none), from the item that was there.
    func outcome(_ plan: WritePlan, old: Item?) throws(ServiceError) -> Item? {
        switch plan.action {
        case .put(let item): return item
        case .delete: return nil
        case .check: return old
        case .update(let actions, let key):
            let new = try ExpressionEvaluator.apply(actions, to: old ?? key)
            try plan.schema.checkIndexKeys(new)
            try Self.checkSize(new)
            return new
        }
    }

    /// Runs one plan on the writer: reads, checks the condition, writes, records.
    func perform(_ plan: WritePlan, _ w: ItemWriter, now: Timestamp) throws(ServiceError) -> (old: Item?, new: Item?) {
        let old = try w.reader.item(plan.schema.id, plan.pk, plan.sk)
        if let condition = plan.condition, try !ExpressionEvaluator.holds(condition, on: old ?? [:]) {
            throw Self.conditionFailed(old, returning: plan.onFailure)
        }
        let new = try outcome(plan, old: old)
        if case .check = plan.action { return (old, old) }
        try commit(Change(schema: plan.schema, pk: plan.pk, sk: plan.sk, old: old, new: new), w, now: now)
        return (old, new)
    }

    func run(_ plan: WritePlan) async throws(ServiceError) -> (old: Item?, new: Item?) {
        let now = self.now
        let result = try await store.write { (w) throws(ServiceError) in try perform(plan, w, now: now) }
        if plan.schema.streamArn != nil { streamBell.ring() }
        return result
    }

    static func returnValues(_ r: JSONRequest, allowed: Set<String>) throws(ServiceError) -> String {
        let v = try r.string("ReturnValues") ?? "NONE"
        guard allowed.contains(v) else { throw ServiceError.validation("ReturnValues can only be ALL_OLD or NONE") }
        return v
    }

    // MARK: actions

    func putItem(_ r: JSONRequest) async throws -> JSON {
        let returnValues = try Self.returnValues(r, allowed: ["NONE", "ALL_OLD"])
        let plan = try planPut(r)
        let (old, new) = try await run(plan)
        var out = JSONObject()
        if returnValues == "ALL_OLD", let old { out["Attributes"] = old.json }
        if let c = Self.capacity(plan.schema.name, units: Self.writeUnits(new, old), r: r) { out["ConsumedCapacity"] = c }
        return .object(out)
    }

    func deleteItem(_ r: JSONRequest) async throws -> JSON {
        let returnValues = try Self.returnValues(r, allowed: ["NONE", "ALL_OLD"])
        let plan = try planDelete(r)
        let (old, _) = try await run(plan)
        var out = JSONObject()
        if returnValues == "ALL_OLD", let old { out["Attributes"] = old.json }
        if let c = Self.capacity(plan.schema.name, units: Self.writeUnits(old), r: r) { out["ConsumedCapacity"] = c }
        return .object(out)
    }

    func updateItem(_ r: JSONRequest) async throws -> JSON {
        let returnValues = try r.string("ReturnValues") ?? "NONE"
        guard ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"].contains(returnValues) else {
            throw ServiceError.validation("1 validation error detected: Value '\(returnValues)' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]")
        }
        let plan = try planUpdate(r)
        let (old, new) = try await run(plan)
        var paths: [DocumentPath] = []
        if case .update(let actions, _) = plan.action { paths = actions.paths }
        var out = JSONObject()
        switch returnValues {
        case "ALL_OLD": if let old { out["Attributes"] = old.json }
        case "ALL_NEW": if let new { out["Attributes"] = new.json }
        case "UPDATED_OLD":
            let projected = ExpressionEvaluator.project(old ?? [:], paths)
            if !projected.isEmpty { out["Attributes"] = projected.json }
        case "UPDATED_NEW":
            let projected = ExpressionEvaluator.project(new ?? [:], paths)
            if !projected.isEmpty { out["Attributes"] = projected.json }
        default: break
        }
        if let c = Self.capacity(plan.schema.name, units: Self.writeUnits(old, new), r: r) { out["ConsumedCapacity"] = c }
        return .object(out)
    }

    func getItem(_ r: JSONRequest) async throws -> [UInt8] {
        let key = try Item(json: r.body["Key"], field: "Key")
        let schema = try catalog.schema(try r.required("TableName"))
        let (pk, sk) = try schema.storedKey(key, isKey: true)
        try Self.refuseMixed(r, legacy: ["AttributesToGet"], expression: ["ProjectionExpression"])
        let p = try Self.placeholders(r)
        let projection = try projection(r, p)
        try p.checkAllUsed()
        let raw = try await store.read { (reader) throws(ServiceError) in try reader.raw(schema.id, pk, sk) }
        let consistent = try r.bool("ConsistentRead") ?? false
        let capacity = Self.capacity(schema.name, units: consistent ? 1 : 0.5, r: r)
        if projection == nil, capacity == nil {
            // The stored text is the item's wire form: spliced in, not parsed and written again.
            guard let raw else { return Array("{}".utf8) }
            return Array(#"{"Item":"#.utf8) + raw + [UInt8(ascii: "}")]
        }
        var out = JSONObject()
        if let raw {
            let item = try ItemReader.decode(raw)
            out["Item"] = (projection.map { ExpressionEvaluator.project(item, $0) } ?? item).json
        }
        if let capacity { out["ConsumedCapacity"] = capacity }
        return JSON.object(out).serializedBytes
    }

    func projection(_ r: JSONRequest, _ p: Placeholders) throws(ServiceError) -> [DocumentPath]? {
        if let text = try r.string("ProjectionExpression") { return try ExpressionParser.projection(text, p) }
        if let names = r.body["AttributesToGet"]?.arrayValue {
            return names.compactMap(\.stringValue).map { DocumentPath(elements: [.name($0)]) }
        }
        return nil
    }
}
