import Engine
import Events
import Foundation
import ServiceKit
import StatesInterpreter
import StatesLanguage
import Tables

/// Mappings from a table's stream to a function: Lambda's defaults for streams (100 records a
/// batch, retries until the records expire), the batch's records in AWS's stream event shape
/// (`eventSourceARN` added), `ReportBatchItemFailures` by sequence number, and the batch given
/// up on reported to the OnFailure queue or topic.
extension EventSourceMappings {
    func createForStream(_ source: String, _ b: JSONObject) async throws(ServiceError) -> JSON {
        guard let streams, let consumer, streams.exists(source) else {
            throw Self.invalid("Stream not found: \(source)")
        }
        guard let position = b["StartingPosition"]?.stringValue else {
            throw Self.invalid("1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null")
        }
        guard position == "LATEST" || position == "TRIM_HORIZON" else {
            throw Self.invalid("Unsupported starting position for DynamoDB streams: \(position)")
        }
        guard let function = b["FunctionName"]?.stringValue else { throw Self.invalid("FunctionName is required.") }
        let id = UUIDText.random()
        var m: JSONObject = [
            "UUID": .string(id), "StartingPosition": .string(position), "BatchSize": 100, "MaximumBatchingWindowInSeconds": 0,
            "ParallelizationFactor": 1, "EventSourceArn": .string(source), "FunctionArn": .string(functionArn(function)),
            "LastProcessingResult": "No records processed", "State": "Enabled", "StateTransitionReason": "User action",
            "DestinationConfig": ["OnFailure": .object([:])], "FunctionResponseTypes": .array([]),
            "MaximumRecordAgeInSeconds": -1, "BisectBatchOnFunctionError": false, "MaximumRetryAttempts": -1, "TumblingWindowInSeconds": 0,
            "EventSourceMappingArn": .string("arn:aws:lambda:\(region):\(account):event-source-mapping:\(id)"),
        ]
        try settle(b, into: &m)
        m["LastModified"] = .double(Date().timeIntervalSince1970)
        try await consumer.start(id, stream: source, position: position)
        try await mappings.insert(id, m, ifTaken: ServiceError("ResourceConflictException", "The mapping exists", kind: .conflict))
        await bell.ring()
        return .object(m)
    }

    func pollStream(_ id: String) async {
        guard let consumer, let streams else { return }
        let mappings = self.mappings
        let engine = self.engine
        await consumer.run(id, settings: {
            guard engine.owns(id), let m = await mappings.get(id), m["State"]?.stringValue == "Enabled",
                  let stream = m["EventSourceArn"]?.stringValue else { return nil }
            let filters = (m["FilterCriteria"]?["Filters"]?.arrayValue ?? []).compactMap { f in
                f["Pattern"]?.stringValue.flatMap { try? EventPattern(text: $0) }
            }
            return StreamConsumer.Settings(stream: stream, batchSize: Int(m["BatchSize"]?.integerValue ?? 100),
                                           maximumRetries: Int(m["MaximumRetryAttempts"]?.integerValue ?? -1),
                                           maximumAgeSeconds: m["MaximumRecordAgeInSeconds"]?.integerValue ?? -1,
                                           bisect: m["BisectBatchOnFunctionError"]?.boolValue ?? false, filters: filters)
        }, deliver: { records in
            guard let m = await mappings.get(id), let function = m["FunctionArn"]?.stringValue else { return .failed("the mapping is gone") }
            let first = records.first?["dynamodb"]?["SequenceNumber"]?.stringValue ?? ""
            guard let outcome = await engine.call(function, parameters: ["Records": .array(records)], caller: "DynamoDB",
                                                  key: "esm/\(id)/\(first)/\(records.count)") else {
                return .failed("no function \(function)")
            }
            switch outcome {
            case .succeeded(let answer):
                if m["FunctionResponseTypes"]?.arrayValue?.contains("ReportBatchItemFailures") == true,
                   let firstFailed = answer["batchItemFailures"]?.arrayValue?.compactMap({ $0["itemIdentifier"]?.stringValue }).min() {
                    return .takenBefore(firstFailed)
                }
                return .taken
            case .pending: return .taken
            case .failed(let e): return .failed("\(e.error): \(e.cause ?? "")")
            }
        }, exhausted: { records, condition, attempts in
            guard let m = await mappings.get(id), let target = m["DestinationConfig"]?["OnFailure"]?["Destination"]?.stringValue,
                  let stream = m["EventSourceArn"]?.stringValue else { return }
            let record = StreamConsumer.failureRecord(records, function: m["FunctionArn"]?.stringValue ?? "", condition: condition,
                                                      attempts: attempts, stream: stream, shard: streams.shardId(stream) ?? "", now: engine.clock.now())
            let sqs = target.hasPrefix("arn:aws:sqs:")
            let parameters: JSON = sqs ? ["QueueUrl": .string(target), "MessageBody": .string(record.serialized)]
                                       : ["TopicArn": .string(target), "Message": .string(record.serialized)]
            _ = await engine.call(sqs ? "arn:aws:states:::sqs:sendMessage" : "arn:aws:states:::sns:publish", parameters: parameters,
                                  caller: "Lambda", key: "esm-failure/\(id)/\(records.first?["dynamodb"]?["SequenceNumber"]?.stringValue ?? "")")
        })
    }
}
