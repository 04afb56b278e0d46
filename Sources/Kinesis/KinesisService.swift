import Engine
import Foundation
import Journal
import ServiceKit
import ServiceLifecycle
import StatesLanguage

/// Amazon Kinesis Data Streams on the seam (`Kinesis_20131202.*`, JSON 1.1): streams split
/// into shards by the MD5 of each record's partition key, records kept in the journal's
/// database for the stream's retention, read through shard iterators. Tables write their
/// changes into a stream here when a Kinesis streaming destination is on.
package struct KinesisService: BatonService {
    package let streams: KinesisStreams
    let region: String
    let account: String
    let clock: any EngineClock

    package init(_ context: ServiceContext) async throws(ServiceError) {
        streams = try await KinesisStreams(context)
        region = context.region
        account = context.account
        clock = context.engine.clock
    }

    package var name: String { "kinesis" }

    package var browseViews: [BrowseView] {
        [BrowseView("Streams", columns: [.init("Name")], action: "ListStreams", list: "StreamNames")]
    }
    package var wireProtocol: WireProtocol { .json(targetPrefix: "Kinesis_20131202", version: "1.1") }
    /// PutRecords: 500 records of up to 10 MiB in all, base64 in the body.
    package var maximumRequestBytes: Int? { 14 * 1024 * 1024 }

    var now: Timestamp { clock.now() }

    /// AWS: "A shard iterator expires 5 minutes after it is returned to the requester."
    static let iteratorLifetimeMillis: Int64 = 5 * 60_000

    package var actions: [String: Action] {
        var t = ActionTable(model: KinesisModel.constraints)
        let s = self
        t.json("CreateStream") { try await s.createStream($0) }
        t.json("DeleteStream") { try await s.deleteStream($0) }
        t.json("DescribeStream") { try s.describeStream($0) }
        t.json("DescribeStreamSummary") { try s.describeStreamSummary($0) }
        t.json("ListStreams") { try s.listStreams($0) }
        t.json("ListShards") { try s.listShards($0) }
        t.json("IncreaseStreamRetentionPeriod") { try await s.changeRetention($0, increase: true) }
        t.json("DecreaseStreamRetentionPeriod") { try await s.changeRetention($0, increase: false) }
        t.json("StartStreamEncryption") { try await s.encryption($0, start: true) }
        t.json("StopStreamEncryption") { try await s.encryption($0, start: false) }
        t.json("AddTagsToStream") { try await s.addTags($0, member: "Tags") }
        t.json("RemoveTagsFromStream") { try await s.removeTags($0) }
        t.json("ListTagsForStream") { try s.listTags($0, legacy: true) }
        t.json("TagResource") { try await s.addTags($0, member: "Tags") }
        t.json("UntagResource") { try await s.removeTags($0) }
        t.json("ListTagsForResource") { try s.listTags($0, legacy: false) }
        t.json("DescribeLimits") { _ in
            let all = s.streams.all
            return ["ShardLimit": 500, "OpenShardCount": .int(Int64(all.reduce(0) { $0 + $1.shardCount })),
                    "OnDemandStreamCount": .int(Int64(all.filter { $0.mode == "ON_DEMAND" }.count)), "OnDemandStreamCountLimit": 50]
        }
        t.json("PutRecord") { try await s.putRecord($0) }
        t.json("PutRecords") { try await s.putRecords($0) }
        t.json("GetShardIterator") { try await s.getShardIterator($0) }
        t.json("GetRecords") { try await s.getRecords($0) }
        return t.actions
    }

    /// `arn:aws:states:::aws-sdk:kinesis:<action>`: a Task state's (or a bus target's) way in.
    package var taskResources: [TaskResourceBinding] {
        [TaskResourceBinding(.sdk(service: "kinesis"), SDKTaskHandler(service: "Kinesis", actions: actions))]
    }

    package var backgroundServices: [any ServiceLifecycle.Service] {
        let s = self
        return [LoopService { await s.sweep() }]
    }

    /// Trims records past each stream's retention, once a minute.
    func sweep() async {
        let bell = Doorbell()
        while !Task.isCancelled {
            _ = try? await trimExpired()
            await bell.wait(until: clock.now().adding(seconds: 60), on: clock)
        }
    }

    package func trimExpired() async throws(ServiceError) {
        let now = self.now.milliseconds
        for s in streams.all { try await streams.trim(s.id, before: now - Int64(s.retentionHours) * 3_600_000) }
    }

    // MARK: naming

    func arn(_ name: String) -> String { "arn:aws:kinesis:\(region):\(account):stream/\(name)" }

    func notFound(_ name: String) -> ServiceError {
        ServiceError("ResourceNotFoundException", "Stream \(name) under account \(account) not found.", kind: .notFound)
    }

    /// The stream a request names by `StreamName` or `StreamARN`.
    func stream(_ r: JSONRequest) throws(ServiceError) -> KinesisStream {
        var given = try r.string("StreamARN")
        if given == nil { given = try r.string("ResourceARN") }
        if let arn = given {
            guard let s = streams.stream(arn: arn) else { throw notFound(KinesisStreams.name(arn: arn) ?? arn) }
            return s
        }
        guard let name = try r.string("StreamName") else {
            throw ServiceError("ValidationException", "Either StreamName or StreamARN should be provided.")
        }
        guard let s = streams.stream(named: name) else { throw notFound(name) }
        return s
    }

    static func invalid(_ message: String) -> ServiceError { ServiceError("InvalidArgumentException", message) }
}
