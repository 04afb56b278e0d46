import Foundation
import ServiceKit
import StatesLanguage

/// Creating, describing, listing and deleting streams; retention, encryption and tags.
extension KinesisService {
    func createStream(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let name = try r.required("StreamName")
        let count = try r.int("ShardCount")
        let mode = r.body["StreamModeDetails"]?["StreamMode"]?.stringValue ?? (count == nil ? "ON_DEMAND" : "PROVISIONED")
        if mode == "ON_DEMAND", count != nil {
            throw Self.invalid("ShardCount is not supported for StreamMode ON_DEMAND.")
        }
        let tags = (r.body["Tags"]?.objectValue ?? [:]).map { (key: $0.key, value: $0.value.stringValue ?? "") }
        // AWS gives an on-demand stream four shards to begin with.
        let stream = KinesisStream(id: streams.newId(), name: name, arn: arn(name), mode: mode, shardCount: count ?? 4,
                                   createdMillis: now.milliseconds, tags: tags)
        let account = self.account
        try await streams.update(name) { (v: inout KinesisStream?) throws(ServiceError) in
            guard v == nil else { throw ServiceError("ResourceInUseException", "Stream \(name) under account \(account) already exists.", kind: .conflict) }
            v = stream
        }
        return .object([:])
    }

    func deleteStream(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let s = try stream(r)
        try await streams.update(s.name) { (v: inout KinesisStream?) throws(ServiceError) in v = nil }
        try await streams.trim(s.id, before: nil)
        return .object([:])
    }

    func shard(_ s: KinesisStream, _ i: Int) -> JSON {
        let range = s.hashRange(i)
        var o = JSONObject()
        o.appendUnchecked("ShardId", .string(KinesisStream.shardId(i)))
        o.appendUnchecked("HashKeyRange", ["StartingHashKey": .string(String(range.start)), "EndingHashKey": .string(String(range.end))])
        o.appendUnchecked("SequenceNumberRange", ["StartingSequenceNumber": .string(KinesisService.sequenceText(0))])
        return .object(o)
    }

    func summary(_ s: KinesisStream) -> JSONObject {
        var o = JSONObject()
        o.appendUnchecked("StreamName", .string(s.name))
        o.appendUnchecked("StreamARN", .string(s.arn))
        o.appendUnchecked("StreamStatus", "ACTIVE")
        o.appendUnchecked("StreamModeDetails", ["StreamMode": .string(s.mode)])
        o.appendUnchecked("RetentionPeriodHours", .int(Int64(s.retentionHours)))
        o.appendUnchecked("StreamCreationTimestamp", .double(Double(s.createdMillis) / 1000))
        o.appendUnchecked("EnhancedMonitoring", [["ShardLevelMetrics": []]])
        o.appendUnchecked("EncryptionType", .string(s.encryption.type))
        if let key = s.encryption.keyId { o.appendUnchecked("KeyId", .string(key)) }
        return o
    }

    func describeStream(_ r: JSONRequest) throws(ServiceError) -> JSON {
        let s = try stream(r)
        let start = try r.string("ExclusiveStartShardId").flatMap { KinesisStream.shardIndex($0) }.map { $0 + 1 } ?? 0
        let limit = try r.int("Limit") ?? 100
        let end = min(s.shardCount, start + limit)
        var d = summary(s)
        d["Shards"] = .array(start < end ? (start..<end).map { shard(s, $0) } : [])
        d["HasMoreShards"] = .bool(end < s.shardCount)
        return ["StreamDescription": .object(d)]
    }

    func describeStreamSummary(_ r: JSONRequest) throws(ServiceError) -> JSON {
        let s = try stream(r)
        var d = summary(s)
        d["OpenShardCount"] = .int(Int64(s.shardCount))
        d["ConsumerCount"] = 0
        return ["StreamDescriptionSummary": .object(d)]
    }

    func listStreams(_ r: JSONRequest) throws(ServiceError) -> JSON {
        var all = streams.all
        var after = try r.string("NextToken")
        if after == nil { after = try r.string("ExclusiveStartStreamName") }
        if let after { all = all.filter { $0.name > after } }
        let limit = try r.int("Limit") ?? 100
        let page = Array(all.prefix(limit))
        var out = JSONObject()
        out.appendUnchecked("StreamNames", .array(page.map { .string($0.name) }))
        out.appendUnchecked("HasMoreStreams", .bool(all.count > page.count))
        out.appendUnchecked("StreamSummaries", .array(page.map { s in
            ["StreamName": .string(s.name), "StreamARN": .string(s.arn), "StreamStatus": "ACTIVE",
             "StreamModeDetails": ["StreamMode": .string(s.mode)], "StreamCreationTimestamp": .double(Double(s.createdMillis) / 1000)]
        }))
        if all.count > page.count, let last = page.last { out.appendUnchecked("NextToken", .string(last.name)) }
        return .object(out)
    }

