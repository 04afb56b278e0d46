import ServiceKit
import StatesLanguage

/// BatchGetItem (100 keys), BatchWriteItem (25 requests), TransactGetItems and
/// TransactWriteItems (100 actions, all or nothing, idempotent by ClientRequestToken).
extension DynamoDBService {
    static let batchGetBytes = 16 * 1024 * 1024

    func batchGetItem(_ r: JSONRequest) async throws -> JSON {
        guard case .object(let tables)? = r.body["RequestItems"], !tables.isEmpty else {
            throw ServiceError.validation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null")
        }
        let total = tables.reduce(0) { $0 + ($1.value["Keys"]?.arrayValue?.count ?? 0) }
        guard total <= 100 else { throw ServiceError.validation("Too many items requested for the BatchGetItem call") }
        var responses = JSONObject()
        var unprocessed = JSONObject()
        // AWS answers at most 16 MB: the keys past that come back as UnprocessedKeys.
        var budget = Self.batchGetBytes
        for (table, spec) in tables {
            guard case .object(let body) = spec else { continue }
            let request = JSONRequest(body: body.merging(["TableName": .string(table)]))
            let schema = try catalog.schema(table)
            try Self.refuseMixed(request, legacy: ["AttributesToGet"], expression: ["ProjectionExpression"])
            let p = try Self.placeholders(request)
            let projection = try projection(request, p)
            try p.checkAllUsed()
            var keys: [([UInt8], [UInt8])] = []
            let given = body["Keys"]?.arrayValue ?? []
            for k in given {
                let key = try Item(json: k, field: "Keys")
                let stored = try schema.storedKey(key, isKey: true)
                guard !keys.contains(where: { $0 == stored }) else {
                    throw ServiceError.validation("Provided list of item keys contains duplicates")
                }
                keys.append(stored)
            }
            let room = budget
            let wanted = keys
            let (found, read, used) = try await store.read { (reader) throws(ServiceError) -> ([JSON], Int, Int) in
                var out: [JSON] = []
                var used = 0
                for (i, (pk, sk)) in wanted.enumerated() {
                    guard used < room else { return (out, i, used) }
                    if let item = try reader.item(schema.id, pk, sk) {
                        used += item.itemSize
                        out.append((projection.map { ExpressionEvaluator.project(item, $0) } ?? item).json)
                    }
                }
                return (out, wanted.count, used)
            }
            budget -= used
            responses[table] = .array(found)
            if read < given.count {
                var rest = body
                rest["Keys"] = .array(Array(given[read...]))
                unprocessed[table] = .object(rest)
            }
        }
        return ["Responses": .object(responses), "UnprocessedKeys": .object(unprocessed)]
    }

