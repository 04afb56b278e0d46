import Kinesis
import ServiceKit
import StatesLanguage

/// Kinesis Data Streams as a table's streaming destination: every change goes to the Kinesis
/// stream as a record in the change's own transaction, in the shape AWS writes (both images,
/// whatever the table's DynamoDB stream view type, since a destination has none).
extension DynamoDBService {
    func enableKinesisDestination(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = TableCatalog.name(try r.required("TableName"))
        let arn = try r.required("StreamArn")
        let config = r.body["EnableKinesisStreamingConfiguration"]?.objectValue ?? [:]
        try Self.checkPrecision(config, "enableKinesisStreamingConfiguration")
        _ = try await catalog.record(name)
        guard kinesis?.stream(arn: arn) != nil else {
            throw ServiceError.validation("Table is not in a valid state to enable Kinesis Streaming Destination: Kinesis stream \(arn) does not exist")
        }
        try await catalog.update(name) { (v: inout JSONObject?) throws(ServiceError) in
            guard var record = v else { throw TableCatalog.notFound(name) }
            var destinations = record["kinesis"]?.arrayValue ?? []
            if destinations.contains(where: { $0["DestinationStatus"]?.stringValue == "ACTIVE" }) {
                throw ServiceError.validation("Table is not in a valid state to enable Kinesis Streaming Destination: a table streams to one Kinesis data stream at a time; disable \(destinations.first { $0["DestinationStatus"]?.stringValue == "ACTIVE" }?["StreamArn"]?.stringValue ?? "") first")
            }
            destinations.removeAll { $0["StreamArn"]?.stringValue == arn }
            var d: JSONObject = ["StreamArn": .string(arn), "DestinationStatus": "ACTIVE"]
            if let p = config["ApproximateCreationDateTimePrecision"] { d["ApproximateCreationDateTimePrecision"] = p }
            destinations.append(.object(d))
            record["kinesis"] = .array(destinations)
            v = record
        }
        // The destination turns ACTIVE at once; the answer says what AWS's says while it does.
        return ["TableName": .string(name), "StreamArn": .string(arn), "DestinationStatus": "ENABLING",
                "EnableKinesisStreamingConfiguration": .object(config)]
    }

    func disableKinesisDestination(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = TableCatalog.name(try r.required("TableName"))
        let arn = try r.required("StreamArn")
        _ = try await catalog.record(name)
        try await catalog.update(name) { (v: inout JSONObject?) throws(ServiceError) in
            guard var record = v else { throw TableCatalog.notFound(name) }
            var destinations = record["kinesis"]?.arrayValue ?? []
            guard let i = destinations.firstIndex(where: { $0["StreamArn"]?.stringValue == arn && $0["DestinationStatus"]?.stringValue == "ACTIVE" }),
                  case .object(var d) = destinations[i] else {
                throw ServiceError.validation("Table is not in a valid state to disable Kinesis Streaming Destination: No streaming destination with streamArn: \(arn) found for table with tableName: \(name)")
            }
            d["DestinationStatus"] = "DISABLED"
            destinations[i] = .object(d)
            record["kinesis"] = .array(destinations)
            v = record
        }
        return ["TableName": .string(name), "StreamArn": .string(arn), "DestinationStatus": "DISABLING"]
    }

