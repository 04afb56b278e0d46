import Foundation
import ServiceKit
import StatesLanguage

/// CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable, TTL, tags and backups.
/// A table is ACTIVE as soon as it is stored; CreateTable answers CREATING as AWS does, so
/// waiters and scripts that poll for ACTIVE behave as on AWS.
extension DynamoDBService {
    static let namePattern = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")

    static func checkName(_ name: String, field: String = "tableName") throws(ServiceError) {
        guard name.count >= 3 else {
            throw ServiceError.validation("1 validation error detected: Value '\(name)' at '\(field)' failed to satisfy constraint: Member must have length greater than or equal to 3")
        }
        guard name.count <= 255, name.allSatisfy({ namePattern.contains($0) }) else {
            throw ServiceError.validation("1 validation error detected: Value '\(name)' at '\(field)' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
        }
    }

    func createTable(_ r: JSONRequest) async throws -> JSON {
        let name = try r.required("TableName")
        try Self.checkName(name)
        let definitions = r.body["AttributeDefinitions"]?.arrayValue ?? []
        var types: [String: String] = [:]
        for d in definitions {
            guard let n = d["AttributeName"]?.stringValue, let t = d["AttributeType"]?.stringValue else { continue }
            types[n] = t
        }
        let keySchema = r.body["KeySchema"]?.arrayValue ?? []
        try Self.checkKeySchema(keySchema, types: types, what: "Table")
        var used = Set(keySchema.compactMap { $0["AttributeName"]?.stringValue })
        let billing = try r.string("BillingMode") ?? "PROVISIONED"
        let throughput = r.body["ProvisionedThroughput"]
        try Self.checkThroughput(billing: billing, throughput, what: "")
        let now = self.now
        let arn = tableArn(name)
        var description = JSONObject()
        description.appendUnchecked("AttributeDefinitions", .array(definitions))
        description.appendUnchecked("TableName", .string(name))
        description.appendUnchecked("KeySchema", .array(keySchema))
        description.appendUnchecked("TableStatus", "ACTIVE")
        description.appendUnchecked("CreationDateTime", .double(Double(now.milliseconds) / 1000))
        description.appendUnchecked("ProvisionedThroughput", Self.throughputDescription(throughput))
        description.appendUnchecked("TableSizeBytes", 0)
        description.appendUnchecked("ItemCount", 0)
        description.appendUnchecked("TableArn", .string(arn))
        description.appendUnchecked("TableId", .string(UUIDText.random().lowercased()))
        if billing == "PAY_PER_REQUEST" {
            description["BillingModeSummary"] = ["BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": .double(Double(now.milliseconds) / 1000)]
        }
        if let lsis = r.body["LocalSecondaryIndexes"]?.arrayValue, !lsis.isEmpty {
            var out: [JSON] = []
            for i in lsis {
                let ks = i["KeySchema"]?.arrayValue ?? []
                try Self.checkKeySchema(ks, types: types, what: "Index")
                guard ks.first?["AttributeName"] == keySchema.first?["AttributeName"], ks.count == 2 else {
                    throw ServiceError.validation("One or more parameter values were invalid: Table KeySchema: The AttributeValue for a key attribute cannot contain an empty string value. Local secondary indexes must have the same hash key as the table")
                }
                ks.compactMap { $0["AttributeName"]?.stringValue }.forEach { used.insert($0) }
                let indexName = i["IndexName"]?.stringValue ?? ""
                out.append(["IndexName": .string(indexName), "KeySchema": .array(ks), "Projection": i["Projection"] ?? ["ProjectionType": "ALL"],
                            "IndexSizeBytes": 0, "ItemCount": 0, "IndexArn": .string("\(arn)/index/\(indexName)")])
            }
            description["LocalSecondaryIndexes"] = .array(out)
        }
        if let gsis = r.body["GlobalSecondaryIndexes"]?.arrayValue, !gsis.isEmpty {
            var out: [JSON] = []
            for i in gsis {
                let ks = i["KeySchema"]?.arrayValue ?? []
                try Self.checkKeySchema(ks, types: types, what: "Index")
                try Self.checkThroughput(billing: billing, i["ProvisionedThroughput"], what: "")
                ks.compactMap { $0["AttributeName"]?.stringValue }.forEach { used.insert($0) }
                out.append(Self.globalIndex(i, tableArn: arn))
            }
            let names = out.compactMap { $0["IndexName"]?.stringValue }
            if Set(names).count != names.count {
                throw ServiceError.validation("One or more parameter values were invalid: Duplicate index name: \(names.first { n in names.filter { $0 == n }.count > 1 } ?? "")")
            }
            description["GlobalSecondaryIndexes"] = .array(out)
        }
        if used.count != types.count || !used.isSubset(of: Set(types.keys)) {
            throw ServiceError.validation("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
        }
        if let stream = r.body["StreamSpecification"], stream["StreamEnabled"]?.boolValue == true {
            guard let view = stream["StreamViewType"]?.stringValue else {
                throw ServiceError.validation("One or more parameter values were invalid: StreamViewType is required when StreamEnabled is true")
            }
            description["StreamSpecification"] = ["StreamEnabled": true, "StreamViewType": .string(view)]
            let label = Self.streamLabel(now)
            description["LatestStreamLabel"] = .string(label)
            description["LatestStreamArn"] = .string("\(arn)/stream/\(label)")
        }
        if let sse = r.body["SSESpecification"], sse["Enabled"]?.boolValue == true {
            description["SSEDescription"] = ["Status": "ENABLED", "SSEType": "KMS",
                                             "KMSMasterKeyArn": .string("arn:aws:kms:\(region):\(account):key/\(UUIDText.random().lowercased())")]
        }
        if let tableClass = r.body["TableClass"]?.stringValue {
            description["TableClassSummary"] = ["TableClass": .string(tableClass)]
        }
        description["DeletionProtectionEnabled"] = .bool(try r.bool("DeletionProtectionEnabled") ?? false)
        var record: JSONObject = ["id": .int(catalog.newId()), "description": .object(description)]
        if let tags = r.body["Tags"] { record["tags"] = tags }
        let stored = record
        try await catalog.update(name) { (v: inout JSONObject?) throws(ServiceError) in
            guard v == nil else { throw ServiceError("ResourceInUseException", "Table already exists: \(name)", kind: .conflict) }
            v = stored
        }
        var answer = description
        answer["TableStatus"] = "CREATING"
        // AWS stamps the switch to on-demand once the table exists: CreateTable's answer has no date.
        if answer["BillingModeSummary"] != nil { answer["BillingModeSummary"] = ["BillingMode": "PAY_PER_REQUEST"] }
        if case .array(var gsis)? = answer["GlobalSecondaryIndexes"] {
            for k in gsis.indices { if case .object(var o) = gsis[k] { o["IndexStatus"] = "CREATING"; gsis[k] = .object(o) } }
            answer["GlobalSecondaryIndexes"] = .array(gsis)
        }
        return ["TableDescription": .object(answer)]
    }

    static func streamLabel(_ t: Timestamp) -> String {
        let iso = t.iso8601
        // AWS's label: the creation time to the millisecond, e.g. 2026-12-01T10:00:00.000.
        return String(iso.prefix(23)).count == 23 ? String(iso.prefix(23)) : String(iso.dropLast())
    }

    static func globalIndex(_ i: JSON, tableArn: String) -> JSON {
        let name = i["IndexName"]?.stringValue ?? ""
        return ["IndexName": .string(name), "KeySchema": i["KeySchema"] ?? [], "Projection": i["Projection"] ?? ["ProjectionType": "ALL"],
                "IndexStatus": "ACTIVE", "ProvisionedThroughput": throughputDescription(i["ProvisionedThroughput"]),
                "IndexSizeBytes": 0, "ItemCount": 0, "IndexArn": .string("\(tableArn)/index/\(name)")]
    }

    static func throughputDescription(_ t: JSON?) -> JSON {
        ["NumberOfDecreasesToday": 0, "ReadCapacityUnits": t?["ReadCapacityUnits"] ?? 0, "WriteCapacityUnits": t?["WriteCapacityUnits"] ?? 0]
    }

    static func checkThroughput(billing: String, _ t: JSON?, what: String) throws(ServiceError) {
        if billing == "PROVISIONED" {
            guard let t, t["ReadCapacityUnits"] != nil, t["WriteCapacityUnits"] != nil else {
                throw ServiceError.validation("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
            }
        } else if t != nil, t?.isNull == false {
            throw ServiceError.validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
        }
    }

    static func checkKeySchema(_ ks: [JSON], types: [String: String], what: String) throws(ServiceError) {
        guard !ks.isEmpty, ks.count <= 2 else {
            throw ServiceError.validation("1 validation error detected: Value null at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2")
        }
        guard ks.first?["KeyType"]?.stringValue == "HASH" else {
            throw ServiceError.validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
        }
        if ks.count == 2, ks[1]["KeyType"]?.stringValue != "RANGE" {
            throw ServiceError.validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
        }
        if ks.count == 2, ks[0]["AttributeName"] == ks[1]["AttributeName"] {
            throw ServiceError.validation("Invalid KeySchema: Some index key attribute have no definition")
        }
        let names = ks.compactMap { $0["AttributeName"]?.stringValue }
        let missing = names.filter { types[$0] == nil }
        if !missing.isEmpty {
            throw ServiceError.validation("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [\(missing.joined(separator: ", "))], AttributeDefinitions: [\(types.keys.sorted().joined(separator: ", "))]")
        }
    }

    /// The description with today's counts (AWS refreshes them every six hours; here they are live).
    func liveDescription(_ name: String) async throws(ServiceError) -> JSONObject {
        let record = try await catalog.record(name)
        var d = record["description"]?.objectValue ?? [:]
        let schema = TableCatalog.schema(record)
        let counts = try await store.read { (r) throws(ServiceError) in try r.itemCount(schema.id) }
        d["ItemCount"] = .int(counts.count)
        d["TableSizeBytes"] = .int(counts.bytes)
        return d
    }

    /// AWS's warm throughput: an on-demand table's default, or its provisioned units.
    static func warmThroughput(_ d: JSONObject, onDemand: Bool) -> JSON {
        let t = d["ProvisionedThroughput"]
        return ["ReadUnitsPerSecond": onDemand ? 12000 : (t?["ReadCapacityUnits"] ?? 0), "Status": "ACTIVE",
                "WriteUnitsPerSecond": onDemand ? 4000 : (t?["WriteCapacityUnits"] ?? 0)]
    }

    func describeTable(_ r: JSONRequest) async throws -> JSON {
        var d = try await liveDescription(try r.required("TableName"))
        let onDemand = d["BillingModeSummary"]?["BillingMode"]?.stringValue == "PAY_PER_REQUEST"
        d["WarmThroughput"] = Self.warmThroughput(d, onDemand: onDemand)
        if case .array(var gsis)? = d["GlobalSecondaryIndexes"] {
            for k in gsis.indices {
                if case .object(var o) = gsis[k] { o["WarmThroughput"] = Self.warmThroughput(o, onDemand: onDemand); gsis[k] = .object(o) }
            }
            d["GlobalSecondaryIndexes"] = .array(gsis)
        }
        return ["Table": .object(d)]
    }

    func listTables(_ r: JSONRequest) async throws -> JSON {
        let limit = try r.int("Limit") ?? 100
        let start = try r.string("ExclusiveStartTableName")
        let names = catalog.names.filter { name in start.map { name > $0 } ?? true }
        let page = Array(names.prefix(limit))
        var out: JSONObject = ["TableNames": .array(page.map { .string($0) })]
        if names.count > page.count, let last = page.last { out["LastEvaluatedTableName"] = .string(last) }
        return .object(out)
    }

    func deleteTable(_ r: JSONRequest) async throws -> JSON {
        let name = TableCatalog.name(try r.required("TableName"))
        var d = try await liveDescription(name)
        if d["DeletionProtectionEnabled"]?.boolValue == true {
            throw ServiceError.validation("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
        }
        let schema = try catalog.schema(name)
        try await catalog.update(name) { (v: inout JSONObject?) throws(ServiceError) in v = nil }
        _ = try await store.write { (w) throws(ServiceError) in try w.dropTable(schema.id) }
        d["TableStatus"] = "DELETING"
        // DeleteTable's answer leaves out the schema and the creation date.
        for k in ["AttributeDefinitions", "KeySchema", "CreationDateTime", "BillingModeSummary", "LocalSecondaryIndexes"] { d[k] = nil }
        return ["TableDescription": .object(d)]
    }

    func updateTable(_ r: JSONRequest) async throws -> JSON {
        let name = TableCatalog.name(try r.required("TableName"))
        let now = self.now
        let arn = tableArn(name)
        var backfill: [String] = []
        var dropped: [String] = []
        let result = try await catalog.update(name) { (v: inout JSONObject?) throws(ServiceError) -> JSONObject in
            guard var record = v, var d = record["description"]?.objectValue else { throw TableCatalog.notFound(name) }
            var types: [String: String] = [:]
            for a in (d["AttributeDefinitions"]?.arrayValue ?? []) + (r.body["AttributeDefinitions"]?.arrayValue ?? []) {
                if let n = a["AttributeName"]?.stringValue { types[n] = a["AttributeType"]?.stringValue }
            }
            var changed = false
            if let billing = r.body["BillingMode"]?.stringValue {
                if billing == "PAY_PER_REQUEST" {
                    d["BillingModeSummary"] = ["BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": .double(Double(now.milliseconds) / 1000)]
                    d["ProvisionedThroughput"] = Self.throughputDescription(nil)
                } else {
                    d["BillingModeSummary"] = ["BillingMode": "PROVISIONED"]
                }
                changed = true
            }
            if let t = r.body["ProvisionedThroughput"] {
                d["ProvisionedThroughput"] = Self.throughputDescription(t)
                changed = true
            }
            if let p = r.body["DeletionProtectionEnabled"]?.boolValue {
                d["DeletionProtectionEnabled"] = .bool(p)
                changed = true
            }
            if let sse = r.body["SSESpecification"] {
                if sse["Enabled"]?.boolValue == true {
                    d["SSEDescription"] = ["Status": "ENABLED", "SSEType": "KMS",
                                           "KMSMasterKeyArn": .string("arn:aws:kms:\(region):\(account):key/\(UUIDText.random().lowercased())")]
                } else {
                    d["SSEDescription"] = nil
                }
                changed = true
            }
            if let stream = r.body["StreamSpecification"] {
                let enabled = stream["StreamEnabled"]?.boolValue == true
                let current = d["StreamSpecification"]?["StreamEnabled"]?.boolValue == true
                if enabled && current {
                    throw ServiceError.validation("Table already has an enabled stream: \(d["LatestStreamArn"]?.stringValue ?? "")")
                }
                if !enabled && !current {
                    throw ServiceError.validation("Table already has no stream enabled")
                }
                if enabled {
                    guard let view = stream["StreamViewType"]?.stringValue else {
                        throw ServiceError.validation("One or more parameter values were invalid: StreamViewType is required when StreamEnabled is true")
                    }
                    // Each enabling is a new stream with a new ARN.
                    let label = Self.streamLabel(now)
                    d["StreamSpecification"] = ["StreamEnabled": true, "StreamViewType": .string(view)]
                    d["LatestStreamLabel"] = .string(label)
                    d["LatestStreamArn"] = .string("\(arn)/stream/\(label)")
                } else {
                    d["StreamSpecification"] = ["StreamEnabled": false]
                }
                changed = true
            }
            if let updates = r.body["GlobalSecondaryIndexUpdates"]?.arrayValue {
                var gsis = d["GlobalSecondaryIndexes"]?.arrayValue ?? []
                for u in updates {
                    if let c = u["Create"] {
                        let ks = c["KeySchema"]?.arrayValue ?? []
                        try Self.checkKeySchema(ks, types: types, what: "Index")
                        let indexName = c["IndexName"]?.stringValue ?? ""
                        guard !gsis.contains(where: { $0["IndexName"]?.stringValue == indexName }) else {
                            throw ServiceError.validation("One or more parameter values were invalid: Index already exists: \(indexName)")
                        }
                        gsis.append(Self.globalIndex(c, tableArn: arn))
                        backfill.append(indexName)
                    } else if let del = u["Delete"] {
                        let indexName = del["IndexName"]?.stringValue ?? ""
                        guard gsis.contains(where: { $0["IndexName"]?.stringValue == indexName }) else {
                            throw ServiceError("ResourceNotFoundException", "Requested resource not found: Index: \(indexName) not found", kind: .notFound)
                        }
                        gsis.removeAll { $0["IndexName"]?.stringValue == indexName }
                        dropped.append(indexName)
                    } else if let upd = u["Update"] {
                        let indexName = upd["IndexName"]?.stringValue ?? ""
                        guard let k = gsis.firstIndex(where: { $0["IndexName"]?.stringValue == indexName }), case .object(var o) = gsis[k] else {
                            throw ServiceError("ResourceNotFoundException", "Requested resource not found: Index: \(indexName) not found", kind: .notFound)
                        }
                        o["ProvisionedThroughput"] = Self.throughputDescription(upd["ProvisionedThroughput"])
                        gsis[k] = .object(o)
                    }
                }
                d["GlobalSecondaryIndexes"] = gsis.isEmpty ? nil : .array(gsis)
                if let defs = r.body["AttributeDefinitions"]?.arrayValue {
                    var all = d["AttributeDefinitions"]?.arrayValue ?? []
                    for a in defs where !all.contains(where: { $0["AttributeName"] == a["AttributeName"] }) { all.append(a) }
                    d["AttributeDefinitions"] = .array(all)
                }
                changed = true
            }
            if !changed && r.body["TableClass"] == nil {
                throw ServiceError.validation("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
            }
            if let tableClass = r.body["TableClass"]?.stringValue { d["TableClassSummary"] = ["TableClass": .string(tableClass)] }
            record["description"] = .object(d)
            v = record
            return d
        }
        let schema = try catalog.schema(name)
        for indexName in backfill {
            guard let index = schema.index(indexName) else { continue }
            _ = try await store.write { (w) throws(ServiceError) in try w.backfill(schema, index) }
        }
        for indexName in dropped {
            _ = try await store.write { (w) throws(ServiceError) in try w.dropIndex(schema.id, indexName) }
        }
        var answer = result
        answer["TableStatus"] = "UPDATING"
        return ["TableDescription": .object(answer)]
    }

    // MARK: TTL

    func updateTimeToLive(_ r: JSONRequest) async throws -> JSON {
        let name = TableCatalog.name(try r.required("TableName"))
        guard let spec = r.body["TimeToLiveSpecification"], let attribute = spec["AttributeName"]?.stringValue,
              let enabled = spec["Enabled"]?.boolValue else {
            throw ServiceError.validation("1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null")
        }
        try await catalog.update(name) { (v: inout JSONObject?) throws(ServiceError) in
            guard var record = v else { throw TableCatalog.notFound(name) }
            let current = record["ttl"]?["TimeToLiveStatus"]?.stringValue == "ENABLED"
            if enabled && current {
                throw ServiceError.validation("TimeToLive is already enabled")
            }
            if !enabled && !current {
                throw ServiceError.validation("TimeToLive is already disabled")
            }
            record["ttl"] = enabled ? ["TimeToLiveStatus": "ENABLED", "AttributeName": .string(attribute)] : ["TimeToLiveStatus": "DISABLED"]
            v = record
        }
        // Items written before the setting carry no expiry yet: stamp them now.
        let schema = try catalog.schema(name)
        _ = try await store.write { (w) throws(ServiceError) in try w.stampExpiry(schema) }
        return ["TimeToLiveSpecification": ["AttributeName": .string(attribute), "Enabled": .bool(enabled)]]
    }

    func describeTimeToLive(_ r: JSONRequest) async throws -> JSON {
        let record = try await catalog.record(try r.required("TableName"))
        return ["TimeToLiveDescription": record["ttl"] ?? ["TimeToLiveStatus": "DISABLED"]]
    }

    // MARK: tags

    func tableName(arn: String) throws(ServiceError) -> String {
        guard arn.hasPrefix("arn:aws:dynamodb:"), arn.contains(":table/") else {
            throw ServiceError.validation("Invalid TableArn: Invalid ResourceArn provided as input \(arn)")
        }
        return TableCatalog.name(arn)
    }

    func tagResource(_ r: JSONRequest) async throws -> JSON {
        let name = try tableName(arn: try r.required("ResourceArn"))
        let tags = r.body["Tags"]?.arrayValue ?? []
        try await catalog.update(name) { (v: inout JSONObject?) throws(ServiceError) in
            guard var record = v else { throw ServiceError("ResourceNotFoundException", "Requested resource not found: ResourcArn: \(r.body["ResourceArn"]?.stringValue ?? "") not found", kind: .notFound) }
            var existing = record["tags"]?.arrayValue ?? []
            for t in tags {
                existing.removeAll { $0["Key"] == t["Key"] }
                existing.append(t)
            }
            guard existing.count <= 50 else { throw ServiceError.validation("One or more parameter values were invalid: Too many tags") }
            record["tags"] = .array(existing)
            v = record
        }
        return .object([:])
    }

    func untagResource(_ r: JSONRequest) async throws -> JSON {
        let name = try tableName(arn: try r.required("ResourceArn"))
        let keys = Set(r.body["TagKeys"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        try await catalog.update(name) { (v: inout JSONObject?) throws(ServiceError) in
            guard var record = v else { throw TableCatalog.notFound(name) }
            record["tags"] = .array((record["tags"]?.arrayValue ?? []).filter { !keys.contains($0["Key"]?.stringValue ?? "") })
            v = record
        }
        return .object([:])
    }

    func listTags(_ r: JSONRequest) async throws -> JSON {
        let name = try tableName(arn: try r.required("ResourceArn"))
        let record = try await catalog.record(name)
        return ["Tags": record["tags"] ?? []]
    }

    // MARK: backups

    func describeContinuousBackups(_ r: JSONRequest) async throws -> JSON {
        let record = try await catalog.record(try r.required("TableName"))
        return ["ContinuousBackupsDescription": backups(record)]
    }

    func backups(_ record: JSONObject) -> JSON {
        let enabled = record["pointInTimeRecovery"]?.boolValue == true
        var pitr = JSONObject()
        if enabled, let since = record["pointInTimeRecoverySince"] {
            pitr["EarliestRestorableDateTime"] = since
            pitr["LatestRestorableDateTime"] = .double(Double(now.milliseconds - 300_000) / 1000)
        }
        pitr["PointInTimeRecoveryStatus"] = enabled ? "ENABLED" : "DISABLED"
        if enabled { pitr["RecoveryPeriodInDays"] = 35 }
        return ["ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": .object(pitr)]
    }

    func updateContinuousBackups(_ r: JSONRequest) async throws -> JSON {
        let name = TableCatalog.name(try r.required("TableName"))
        let enabled = r.body["PointInTimeRecoverySpecification"]?["PointInTimeRecoveryEnabled"]?.boolValue ?? false
        let now = self.now
        let record = try await catalog.update(name) { (v: inout JSONObject?) throws(ServiceError) -> JSONObject in
            guard var record = v else { throw ServiceError("TableNotFoundException", "Table not found: \(name)", kind: .notFound) }
            if enabled && record["pointInTimeRecovery"]?.boolValue != true { record["pointInTimeRecoverySince"] = .double(Double(now.milliseconds) / 1000) }
            record["pointInTimeRecovery"] = .bool(enabled)
            v = record
            return record
        }
        return ["ContinuousBackupsDescription": backups(record)]
    }
}
