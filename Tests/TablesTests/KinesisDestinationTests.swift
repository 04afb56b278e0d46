import Engine
import Foundation
import Journal
import Kinesis
import ServiceKit
import StatesLanguage
import Testing
@testable import Tables

/// A table streaming to a Kinesis data stream: each change's record written in the change's
/// transaction (none for a refused change), both images whatever the stream view type, the
/// precision it was asked for, and AWS's answers for the destination's states.
@Suite struct KinesisDestinationTests {
    typealias Backend = TableServiceTests.Backend

    final class Fixture {
        let dir = NSTemporaryDirectory() + "baton-kds-\(UUID().uuidString)"
        let clock = ManualEngineClock()
        let close: @Sendable () async -> Void
        let kinesis: KinesisService
        let tables: DynamoDBService

        init(_ backend: Backend) async throws {
            let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            let (context, close) = try await backend.context(dir: dir, schema: schema, clock: clock)
            self.close = close
            kinesis = try await KinesisService(context)
            tables = try await DynamoDBService(context, kinesis: kinesis.streams)
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

        /// Every record of the one-shard stream `s`, decoded.
        func records() async throws -> [JSON] {
            let it = try await call("GetShardIterator", #"{"StreamName": "s", "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"}"#, on: kinesis)
            let out = try await call("GetRecords", #"{"ShardIterator": "\#(it["ShardIterator"]?.stringValue ?? "")"}"#, on: kinesis)
            return try (out["Records"]?.arrayValue ?? []).map { r in
                try JSONParser.parse(Array(Data(base64Encoded: r["Data"]?.stringValue ?? "") ?? Data()))
            }
        }
    }

    static let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s"

    @Test(arguments: Backend.allCases)
    func changesReachTheStreamInTheirOwnTransaction(_ backend: Backend) async throws {
        let f = try await Fixture(backend)
        try await f.call("CreateStream", #"{"StreamName": "s", "ShardCount": 1}"#, on: f.kinesis)
        try await f.call("CreateTable", #"""
            {"TableName": "users", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
             "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST",
             "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"}}
            """#)
        let enabled = try await f.call("EnableKinesisStreamingDestination", #"{"TableName": "users", "StreamArn": "\#(Self.arn)"}"#)
        #expect(enabled["DestinationStatus"] == "ENABLING")
        let described = try await f.call("DescribeKinesisStreamingDestination", #"{"TableName": "users"}"#)
        #expect(described["KinesisDataStreamDestinations"] == [["StreamArn": .string(Self.arn), "DestinationStatus": "ACTIVE"]])

        try await f.call("PutItem", #"{"TableName": "users", "Item": {"id": {"S": "a"}, "n": {"N": "1"}}}"#)
        try await f.call("UpdateItem", #"{"TableName": "users", "Key": {"id": {"S": "a"}}, "UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":n": {"N": "2"}}}"#)
        // Refused: no change, no record.
        await #expect(throws: ServiceError("ConditionalCheckFailedException", "")) {
            try await f.call("PutItem", #"{"TableName": "users", "Item": {"id": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(id)"}"#)
        }
        // Identical: no record.
        try await f.call("PutItem", #"{"TableName": "users", "Item": {"id": {"S": "a"}, "n": {"N": "2"}}}"#)
        try await f.call("DeleteItem", #"{"TableName": "users", "Key": {"id": {"S": "a"}}}"#)

        let records = try await f.records()
        #expect(records.map { $0["eventName"]?.stringValue } == ["INSERT", "MODIFY", "REMOVE"])
        #expect(records.allSatisfy { $0["tableName"] == "users" && $0["eventSource"] == "aws:dynamodb" && $0["recordFormat"] == "application/json" })
        // Both images, though the table's own stream keeps only keys.
        #expect(records[1]["dynamodb"]?["OldImage"]?["n"] == ["N": "1"])
        #expect(records[1]["dynamodb"]?["NewImage"]?["n"] == ["N": "2"])
        #expect(records[2]["dynamodb"]?["NewImage"] == nil)
        #expect(records[0]["dynamodb"]?["ApproximateCreationDateTime"]?.integerValue == f.clock.now().milliseconds)

        // Microseconds once asked for; asking again for the same precision is refused, as AWS refuses it.
        try await f.call("UpdateKinesisStreamingDestination", #"{"TableName": "users", "StreamArn": "\#(Self.arn)", "UpdateKinesisStreamingConfiguration": {"ApproximateCreationDateTimePrecision": "MICROSECOND"}}"#)
        await #expect(throws: ServiceError.validation("")) {
            try await f.call("UpdateKinesisStreamingDestination", #"{"TableName": "users", "StreamArn": "\#(Self.arn)", "UpdateKinesisStreamingConfiguration": {"ApproximateCreationDateTimePrecision": "MICROSECOND"}}"#)
        }
        await #expect(throws: ServiceError.validation("")) {
            try await f.call("UpdateKinesisStreamingDestination", #"{"TableName": "users", "StreamArn": "\#(Self.arn)", "UpdateKinesisStreamingConfiguration": {"ApproximateCreationDateTimePrecision": "SECOND"}}"#)
        }
        try await f.call("PutItem", #"{"TableName": "users", "Item": {"id": {"S": "b"}}}"#)
        #expect(try await f.records().last?["dynamodb"]?["ApproximateCreationDateTime"]?.integerValue == f.clock.now().milliseconds * 1000)

        // Disabled: later changes stay out of the stream.
        let disabled = try await f.call("DisableKinesisStreamingDestination", #"{"TableName": "users", "StreamArn": "\#(Self.arn)"}"#)
        #expect(disabled["DestinationStatus"] == "DISABLING")
        try await f.call("PutItem", #"{"TableName": "users", "Item": {"id": {"S": "c"}}}"#)
        #expect(try await f.records().count == 4)
        await #expect(throws: ServiceError.validation("")) {
            try await f.call("DisableKinesisStreamingDestination", #"{"TableName": "users", "StreamArn": "\#(Self.arn)"}"#)
        }
        await f.shutdown()
    }

    @Test(arguments: Backend.allCases)
    func aDestinationNeedsATableAndAStream(_ backend: Backend) async throws {
        let f = try await Fixture(backend)
        await #expect(throws: ServiceError("ResourceNotFoundException", "")) {
            try await f.call("EnableKinesisStreamingDestination", #"{"TableName": "nope", "StreamArn": "\#(Self.arn)"}"#)
        }
        try await f.call("CreateTable", #"{"TableName": "users", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}"#)
        await #expect(throws: ServiceError.validation("")) {
            try await f.call("EnableKinesisStreamingDestination", #"{"TableName": "users", "StreamArn": "\#(Self.arn)"}"#)
        }
        await f.shutdown()
    }
}