    func batchWriteItem(_ r: JSONRequest) async throws -> JSON {
        guard case .object(let tables)? = r.body["RequestItems"], !tables.isEmpty else {
            throw ServiceError.validation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null")
        }
        let total = tables.reduce(0) { $0 + ($1.value.arrayValue?.count ?? 0) }
        guard total <= 25, total >= 1 else {
            throw ServiceError.validation("1 validation error detected: Value '{\(tables.map { "\($0.key)=\($0.value.serialized)" }.joined(separator: ", "))}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
        }
        var plans: [WritePlan] = []
        var seen: [(Int64, [UInt8], [UInt8])] = []
        // Every table first: a missing one fails the whole call, as on AWS.
        for table in tables.keys { _ = try catalog.schema(table) }
        for (table, requests) in tables {
            for request in requests.arrayValue ?? [] {
                var plan: WritePlan
                do throws(ServiceError) {
                    if let put = request["PutRequest"]?.objectValue {
                        plan = try planPut(JSONRequest(body: put.merging(["TableName": .string(table)])))
                    } else if let delete = request["DeleteRequest"]?.objectValue {
                        plan = try planDelete(JSONRequest(body: delete.merging(["TableName": .string(table)])))
                    } else {
                        throw ServiceError.validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
                    }
                } catch {
                    // BatchWriteItem words a put that misses the key schema as a key mismatch.
                    if error.message.hasPrefix("One or more parameter values were invalid: Missing the key")
                        || error.message.hasPrefix("One or more parameter values were invalid: Type mismatch for key") {
                        throw ServiceError.validation("The provided key element does not match the schema")
                    }
                    throw error
                }
                guard !seen.contains(where: { $0 == (plan.schema.id, plan.pk, plan.sk) }) else {
                    throw ServiceError.validation("Provided list of item keys contains duplicates")
                }
                seen.append((plan.schema.id, plan.pk, plan.sk))
                plans.append(plan)
            }
        }
        let now = self.now
        let ready = plans
        try await store.write { (w) throws(ServiceError) in
            for plan in ready { _ = try perform(plan, w, now: now) }
        }
        if plans.contains(where: { $0.schema.streamArn != nil }) { streamBell.ring() }
        var out: JSONObject = ["UnprocessedItems": .object([:])]
        if r.body["ReturnConsumedCapacity"]?.stringValue.map({ $0 != "NONE" }) == true {
            var units: [String: Double] = [:]
            for p in plans { units[p.schema.name, default: 0] += 1 }
            out["ConsumedCapacity"] = .array(units.sorted { $0.key < $1.key }.map { ["TableName": .string($0.key), "CapacityUnits": .double($0.value)] })
        }
        return .object(out)
    }

    // MARK: transactions

    func transactGetItems(_ r: JSONRequest) async throws -> JSON {
        let items = r.body["TransactItems"]?.arrayValue ?? []
        guard items.count <= 100 else {
            throw ServiceError.validation("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100")
        }
        var gets: [(TableSchema, [UInt8], [UInt8], [DocumentPath]?)] = []
        for t in items {
            guard case .object(let body)? = t["Get"] else { continue }
            let request = JSONRequest(body: body)
            let schema = try catalog.schema(try request.required("TableName"))
            let key = try Item(json: body["Key"], field: "Key")
            let (pk, sk) = try schema.storedKey(key, isKey: true)
            let p = try Self.placeholders(request)
            let projection = try projection(request, p)
            try p.checkAllUsed()
            gets.append((schema, pk, sk, projection))
        }
        let ready = gets
        let responses = try await store.read { (reader) throws(ServiceError) -> [JSON] in
            var out: [JSON] = []
            for (schema, pk, sk, projection) in ready {
                if let item = try reader.item(schema.id, pk, sk) {
                    out.append(["Item": (projection.map { ExpressionEvaluator.project(item, $0) } ?? item).json])
                } else {
                    out.append(.object([:]))
                }
            }
            return out
        }
        return ["Responses": .array(responses)]
    }

    func transactWriteItems(_ r: JSONRequest) async throws -> JSON {
        let items = r.body["TransactItems"]?.arrayValue ?? []
        guard !items.isEmpty, items.count <= 100 else {
            throw ServiceError.validation("1 validation error detected: Value '\(items.count)' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100")
        }
        guard JSON.object(r.body).serializedByteCount <= 4 * 1024 * 1024 else {
            throw ServiceError.validation("Transaction request size exceeded the maximum allowed size of 4 MB")
        }
        let now = self.now
        let token = try r.string("ClientRequestToken")
        var hashed = r.body
        hashed["ReturnConsumedCapacity"] = nil
        // Members in any order are the same request.
        let requestHash = Self.canonical(.object(hashed)).hashValue
        if let token {
            let remembered = transactionTokens.mutate { tokens -> (hash: Int, expires: Int64, answer: JSON)? in
                tokens = tokens.filter { $0.value.expires > now.milliseconds }
                return tokens[token]
            }
            if let remembered {
                guard remembered.hash == requestHash else {
                    throw ServiceError("IdempotentParameterMismatchException",
                                       "Request with the same client token was already processed with different parameters")
                }
                return remembered.answer
            }
        }
        var plans: [WritePlan] = []
        for t in items {
            guard case .object(let o) = t, o.count == 1, let (kind, spec) = o.first(where: { _ in true }), case .object(let body) = spec else {
                throw ServiceError.validation("TransactItems can only contain one of Check, Put, Update or Delete")
            }
            let request = JSONRequest(body: body)
            switch kind {
            case "Put": plans.append(try planPut(request))
            case "Delete": plans.append(try planDelete(request))
            case "Update": plans.append(try planUpdate(request))
            case "ConditionCheck": plans.append(try planDelete(request, check: true))
            default: throw ServiceError.validation("TransactItems can only contain one of Check, Put, Update or Delete")
            }
        }
        for (i, a) in plans.enumerated() {
            for b in plans[(i + 1)...] where a.schema.id == b.schema.id && a.pk == b.pk && a.sk == b.sk {
                throw ServiceError.validation("Transaction request cannot include multiple operations on one item")
            }
        }
        let ready = plans
        try await store.write { (w) throws(ServiceError) in
            // Every condition first, against the items as they are; then every change.
            var reasons: [JSON] = []
            var olds: [Item?] = []
            var failed = false
            for plan in ready {
                let old = try w.reader.item(plan.schema.id, plan.pk, plan.sk)
                olds.append(old)
                if let c = plan.condition, try !ExpressionEvaluator.holds(c, on: old ?? [:]) {
                    failed = true
                    var reason: JSONObject = ["Code": "ConditionalCheckFailed", "Message": "The conditional request failed"]
                    if plan.onFailure == "ALL_OLD", let old { reason["Item"] = old.json }
                    reasons.append(.object(reason))
                } else {
                    reasons.append(["Code": "None"])
                }
            }
            if failed {
                let codes = reasons.map { $0["Code"]?.stringValue ?? "None" }.joined(separator: ", ")
                throw ServiceError("TransactionCanceledException", "Transaction cancelled, please refer cancellation reasons for specific reasons [\(codes)]",
                                   details: ["CancellationReasons": .array(reasons)])
            }
            for (plan, old) in zip(ready, olds) {
                if case .check = plan.action { continue }
                let new = try outcome(plan, old: old)
                try commit(Change(schema: plan.schema, pk: plan.pk, sk: plan.sk, old: old, new: new), w, now: now)
            }
        }
        if plans.contains(where: { $0.schema.streamArn != nil }) { streamBell.ring() }
        let answer: JSON = .object([:])
        if let token {
            // AWS: a token is good for 10 minutes.
            transactionTokens.mutate { $0[token] = (requestHash, now.milliseconds + 600_000, answer) }
        }
        return answer
    }
}

extension DynamoDBService {
    /// JSON text with every object's members sorted.
    static func canonical(_ v: JSON) -> String {
        switch v {
        case .object(let o):
            return "{" + o.sorted { $0.key < $1.key }.map { JSON.string($0.key).serialized + ":" + canonical($0.value) }.joined(separator: ",") + "}"
        case .array(let a):
            return "[" + a.map(canonical).joined(separator: ",") + "]"
        default:
            return v.serialized
        }
    }
}

extension JSONObject {
    func merging(_ other: JSONObject) -> JSONObject {
        var out = self
        for (k, v) in other { out[k] = v }
        return out
    }
}
