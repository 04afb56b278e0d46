import Engine
import Foundation
import Journal
import ServiceKit
import StatesLanguage
import Testing
@testable import Kinesis

/// Kinesis streams over a real journal on a manual clock: the hash key space split as AWS
/// splits it, records on the shard their partition key's MD5 picks, read back in order
/// through every kind of iterator, iterators that expire, retention, deletion.
@Suite struct KinesisServiceTests {
    final class Fixture {
        let dir = NSTemporaryDirectory() + "baton-kinesis-\(UUID().uuidString)"
        let clock = ManualEngineClock()
        var db: SQLiteJournal
        var kinesis: KinesisService

        init() async throws {
            db = try SQLiteJournal(directory: dir, synchronous: .normal)
            kinesis = try await KinesisService(ServiceContext(engine: Engine(journal: db, clock: clock), database: db, dataDirectory: dir))
        }

        func reopen() async throws {
            db.close()
            db = try SQLiteJournal(directory: dir, synchronous: .normal)
            kinesis = try await KinesisService(ServiceContext(engine: Engine(journal: db, clock: clock), database: db, dataDirectory: dir))
        }

        deinit {
            db.close()
            try? FileManager.default.removeItem(atPath: dir)
        }

        @discardableResult
        func call(_ action: String, _ body: JSON) async throws -> JSON {
            let perform = try #require(kinesis.actions[action])
            return try JSONParser.parse(try await perform(ServiceCall(action: action, body: body.serializedBytes)).body)
        }

        func put(_ stream: String, _ key: String, _ text: String) async throws -> JSON {
            try await call("PutRecord", ["StreamName": .string(stream), "PartitionKey": .string(key), "Data": .string(Data(text.utf8).base64EncodedString())])
        }

        func iterator(_ stream: String, _ shard: String, _ type: String, extra: JSONObject = [:]) async throws -> String {
            var body: JSONObject = ["StreamName": .string(stream), "ShardId": .string(shard), "ShardIteratorType": .string(type)]
            for (k, v) in extra { body[k] = v }
            return try #require(try await call("GetShardIterator", .object(body))["ShardIterator"]?.stringValue)
        }

        /// The texts of a shard's records from an iterator, and the next iterator.
        func read(_ iterator: String) async throws -> ([String], String) {
            let out = try await call("GetRecords", ["ShardIterator": .string(iterator)])
            let texts = (out["Records"]?.arrayValue ?? []).map { String(decoding: Data(base64Encoded: $0["Data"]?.stringValue ?? "") ?? Data(), as: UTF8.self) }
            return (texts, try #require(out["NextShardIterator"]?.stringValue))
        }
    }

    /// AWS's ranges for four shards (from a DescribeStream on AWS): quarters of 2¹²⁸.
    @Test(arguments: [1, 3, 4, 7])
    func shardsCoverTheHashKeySpaceWithoutGapsOrOverlaps(count: Int) {
        let s = KinesisStream(id: 1, name: "s", arn: "a", mode: "PROVISIONED", shardCount: count, createdMillis: 0, tags: [])
        #expect(s.hashRange(0).start == 0)
        #expect(s.hashRange(count - 1).end == UInt128.max)
        for i in 1..<max(count, 1) where count > 1 { #expect(s.hashRange(i).start == s.hashRange(i - 1).end + 1) }
        if count == 4 {
            #expect(String(s.hashRange(0).end) == "85070591730234615865843651857942052863")
            #expect(String(s.hashRange(3).start) == "255211775190703847597530955573826158592")
        }
    }

    @Test func recordsGoToTheShardTheirPartitionKeysHashToAndComeBackInOrder() async throws {
        let f = try await Fixture()
        try await f.call("CreateStream", ["StreamName": "orders", "ShardCount": 3])
        let stream = try #require(f.kinesis.streams.stream(named: "orders"))
        var expected: [Int: [String]] = [:]
        for i in 0..<30 {
            let key = "customer-\(i % 7)"
            let out = try await f.put("orders", key, "order \(i)")
            let shard = stream.shard(for: KinesisStream.hash(partitionKey: key))
            #expect(out["ShardId"]?.stringValue == KinesisStream.shardId(shard))
            expected[shard, default: []].append("order \(i)")
        }
        var seen = 0
        for shard in 0..<3 {
            let (texts, _) = try await f.read(try await f.iterator("orders", KinesisStream.shardId(shard), "TRIM_HORIZON"))
            #expect(texts == expected[shard, default: []])
            seen += texts.count
        }
        #expect(seen == 30)
        // ExplicitHashKey overrides the partition key's hash: the top of the space is the last shard.
        let pinned = try await f.call("PutRecord", ["StreamName": "orders", "PartitionKey": "x", "Data": .string(Data("pinned".utf8).base64EncodedString()),
                                                    "ExplicitHashKey": .string(String(UInt128.max))])
        #expect(pinned["ShardId"]?.stringValue == "shardId-000000000002")
    }

    @Test func everyIteratorTypeStartsWhereAWSSays() async throws {
        let f = try await Fixture()
        try await f.call("CreateStream", ["StreamName": "s", "ShardCount": 1])
        let latestBefore = try await f.iterator("s", "shardId-000000000000", "LATEST")
        var sequences: [String] = []
        for i in 0..<4 {
            f.clock.advance(seconds: 10)
            sequences.append(try #require(try await f.put("s", "k", "r\(i)")["SequenceNumber"]?.stringValue))
        }
        #expect(sequences == sequences.sorted())
        let (fromLatest, next) = try await f.read(latestBefore)
        #expect(fromLatest == ["r0", "r1", "r2", "r3"])
        #expect(try await f.read(next).0.isEmpty)
        #expect(try await f.read(try await f.iterator("s", "shardId-000000000000", "LATEST")).0.isEmpty)
        let at = try await f.iterator("s", "shardId-000000000000", "AT_SEQUENCE_NUMBER", extra: ["StartingSequenceNumber": .string(sequences[1])])
        #expect(try await f.read(at).0 == ["r1", "r2", "r3"])
        let after = try await f.iterator("s", "shardId-000000000000", "AFTER_SEQUENCE_NUMBER", extra: ["StartingSequenceNumber": .string(sequences[1])])
        #expect(try await f.read(after).0 == ["r2", "r3"])
        // The third record arrived 30 s after the clock's start.
        let start = Double(f.clock.now().adding(seconds: -40).milliseconds) / 1000
        let timed = try await f.iterator("s", "shardId-000000000000", "AT_TIMESTAMP", extra: ["Timestamp": .double(start + 25)])
        #expect(try await f.read(timed).0 == ["r2", "r3"])
        await #expect(throws: ServiceError("InvalidArgumentException", "")) {
            _ = try await f.iterator("s", "shardId-000000000000", "AT_SEQUENCE_NUMBER", extra: ["StartingSequenceNumber": "12"])
        }
        await #expect(throws: ServiceError("ResourceNotFoundException", "")) {
            _ = try await f.iterator("s", "shardId-000000000001", "TRIM_HORIZON")
        }
    }