    func listShards(_ r: JSONRequest) throws(ServiceError) -> JSON {
        var s: KinesisStream
        var start = 0
        if let token = try r.string("NextToken") {
            // The token names the stream and the next shard: "NAME|INDEX".
            guard let bar = token.lastIndex(of: "|"), let next = Int(token[token.index(after: bar)...]),
                  let found = streams.stream(named: String(token[..<bar])) else {
                throw Self.invalid("Invalid NextToken.")
            }
            s = found
            start = next
        } else {
            s = try stream(r)
            if let after = try r.string("ExclusiveStartShardId") { start = (KinesisStream.shardIndex(after) ?? -1) + 1 }
        }
        let limit = try r.int("MaxResults") ?? 1000
        let end = min(s.shardCount, start + limit)
        var out: JSONObject = ["Shards": .array(start < end ? (start..<end).map { shard(s, $0) } : [])]
        if end < s.shardCount { out["NextToken"] = .string("\(s.name)|\(end)") }
        return .object(out)
    }

    func changeRetention(_ r: JSONRequest, increase: Bool) async throws(ServiceError) -> JSON {
        let s = try stream(r)
        guard let hours = try r.int("RetentionPeriodHours") else {
            throw ServiceError.validation("1 validation error detected: Value null at 'retentionPeriodHours' failed to satisfy constraint: Member must not be null")
        }
        try await streams.update(s.name) { (v: inout KinesisStream?) throws(ServiceError) in
            guard var stream = v else { throw notFound(s.name) }
            if increase, hours < stream.retentionHours {
                throw Self.invalid("Requested retention period (\(hours) hours) for stream \(s.name) can not be shorter than existing retention period (\(stream.retentionHours) hours). Use DecreaseRetentionPeriod API.")
            }
            if !increase, hours > stream.retentionHours {
                throw Self.invalid("Requested retention period (\(hours) hours) for stream \(s.name) can not be longer than existing retention period (\(stream.retentionHours) hours). Use IncreaseRetentionPeriod API.")
            }
            stream.retentionHours = hours
            v = stream
        }
        return .object([:])
    }

    func encryption(_ r: JSONRequest, start: Bool) async throws(ServiceError) -> JSON {
        let s = try stream(r)
        let type = try r.required("EncryptionType")
        let key = try r.required("KeyId")
        try await streams.update(s.name) { (v: inout KinesisStream?) throws(ServiceError) in
            guard var stream = v else { throw notFound(s.name) }
            stream.encryption = start ? (type, key) : ("NONE", nil)
            v = stream
        }
        return .object([:])
    }

    func addTags(_ r: JSONRequest, member: String) async throws(ServiceError) -> JSON {
        let s = try stream(r)
        let given = (r.body[member]?.objectValue ?? [:]).map { (key: $0.key, value: $0.value.stringValue ?? "") }
        try await streams.update(s.name) { (v: inout KinesisStream?) throws(ServiceError) in
            guard var stream = v else { throw notFound(s.name) }
            for t in given {
                stream.tags.removeAll { $0.key == t.key }
                stream.tags.append(t)
            }
            // AWS: "A stream can have up to 50 tags."
            guard stream.tags.count <= 50 else { throw Self.invalid("Failed to add tags to stream \(s.name) under account \(account) because a given stream cannot have more than 50 tags.") }
            v = stream
        }
        return .object([:])
    }

    func removeTags(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let s = try stream(r)
        let keys = Set(r.body["TagKeys"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        try await streams.update(s.name) { (v: inout KinesisStream?) throws(ServiceError) in
            guard var stream = v else { throw notFound(s.name) }
            stream.tags.removeAll { keys.contains($0.key) }
            v = stream
        }
        return .object([:])
    }

    func listTags(_ r: JSONRequest, legacy: Bool) throws(ServiceError) -> JSON {
        let s = try stream(r)
        var tags = s.tags.sorted { $0.key < $1.key }
        if let after = try r.string("ExclusiveStartTagKey") { tags = tags.filter { $0.key > after } }
        let limit = try r.int("Limit") ?? 50
        let page = tags.prefix(limit)
        var out: JSONObject = ["Tags": .array(page.map { ["Key": .string($0.key), "Value": .string($0.value)] })]
        if legacy { out["HasMoreTags"] = .bool(tags.count > page.count) }
        return .object(out)
    }
}
