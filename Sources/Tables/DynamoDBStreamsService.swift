import Foundation
import ServiceKit
import StatesLanguage

/// DynamoDB Streams (`DynamoDBStreams_20120810.*`): ListStreams, DescribeStream,
/// GetShardIterator, GetRecords over the records the tables write in their changes'
/// transactions. Each stream has one shard, so its records come in one order.
package struct DynamoDBStreamsService: BatonService {
    package let tables: DynamoDBService

    package init(tables: DynamoDBService) { self.tables = tables }

    package var name: String { "dynamodbstreams" }
    package var wireProtocol: WireProtocol { .json(targetPrefix: "DynamoDBStreams_20120810", version: "1.0") }

    /// AWS: "Stream records whose age exceeds this limit are subject to removal" and "a shard
    /// iterator expires 15 minutes after it is returned".
    static let iteratorLifetimeMillis: Int64 = 15 * 60_000

    package var actions: [String: Action] {
        var t = ActionTable(model: DynamoDBStreamsModel.constraints)
        let s = self
        t.json("ListStreams") { try s.listStreams($0) }
        t.json("DescribeStream") { try await s.describeStream($0) }
        t.json("GetShardIterator") { try await s.getShardIterator($0) }
        t.json("GetRecords") { try await s.getRecords($0) }
        return t.actions
    }

    /// A stream the tables know: the latest of each table (enabled or not).
    struct Stream {
        var arn: String
        var label: String
        var schema: TableSchema
        var enabled: Bool
        var viewType: String

        var shardId: String {
            // shardId-<20 digits>-<8 hex>, as AWS's look; fixed by the stream's label.
            var h: UInt32 = 2_166_136_261
            for b in arn.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
            let digits = label.filter(\.isNumber)
            return "shardId-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits.prefix(20) + "-" + String(format: "%08x", h)
        }
    }

    func streams() -> [Stream] {
        tables.catalog.all.compactMap { s -> Stream? in
            guard let arn = s.description["LatestStreamArn"]?.stringValue, let label = s.description["LatestStreamLabel"]?.stringValue else { return nil }
            let spec = s.description["StreamSpecification"]
            return Stream(arn: arn, label: label, schema: s, enabled: spec?["StreamEnabled"]?.boolValue == true,
                          viewType: spec?["StreamViewType"]?.stringValue ?? s.streamViewType ?? "NEW_AND_OLD_IMAGES")
        }.sorted { $0.arn < $1.arn }
    }

    func stream(_ arn: String) throws(ServiceError) -> Stream {
        guard let s = streams().first(where: { $0.arn == arn }) else {
            throw ServiceError("ResourceNotFoundException", "Requested resource not found: Stream: \(arn) not found", kind: .notFound)
        }
        return s
    }

    func listStreams(_ r: JSONRequest) throws -> JSON {
        var all = streams()
        if let table = try r.string("TableName") { all = all.filter { $0.schema.name == TableCatalog.name(table) } }
        if let start = try r.string("ExclusiveStartStreamArn") { all = all.filter { $0.arn > start } }
        let limit = try r.int("Limit") ?? 100
        let page = all.prefix(limit)
        var out: JSONObject = ["Streams": .array(page.map { ["StreamArn": .string($0.arn), "TableName": .string($0.schema.name), "StreamLabel": .string($0.label)] })]
        if all.count > page.count, let last = page.last { out["LastEvaluatedStreamArn"] = .string(last.arn) }
        return .object(out)
    }

    static func sequenceText(_ seq: Int64) -> String { "1" + String(format: "%020lld", seq) }

    package static func sequenceNumber(_ text: String) -> Int64? { sequence(text) }

    static func sequence(_ text: String) -> Int64? {
        guard text.count == 21, text.first == "1" else { return Int64(text) }
        return Int64(text.dropFirst())
    }

    func describeStream(_ r: JSONRequest) async throws -> JSON {
        let s = try stream(try r.required("StreamArn"))
        let bounds = try await tables.store.read { (reader) throws(ServiceError) in try reader.streamBounds(s.arn) }
        var range: JSONObject = ["StartingSequenceNumber": .string(Self.sequenceText(bounds?.first ?? 1))]
        if !s.enabled, let last = bounds?.last { range["EndingSequenceNumber"] = .string(Self.sequenceText(last)) }
        var d = JSONObject()
        d.appendUnchecked("StreamArn", .string(s.arn))
        d.appendUnchecked("StreamLabel", .string(s.label))
        d.appendUnchecked("StreamStatus", .string(s.enabled ? "ENABLED" : "DISABLED"))
        d.appendUnchecked("StreamViewType", .string(s.viewType))
        d.appendUnchecked("CreationRequestDateTime", .double((Timestamp(iso8601: s.label + "Z").map { Double($0.milliseconds) / 1000 }) ?? 0))
        d.appendUnchecked("TableName", .string(s.schema.name))
        d.appendUnchecked("KeySchema", s.schema.description["KeySchema"] ?? [])
        d.appendUnchecked("Shards", [["ShardId": .string(s.shardId), "SequenceNumberRange": .object(range)]])
        return ["StreamDescription": .object(d)]
    }

    func getShardIterator(_ r: JSONRequest) async throws -> JSON {
        let s = try stream(try r.required("StreamArn"))
        let shard = try r.required("ShardId")
        guard shard == s.shardId else {
            throw ServiceError("ResourceNotFoundException", "Requested resource not found: Shard does not exist", kind: .notFound)
        }
        let type = try r.required("ShardIteratorType")
        let bounds = try await tables.store.read { (reader) throws(ServiceError) in try reader.streamBounds(s.arn) }
        let after: Int64
        switch type {
        case "TRIM_HORIZON": after = max(0, (bounds?.first ?? 1) - 1)
        case "LATEST": after = bounds?.last ?? 0
        case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
            guard let text = try r.string("SequenceNumber"), let n = Self.sequence(text) else {
                throw ServiceError.validation("SequenceNumber is required for ShardIteratorType \(type)")
            }
            after = type == "AT_SEQUENCE_NUMBER" ? n - 1 : n
        default:
            throw ServiceError.validation("1 validation error detected: Value '\(type)' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_SEQUENCE_NUMBER, TRIM_HORIZON]")
        }
        return ["ShardIterator": .string(iterator(s.arn, shard: shard, after: after))]
    }

    func iterator(_ arn: String, shard: String, after: Int64) -> String {
        let expires = tables.now.milliseconds + Self.iteratorLifetimeMillis
        return arn + "|1|" + Data("\(shard)|\(after)|\(expires)".utf8).base64EncodedString()
    }

    func getRecords(_ r: JSONRequest) async throws -> JSON {
        let text = try r.required("ShardIterator")
        let parts = text.components(separatedBy: "|1|")
        guard parts.count == 2, let data = Data(base64Encoded: parts[1]) else { throw ServiceError.validation("Invalid ShardIterator") }
        let fields = String(decoding: data, as: UTF8.self).split(separator: "|").map(String.init)
        guard fields.count == 3, let after = Int64(fields[1]), let expires = Int64(fields[2]) else {
            throw ServiceError.validation("Invalid ShardIterator")
        }
        guard expires > tables.now.milliseconds else {
            throw ServiceError("ExpiredIteratorException", "Iterator expired. The iterator was created at time \(Timestamp(milliseconds: expires - Self.iteratorLifetimeMillis).iso8601) while right now the time is \(tables.now.iso8601)")
        }
        let arn = parts[0]
        let s = try stream(arn)
        let limit = try r.int("Limit") ?? 1000
        guard limit >= 1, limit <= 1000 else {
            throw ServiceError.validation("1 validation error detected: Value '\(limit)' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000")
        }
        let (records, last) = try await records(arn, after: after, limit: limit)
        var out: JSONObject = ["Records": .array(records)]
        // A disabled stream's shard ends once its records are read.
        if s.enabled || !records.isEmpty { out["NextShardIterator"] = .string(iterator(arn, shard: fields[0], after: last)) }
        return .object(out)
    }

    /// Whether a stream of this ARN exists (enabled or not, while its table does).
    package func exists(_ arn: String) -> Bool { streams().contains { $0.arn == arn } }

    /// The sequence of a stream's latest record (0: none): where LATEST starts.
    package func latestSequence(_ arn: String) async throws(ServiceError) -> Int64 {
        try await tables.store.read { (reader) throws(ServiceError) in try reader.streamBounds(arn) }?.last ?? 0
    }

    /// The shard id a stream's records carry (one shard per stream).
    package func shardId(_ arn: String) -> String? { streams().first { $0.arn == arn }?.shardId }

    /// Records after `after`, up to `limit` and 1 MB, with their SequenceNumber; and the last one read.
    package func records(_ arn: String, after: Int64, limit: Int) async throws(ServiceError) -> ([JSON], Int64) {
        let rows = try await tables.store.read { (reader) throws(ServiceError) in try reader.streamRecords(arn, after: after, limit: limit) }
        var out: [JSON] = []
        var last = after
        var bytes = 0
        for (seq, raw) in rows {
            guard case .object(var record)? = try? JSONParser.parse(raw) else { continue }
            if case .object(var d)? = record["dynamodb"] {
                d["SequenceNumber"] = .string(Self.sequenceText(seq))
                record["dynamodb"] = .object(d)
            }
            bytes += raw.count
            out.append(.object(record))
            last = seq
            if bytes >= 1024 * 1024 { break }
        }
        return (out, last)
    }
}