    @Test func iteratorsExpireAfterFiveMinutes() async throws {
        let f = try await Fixture()
        try await f.call("CreateStream", ["StreamName": "s", "ShardCount": 1])
        let it = try await f.iterator("s", "shardId-000000000000", "TRIM_HORIZON")
        f.clock.advance(seconds: 299)
        _ = try await f.read(it)
        f.clock.advance(seconds: 2)
        await #expect(throws: ServiceError("ExpiredIteratorException", "")) { _ = try await f.read(it) }
    }

    @Test func retentionTrimsOldRecordsAndDeletionForgetsThem() async throws {
        let f = try await Fixture()
        try await f.call("CreateStream", ["StreamName": "s", "ShardCount": 1])
        _ = try await f.put("s", "k", "old")
        f.clock.advance(seconds: 23 * 3600)
        _ = try await f.put("s", "k", "new")
        f.clock.advance(seconds: 3600 + 1)
        try await f.kinesis.trimExpired()
        #expect(try await f.read(try await f.iterator("s", "shardId-000000000000", "TRIM_HORIZON")).0 == ["new"])
        await #expect(throws: ServiceError("InvalidArgumentException", "")) {
            try await f.call("IncreaseStreamRetentionPeriod", ["StreamName": "s", "RetentionPeriodHours": 12])
        }
        // Deleted and created again under its name: the old records are gone, an old iterator too.
        let old = try await f.iterator("s", "shardId-000000000000", "TRIM_HORIZON")
        try await f.call("DeleteStream", ["StreamName": "s"])
        try await f.call("CreateStream", ["StreamName": "s", "ShardCount": 1])
        await #expect(throws: ServiceError("ResourceNotFoundException", "")) { _ = try await f.read(old) }
        #expect(try await f.read(try await f.iterator("s", "shardId-000000000000", "TRIM_HORIZON")).0.isEmpty)
        await #expect(throws: ServiceError("ResourceInUseException", "")) {
            try await f.call("CreateStream", ["StreamName": "s", "ShardCount": 1])
        }
    }

    @Test func streamsAndRecordsSurviveAReopen() async throws {
        let f = try await Fixture()
        try await f.call("CreateStream", ["StreamName": "kept", "ShardCount": 2, "Tags": ["team": "a"]])
        for i in 0..<10 { _ = try await f.put("kept", "k\(i)", "v\(i)") }
        try await f.reopen()
        let d = try await f.call("DescribeStreamSummary", ["StreamName": "kept"])
        #expect(d["StreamDescriptionSummary"]?["OpenShardCount"] == 2)
        #expect(try await f.call("ListTagsForStream", ["StreamName": "kept"])["Tags"] == [["Key": "team", "Value": "a"]])
        var all: [String] = []
        for shard in 0..<2 { all += try await f.read(try await f.iterator("kept", KinesisStream.shardId(shard), "TRIM_HORIZON")).0 }
        #expect(all.sorted() == (0..<10).map { "v\($0)" }.sorted())
    }
}
