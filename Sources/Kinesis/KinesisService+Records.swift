import Foundation
import ServiceKit
import StatesLanguage

/// Writing records and reading them back through shard iterators.
extension KinesisService {
    /// AWS's sequence numbers are decimal strings that grow within a shard; Baton's are the
    /// record's row id behind a leading 4, 56 digits in all.
    package static func sequenceText(_ seq: Int64) -> String {
        let digits = String(seq)
        return "4" + String(repeating: "0", count: max(0, 55 - digits.count)) + digits
    }

    static func sequence(_ text: String) -> Int64? {
        guard text.count == 56, text.first == "4" else { return nil }
        return Int64(text.dropFirst())
    }

    /// AWS: "The maximum size of a data blob (the data payload before base64-encoding) is up to 1 MiB."
    static let maximumRecordBytes = 1024 * 1024

    struct Entry {
        var partitionKey: String
        var hashKey: UInt128?
        var data: [UInt8]
    }

    func entry(_ o: JSONObject, at path: String) throws(ServiceError) -> Entry {
        guard let key = o["PartitionKey"]?.stringValue else {
            throw ServiceError.validation("1 validation error detected: Value null at '\(path)partitionKey' failed to satisfy constraint: Member must not be null")
        }
        guard let text = o["Data"]?.stringValue, let data = Data(base64Encoded: text) else {
            throw ServiceError.validation("1 validation error detected: Value null at '\(path)data' failed to satisfy constraint: Member must not be null")
        }
        guard data.count <= Self.maximumRecordBytes else {
            throw ServiceError.validation("1 validation error detected: Value at '\(path)data' failed to satisfy constraint: Member must have length less than or equal to \(Self.maximumRecordBytes)")
        }
        var hash: UInt128?
        if let explicit = o["ExplicitHashKey"]?.stringValue {
            guard let h = UInt128(explicit) else {
                throw Self.invalid("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was \(explicit)")
            }
            hash = h
        }
        return Entry(partitionKey: key, hashKey: hash, data: Array(data))
    }

    func putRecord(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let s = try stream(r)
        let e = try entry(r.body, at: "")
        let now = self.now.milliseconds
        let streams = self.streams
        let (shard, seq) = try await streams.tables.write("The record") { (c) throws(ServiceError) in
            try streams.append(c, to: s, partitionKey: e.partitionKey, explicitHashKey: e.hashKey, data: e.data, now: now)
        }
        streams.bell.ring()
        var out = JSONObject()
        out.appendUnchecked("ShardId", .string(KinesisStream.shardId(shard)))
        out.appendUnchecked("SequenceNumber", .string(Self.sequenceText(seq)))
        if s.encryption.type != "NONE" { out.appendUnchecked("EncryptionType", .string(s.encryption.type)) }
        return .object(out)
    }

    func putRecords(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let s = try stream(r)
        let given = r.body["Records"]?.arrayValue ?? []
        var entries: [Entry] = []
        var total = 0
        for (i, o) in given.enumerated() {
            let e = try entry(o.objectValue ?? [:], at: "records.\(i + 1).member.")
            total += e.data.count + e.partitionKey.utf8.count
            entries.append(e)
        }
        // AWS: "The entire request (including partition keys) can be up to 10 MiB."
        guard total <= 10 * 1024 * 1024 else {
            throw Self.invalid("Records size exceeds 10 MB limit")
        }
        let now = self.now.milliseconds
        let streams = self.streams
        let all = entries
        let placed = try await streams.tables.write("The records") { (c) throws(ServiceError) in
            try all.map { (e) throws(ServiceError) in
                try streams.append(c, to: s, partitionKey: e.partitionKey, explicitHashKey: e.hashKey, data: e.data, now: now)
            }
        }
        streams.bell.ring()
        var out = JSONObject()
        out.appendUnchecked("FailedRecordCount", 0)
        out.appendUnchecked("Records", .array(placed.map {
            ["SequenceNumber": .string(Self.sequenceText($0.seq)), "ShardId": .string(KinesisStream.shardId($0.shard))]
        }))
        if s.encryption.type != "NONE" { out.appendUnchecked("EncryptionType", .string(s.encryption.type)) }
        return .object(out)
    }

