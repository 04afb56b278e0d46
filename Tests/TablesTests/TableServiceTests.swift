import Engine
import Foundation
import Journal
import JournalPostgres
import ServiceKit
import StatesLanguage
import Testing
@testable import Tables

/// The tables over a real journal on a manual clock: each change and its stream record in one
/// transaction, none for a refused or empty change, TTL deletes recorded as the service's,
/// indexes backfilled, everything there after a reopen.
@Suite struct TableServiceTests {
    /// SQLite in the data directory, or PostgreSQL (a schema of the test's own) when
    /// `BATON_TEST_POSTGRES` names a server: the same tests on both.
    enum Backend: String, CaseIterable, Sendable {
        case sqlite, postgres
        static let url = ProcessInfo.processInfo.environment["BATON_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
        static var allCases: [Backend] { url == nil ? [.sqlite] : [.sqlite, .postgres] }

        /// The service context of a node on this backend (`schema`: PostgreSQL's, kept across a reopen).
        func context(dir: String, schema: String, clock: ManualEngineClock) async throws -> (ServiceContext, @Sendable () async -> Void) {
            let db = try SQLiteJournal(directory: dir, synchronous: .normal)
            switch self {
            case .sqlite:
                return (ServiceContext(engine: Engine(journal: db, clock: clock), database: db, dataDirectory: dir), { db.close() })
            case .postgres:
                var location = try PostgresLocation(url: Self.url ?? "")
                location.schema = schema
                location.poolSize = 2
                let pg = try await PostgresJournal(location: location)
                return (ServiceContext(engine: Engine(journal: pg, clock: clock), database: db, store: pg, dataDirectory: dir), {
                    await pg.close()
                    db.close()
                })
            }
        }
    }

    final class Fixture {
        let dir = NSTemporaryDirectory() + "baton-tables-\(UUID().uuidString)"
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let clock = ManualEngineClock()
        let backend: Backend
        var close: @Sendable () async -> Void = {}
        var tables: DynamoDBService
        var streams: DynamoDBStreamsService

        init(_ backend: Backend = .sqlite) async throws {
            self.backend = backend
            let (context, close) = try await backend.context(dir: dir, schema: schema, clock: clock)
            self.close = close
            tables = try await DynamoDBService(context)
            streams = DynamoDBStreamsService(tables: tables)
        }

        func reopen() async throws {
            await close()
            let (context, close) = try await backend.context(dir: dir, schema: schema, clock: clock)
            self.close = close
            tables = try await DynamoDBService(context)
            streams = DynamoDBStreamsService(tables: tables)
        }

        func shutdown() async {
            await close()
            try? FileManager.default.removeItem(atPath: dir)
        }

        @discardableResult
        func call(_ action: String, _ body: String, on service: (any BatonService)? = nil) async throws -> JSON {
            let s = service ?? tables
            let perform = try #require(s.actions[action])
            return try JSONParser.parse(try await perform(ServiceCall(action: action, body: Array(body.utf8))).body)
        }