    func updateKinesisDestination(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = TableCatalog.name(try r.required("TableName"))
        let arn = try r.required("StreamArn")
        guard let config = r.body["UpdateKinesisStreamingConfiguration"]?.objectValue,
              let precision = config["ApproximateCreationDateTimePrecision"]?.stringValue else {
            throw ServiceError.validation("Streaming destination cannot be updated with given parameters: UpdateKinesisStreamingConfiguration cannot be null or contain only null values")
        }
        try Self.checkPrecision(config, "updateKinesisStreamingConfiguration")
        let record = try await catalog.record(name)
        let tableId = record["description"]?["TableId"]?.stringValue ?? ""
        try await catalog.update(name) { (v: inout JSONObject?) throws(ServiceError) in
            guard var record = v else { throw TableCatalog.notFound(name) }
            var destinations = record["kinesis"]?.arrayValue ?? []
            guard let i = destinations.firstIndex(where: { $0["StreamArn"]?.stringValue == arn && $0["DestinationStatus"]?.stringValue == "ACTIVE" }),
                  case .object(var d) = destinations[i] else {
                throw ServiceError.validation("Table is not in a valid state to enable Kinesis Streaming Destination: No streaming destination with streamArn: \(arn) found for table with tableName: \(name)")
            }
            guard (d["ApproximateCreationDateTimePrecision"]?.stringValue ?? "MILLISECOND") != precision else {
                throw ServiceError.validation("Invalid Request: Precision is already set to the desired value of \(precision) for tableId: \(tableId), kdsArn: \(arn)")
            }
            d["ApproximateCreationDateTimePrecision"] = .string(precision)
            destinations[i] = .object(d)
            record["kinesis"] = .array(destinations)
            v = record
        }
        return ["TableName": .string(name), "StreamArn": .string(arn), "DestinationStatus": "UPDATING",
                "UpdateKinesisStreamingConfiguration": .object(config)]
    }

    static func checkPrecision(_ config: JSONObject, _ member: String) throws(ServiceError) {
        guard let p = config["ApproximateCreationDateTimePrecision"]?.stringValue, p != "MILLISECOND", p != "MICROSECOND" else { return }
        throw ServiceError.validation("1 validation error detected: Value '\(p)' at '\(member).approximateCreationDateTimePrecision' failed to satisfy constraint: Member must satisfy enum value set: [MILLISECOND, MICROSECOND]")
    }

    func describeKinesisDestination(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = TableCatalog.name(try r.required("TableName"))
        let record = try await catalog.record(name)
        return ["TableName": .string(name), "KinesisDataStreamDestinations": record["kinesis"] ?? []]
    }

    /// Writes a change's record to each of the table's Kinesis destinations, partitioned by
    /// the item's key so that one item's changes stay in order on one shard.
    func streamToKinesis(_ change: Change, _ w: ItemWriter, now: Timestamp, ttlDelete: Bool) throws(ServiceError) {
        guard let kinesis else { return }
        let s = change.schema
        let keys = s.key(of: (change.new ?? change.old) ?? [:])
        let partitionKey = KinesisStream.hexDigest(keys.json.serializedBytes)
        for destination in s.kinesisDestinations {
            // A deleted stream takes no records (AWS reports the destination in error).
            guard let stream = kinesis.stream(arn: destination.arn) else { continue }
            var d = JSONObject()
            d.appendUnchecked("ApproximateCreationDateTime", .int(destination.microseconds ? now.milliseconds * 1000 + Int64(now.nanoseconds / 1000 % 1000) : now.milliseconds))
            d.appendUnchecked("Keys", keys.json)
            var size = keys.itemSize
            if let new = change.new {
                d.appendUnchecked("NewImage", new.json)
                size += new.itemSize
            }
            if let old = change.old {
                d.appendUnchecked("OldImage", old.json)
                size += old.itemSize
            }
            d.appendUnchecked("SizeBytes", .int(Int64(size)))
            var o = JSONObject()
            o.appendUnchecked("awsRegion", .string(region))
            o.appendUnchecked("eventID", .string(UUIDText.random()))
            o.appendUnchecked("eventName", .string(change.old == nil ? "INSERT" : (change.new == nil ? "REMOVE" : "MODIFY")))
            o.appendUnchecked("userIdentity", ttlDelete ? ["type": "Service", "principalId": "dynamodb.amazonaws.com"] : .null)
            o.appendUnchecked("recordFormat", "application/json")
            o.appendUnchecked("tableName", .string(s.name))
            o.appendUnchecked("dynamodb", .object(d))
            o.appendUnchecked("eventSource", "aws:dynamodb")
            try kinesis.append(w.c, to: stream, partitionKey: partitionKey, data: JSON.object(o).serializedBytes, now: now.milliseconds)
        }
    }
}