    func getShardIterator(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let s = try stream(r)
        let shardText = try r.required("ShardId")
        guard let shard = KinesisStream.shardIndex(shardText), shard >= 0, shard < s.shardCount else {
            throw ServiceError("ResourceNotFoundException", "Shard \(shardText) in stream \(s.name) under account \(account) does not exist", kind: .notFound)
        }
        let type = try r.required("ShardIteratorType")
        let after: Int64
        switch type {
        case "TRIM_HORIZON": after = 0
        case "LATEST": after = try await streams.bounds(s, shard: shard).latest
        case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
            guard let text = try r.string("StartingSequenceNumber") else {
                throw Self.invalid("The StartingSequenceNumber parameter is required for ShardIteratorType \(type).")
            }
            guard let n = Self.sequence(text) else {
                throw Self.invalid("StartingSequenceNumber \(text) used in GetShardIterator on shard \(shardText) in stream \(s.name) under account \(account) is invalid.")
            }
            after = type == "AT_SEQUENCE_NUMBER" ? n - 1 : n
        case "AT_TIMESTAMP":
            guard let at = r.body["Timestamp"]?.doubleValue else {
                throw Self.invalid("The Timestamp parameter is required for ShardIteratorType AT_TIMESTAMP.")
            }
            let bounds = try await streams.bounds(s, shard: shard, atOrAfter: Int64(at * 1000))
            after = bounds.firstAt.map { $0 - 1 } ?? bounds.latest
        default:
            throw ServiceError.validation("1 validation error detected: Value '\(type)' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]")
        }
        return ["ShardIterator": .string(iterator(s, shard: shard, after: after))]
    }

    /// An iterator carries the stream (its name and creation id), the shard, the position and
    /// when it expires; base64, opaque to callers as AWS's are.
    func iterator(_ s: KinesisStream, shard: Int, after: Int64) -> String {
        let expires = now.milliseconds + Self.iteratorLifetimeMillis
        return Data("1|\(s.id)|\(shard)|\(after)|\(expires)|\(s.name)".utf8).base64EncodedString()
    }

    func getRecords(_ r: JSONRequest) async throws(ServiceError) -> JSON {
        let text = try r.required("ShardIterator")
        let fields = Data(base64Encoded: text).map { String(decoding: $0, as: UTF8.self).split(separator: "|", maxSplits: 5).map(String.init) } ?? []
        guard fields.count == 6, fields[0] == "1", let id = Int64(fields[1]), let shard = Int(fields[2]), let after = Int64(fields[3]),
              let expires = Int64(fields[4]) else {
            throw Self.invalid("Invalid ShardIterator.")
        }
        guard let s = streams.stream(named: fields[5]), s.id == id else { throw notFound(fields[5]) }
        let now = self.now.milliseconds
        guard expires > now else {
            throw ServiceError("ExpiredIteratorException", "Iterator expired. The iterator was created at time \(Timestamp(milliseconds: expires - Self.iteratorLifetimeMillis).iso8601) while right now it is \(Timestamp(milliseconds: now).iso8601) which is further in the future than the tolerated delay of 300000 milliseconds.")
        }
        let limit = try r.int("Limit") ?? 10_000
        let records = try await streams.records(s, shard: shard, after: after, limit: limit)
        let latest = try await streams.bounds(s, shard: shard).latest
        var out = JSONObject()
        out.appendUnchecked("Records", .array(records.map { rec in
            var o = JSONObject()
            o.appendUnchecked("SequenceNumber", .string(Self.sequenceText(rec.seq)))
            o.appendUnchecked("ApproximateArrivalTimestamp", .double(Double(rec.arrivalMillis) / 1000))
            o.appendUnchecked("Data", .string(Data(rec.data).base64EncodedString()))
            o.appendUnchecked("PartitionKey", .string(rec.partitionKey))
            if s.encryption.type != "NONE" { o.appendUnchecked("EncryptionType", .string(s.encryption.type)) }
            return .object(o)
        }))
        let last = records.last
        out.appendUnchecked("NextShardIterator", .string(iterator(s, shard: shard, after: last?.seq ?? after)))
        // How far the reader is behind the shard's newest record.
        out.appendUnchecked("MillisBehindLatest", .int(last.map { $0.seq < latest ? max(0, now - $0.arrivalMillis) : 0 } ?? 0))
        return .object(out)
    }
}
