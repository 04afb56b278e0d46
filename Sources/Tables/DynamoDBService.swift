import Engine
import Foundation
import Journal
import Kinesis
import ServiceKit
import ServiceLifecycle
import StatesLanguage

/// Amazon DynamoDB on the seam (`DynamoDB_20120810.*`, JSON 1.0): tables with secondary
/// indexes, items with the whole expression language, queries and scans, batches and
/// transactions, TTL, and a change stream per table whose records are written in the same
/// transaction as the changes they describe.
package struct DynamoDBService: BatonService {
    let catalog: TableCatalog
    let store: ItemStore
    let region: String
    let account: String
    let clock: any EngineClock
    /// Tokens of TransactWriteItems calls (AWS: idempotent for 10 minutes).
    let transactionTokens: LockedValue<[String: (hash: Int, expires: Int64, answer: JSON)]>
    /// Rung after every committed change with a stream record (stream readers wait on it).
    package let streamBell: StreamBell
    /// Where Kinesis streaming destinations write (nil: none can be enabled).
    let kinesis: KinesisStreams?

    package init(_ context: ServiceContext, kinesis: KinesisStreams? = nil) async throws(ServiceError) {
        self.kinesis = kinesis
        store = try await ItemStore(context)
        catalog = try await TableCatalog(store: context.store)
        region = context.region
        account = context.account
        clock = context.engine.clock
        transactionTokens = LockedValue([:])
        streamBell = StreamBell()
        // Changes through another node wake this node's stream readers.
        let bell = streamBell
        store.tables.observe(owner: ItemWriter.streamArrivals) { _ in bell.ring() }
    }

    package var name: String { "dynamodb" }

    package var browseViews: [BrowseView] {
        [BrowseView("Tables", columns: [.init("Name")], action: "ListTables", list: "TableNames")]
    }
    /// AWS: "The total request size … cannot exceed 16 MB" (BatchWriteItem), with room for the
    /// service to name the limit itself.
    package var maximumRequestBytes: Int? { 17 * 1024 * 1024 }
    package var wireProtocol: WireProtocol { .json(targetPrefix: "DynamoDB_20120810", version: "1.0") }

    package var actions: [String: Action] {
        var t = ActionTable(model: DynamoDBModel.constraints)
        let s = self
        t.json("CreateTable") { try await s.createTable($0) }
        t.json("DescribeTable") { try await s.describeTable($0) }
        t.json("ListTables") { try await s.listTables($0) }
        t.json("DeleteTable") { try await s.deleteTable($0) }
        t.json("UpdateTable") { try await s.updateTable($0) }
        t.json("UpdateTimeToLive") { try await s.updateTimeToLive($0) }
        t.json("DescribeTimeToLive") { try await s.describeTimeToLive($0) }
        t.json("TagResource") { try await s.tagResource($0) }
        t.json("UntagResource") { try await s.untagResource($0) }
        t.json("ListTagsOfResource") { try await s.listTags($0) }
        t.json("DescribeContinuousBackups") { try await s.describeContinuousBackups($0) }
        t.json("UpdateContinuousBackups") { try await s.updateContinuousBackups($0) }
        t.json("DescribeEndpoints") { _ in ["Endpoints": [["Address": .string("dynamodb.\(s.region).amazonaws.com"), "CachePeriodInMinutes": 1440]]] }
        t.json("DescribeLimits") { _ in
            ["AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000, "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000]
        }
        t.json("DescribeContributorInsights") { r in
            let name = TableCatalog.name(try r.required("TableName"))
            _ = try await s.catalog.record(name)
            var out: JSONObject = ["TableName": .string(name), "ContributorInsightsStatus": "DISABLED"]
            if let index = try r.string("IndexName") { out["IndexName"] = .string(index) }
            return .object(out)
        }
        t.json("EnableKinesisStreamingDestination") { try await s.enableKinesisDestination($0) }
        t.json("DisableKinesisStreamingDestination") { try await s.disableKinesisDestination($0) }
        t.json("UpdateKinesisStreamingDestination") { try await s.updateKinesisDestination($0) }
        t.json("DescribeKinesisStreamingDestination") { try await s.describeKinesisDestination($0) }
        t.json("PutItem") { try await s.putItem($0) }
        t.bytes("GetItem") { try await s.getItem($0) }
        t.json("UpdateItem") { try await s.updateItem($0) }
        t.json("DeleteItem") { try await s.deleteItem($0) }
        t.bytes("Query") { try await s.query($0) }
        t.bytes("Scan") { try await s.scan($0) }
        t.json("BatchGetItem") { try await s.batchGetItem($0) }
        t.json("BatchWriteItem") { try await s.batchWriteItem($0) }
        t.json("TransactWriteItems") { try await s.transactWriteItems($0) }
        t.json("TransactGetItems") { try await s.transactGetItems($0) }
        t.json("ExecuteStatement") { try await s.executeStatement($0) }
        t.json("BatchExecuteStatement") { try await s.batchExecuteStatement($0) }
        return t.actions
    }

    package var taskResources: [TaskResourceBinding] {
        let handler = DynamoDBTaskHandler(actions: actions)
        return ["putItem", "getItem", "updateItem", "deleteItem"].map {
            TaskResourceBinding(.resource("arn:aws:states:::dynamodb:\($0)"), handler)
        } + [TaskResourceBinding(.sdk(service: "dynamodb"), SDKTaskHandler(service: "DynamoDb", actions: actions))]
    }

    package var backgroundServices: [any ServiceLifecycle.Service] {
        let s = self
        return [LoopService { await s.sweep() }]
    }

    var now: Timestamp { clock.now() }

    func tableArn(_ name: String) -> String { "arn:aws:dynamodb:\(region):\(account):table/\(name)" }
}