        func createTable(_ name: String = "tbl", extra: String = "") async throws -> String {
            let d = try await call("CreateTable", #"""
                {"TableName": "\#(name)", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                 "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}\#(extra.isEmpty ? "" : #", {"AttributeName": "g", "AttributeType": "S"}"#)],
                 "BillingMode": "PAY_PER_REQUEST", "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}
                 \#(extra)}
                """#)
            return try #require(d["TableDescription"]?["LatestStreamArn"]?.stringValue)
        }

        func records(_ arn: String) async throws -> [JSON] { try await streams.records(arn, after: 0, limit: 1000).0 }
    }

    static let withIndex = #", "GlobalSecondaryIndexes": [{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}]"#

    @Test(arguments: Backend.allCases)
    func aRefusedOrEmptyChangeWritesNothing(_ backend: Backend) async throws {
        let f = try await Fixture(backend)
        let arn = try await f.createTable(extra: Self.withIndex)
        try await f.call("PutItem", #"{"TableName": "tbl", "Item": {"id": {"S": "a"}, "g": {"S": "x"}}}"#)
        // Identical: no record.
        try await f.call("PutItem", #"{"TableName": "tbl", "Item": {"g": {"S": "x"}, "id": {"S": "a"}}}"#)
        // Refused by its condition: no change, no record.
        await #expect(throws: ServiceError("ConditionalCheckFailedException", "")) {
            try await f.call("PutItem", #"{"TableName": "tbl", "Item": {"id": {"S": "a"}, "g": {"S": "y"}}, "ConditionExpression": "attribute_not_exists(id)"}"#)
        }
        // Refused by the index's key type: no change, no record.
        await #expect(throws: ServiceError.validation("")) {
            try await f.call("PutItem", #"{"TableName": "tbl", "Item": {"id": {"S": "a"}, "g": {"N": "1"}}}"#)
        }
        // A delete of nothing: no record.
        try await f.call("DeleteItem", #"{"TableName": "tbl", "Key": {"id": {"S": "zz"}}}"#)
        let records = try await f.records(arn)
        #expect(records.map { $0["eventName"]?.stringValue } == ["INSERT"])
        let item = try await f.call("GetItem", #"{"TableName": "tbl", "Key": {"id": {"S": "a"}}}"#)
        #expect(item["Item"]?["g"] == ["S": "x"])
        let byIndex = try await f.call("Query", #"{"TableName": "tbl", "IndexName": "by-g", "KeyConditionExpression": "g = :g", "ExpressionAttributeValues": {":g": {"S": "x"}}}"#)
        #expect(byIndex["Count"] == 1)
        await f.shutdown()
    }

    @Test(arguments: Backend.allCases)
    func aTransactionIsAllOrNothingWithItsRecords(_ backend: Backend) async throws {
        let f = try await Fixture(backend)
        let arn = try await f.createTable()
        await #expect(throws: ServiceError("TransactionCanceledException", "")) {
            try await f.call("TransactWriteItems", #"""
                {"TransactItems": [{"Put": {"TableName": "tbl", "Item": {"id": {"S": "a"}}}},
                                   {"ConditionCheck": {"TableName": "tbl", "Key": {"id": {"S": "b"}}, "ConditionExpression": "attribute_exists(id)"}}]}
                """#)
        }
        #expect(try await f.records(arn).isEmpty)
        #expect(try await f.call("GetItem", #"{"TableName": "tbl", "Key": {"id": {"S": "a"}}}"#)["Item"] == nil)
        try await f.call("TransactWriteItems", #"""
            {"TransactItems": [{"Put": {"TableName": "tbl", "Item": {"id": {"S": "a"}}}}, {"Put": {"TableName": "tbl", "Item": {"id": {"S": "b"}}}}]}
            """#)
        #expect(try await f.records(arn).count == 2)
        await f.shutdown()
    }

    @Test(arguments: Backend.allCases)
    func expiredItemsAreDeletedAsTheServicesOwnChange(_ backend: Backend) async throws {
        let f = try await Fixture(backend)
        let arn = try await f.createTable()
        let now = f.clock.now().milliseconds / 1000
        try await f.call("PutItem", #"{"TableName": "tbl", "Item": {"id": {"S": "old"}, "ttl": {"N": "\#(now + 60)"}}}"#)
        try await f.call("PutItem", #"{"TableName": "tbl", "Item": {"id": {"S": "keep"}, "ttl": {"N": "\#(now + 3600)"}}}"#)
        try await f.call("PutItem", #"{"TableName": "tbl", "Item": {"id": {"S": "none"}}}"#)
        // Items written before TTL was turned on are stamped when it is.
        try await f.call("UpdateTimeToLive", #"{"TableName": "tbl", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "ttl"}}"#)
        #expect(try await f.tables.expireDue() == 0)
        f.clock.advance(seconds: 61)
        #expect(try await f.tables.expireDue() == 1)
        let removed = try #require(try await f.records(arn).last)
        #expect(removed["eventName"] == "REMOVE")
        #expect(removed["userIdentity"] == ["type": "Service", "principalId": "dynamodb.amazonaws.com"])
        #expect(removed["dynamodb"]?["Keys"] == ["id": ["S": "old"]])
        let scan = try await f.call("Scan", #"{"TableName": "tbl"}"#)
        #expect(scan["Count"] == 2)
        await f.shutdown()
    }

    @Test(arguments: Backend.allCases)
    func aNewIndexIsBackfilledAndEverythingIsThereAfterAReopen(_ backend: Backend) async throws {
        let f = try await Fixture(backend)
        _ = try await f.createTable()
        for i in 0..<20 {
            try await f.call("PutItem", #"{"TableName": "tbl", "Item": {"id": {"S": "k\#(i)"}, "g": {"S": "\#(i % 2 == 0 ? "even" : "odd")"}}}"#)
        }
        try await f.call("UpdateTable", #"""
            {"TableName": "tbl", "AttributeDefinitions": [{"AttributeName": "g", "AttributeType": "S"}],
             "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}}]}
            """#)
        try await f.reopen()
        let odd = try await f.call("Query", #"{"TableName": "tbl", "IndexName": "by-g", "KeyConditionExpression": "g = :g", "ExpressionAttributeValues": {":g": {"S": "odd"}}}"#)
        #expect(odd["Count"] == 10)
        let streams = try await f.call("ListStreams", #"{"TableName": "tbl"}"#, on: f.streams)
        #expect(streams["Streams"]?.arrayValue?.count == 1)
        await f.shutdown()
    }

    @Test(arguments: Backend.allCases)
    func shardIteratorsExpireAfterFifteenMinutes(_ backend: Backend) async throws {
        let f = try await Fixture(backend)
        let arn = try await f.createTable()
        let shard = try #require(f.streams.shardId(arn))
        let it = try await f.call("GetShardIterator", #"{"StreamArn": "\#(arn)", "ShardId": "\#(shard)", "ShardIteratorType": "TRIM_HORIZON"}"#, on: f.streams)
        let iterator = try #require(it["ShardIterator"]?.stringValue)
        try await f.call("GetRecords", #"{"ShardIterator": "\#(iterator)"}"#, on: f.streams)
        f.clock.advance(seconds: 15 * 60 + 1)
        await #expect(throws: ServiceError("ExpiredIteratorException", "")) {
            try await f.call("GetRecords", #"{"ShardIterator": "\#(iterator)"}"#, on: f.streams)
        }
        await f.shutdown()
    }
}
