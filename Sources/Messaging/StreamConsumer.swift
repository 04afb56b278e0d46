import Engine
import Events
import Foundation
import ServiceKit
import StatesLanguage
import Tables

/// Reads a table's change stream for one consumer (an event source mapping, a pipe), in
/// order, a batch at a time, from a durable checkpoint: the checkpoint moves only after the
/// batch was taken, so a crash delivers it again (at least once). A failing batch is tried
/// again (halved each time with BisectBatchOnFunctionError) until its retries or its records'
/// age run out; then it is reported to the consumer's on-failure destination and skipped.
/// Only this consumer waits: the others, and the table, go on.
struct StreamConsumer: Sendable {
    let streams: DynamoDBStreamsService
    let checkpoints: DocumentBook<Int64>
    let clock: any EngineClock
    /// Where each running consumer has got to. The durable checkpoint follows it lazily (when
    /// the stream goes quiet, or every second): a crash in between delivers those batches
    /// again, which at-least-once allows, and a state machine target (its execution named by
    /// the batch) starts nothing twice. A commit per batch halved the rate a pipe could take.
    let positions = LockedValue<[String: Int64]>([:])

    /// How long the durable checkpoint may trail the position.
    static let persistEveryMillis: Int64 = 1000

    struct Settings: Sendable {
        var stream: String
        var batchSize: Int
        /// -1: until the records expire (AWS's default for streams).
        var maximumRetries: Int
        var maximumAgeSeconds: Int64
        var bisect: Bool
        var filters: [EventPattern]
    }

    enum Verdict: Sendable {
        case taken
        /// Taken up to (not including) the record with this sequence number (ReportBatchItemFailures).
        case takenBefore(String)
        case failed(String)
    }

    /// Where a new consumer starts: LATEST (after what is there now) or TRIM_HORIZON (the oldest kept).
    func start(_ key: String, stream: String, position: String) async throws(ServiceError) {
        let after = position == "LATEST" ? try await streams.latestSequence(stream) : 0
        try await checkpoints.update(key) { (v: inout Int64?) throws(ServiceError) in v = after }
    }

    func forget(_ key: String) async {
        positions.mutate { $0[key] = nil }
        _ = try? await checkpoints.update(key) { (v: inout Int64?) throws(ServiceError) in v = nil }
    }

    /// Runs until `settings` answers nil (the consumer was disabled or deleted).
    func run(_ key: String, settings: @Sendable () async -> Settings?, deliver: @Sendable ([JSON]) async -> Verdict,
             exhausted: @Sendable ([JSON], _ reason: String, _ attempts: Int) async -> Void) async {
        let bell = streams.tables.streamBell.subscribe()
        defer { streams.tables.streamBell.unsubscribe(bell) }
        var attempts = 0
        var limit: Int?
        var persisted = await checkpoints.get(key) ?? 0
        var persistedAt = clock.now().milliseconds
        positions.mutate { $0[key] = persisted }
        while !Task.isCancelled {
            guard let s = await settings() else {
                await persist(key, &persisted)
                return
            }
            let after = positions.value[key] ?? persisted
            guard let (records, last) = try? await streams.records(s.stream, after: after, limit: min(limit ?? s.batchSize, 1000)), !records.isEmpty else {
                // Nothing new: make the checkpoint durable, then wait for a commit with stream
                // records (or look again in a second).
                await persist(key, &persisted)
                persistedAt = clock.now().milliseconds
                await bell.wait(until: clock.now().adding(seconds: 1), on: clock)
                continue
            }
            if clock.now().milliseconds - persistedAt >= Self.persistEveryMillis {
                await persist(key, &persisted)
                persistedAt = clock.now().milliseconds
            }
            let batch = records.map { r -> JSON in
                guard case .object(var o) = r else { return r }
                o["eventSourceARN"] = .string(s.stream)
                return .object(o)
            }
            let passing = s.filters.isEmpty ? batch : batch.filter { r in s.filters.contains { $0.matches(r) } }
            // Records the filters reject are skipped, as AWS does for streams.
            let verdict: Verdict = passing.isEmpty ? .taken : await deliver(passing)
            switch verdict {
            case .taken:
                await advance(key, to: last)
                attempts = 0
                limit = nil
            case .takenBefore(let sequence):
                let failedAt = DynamoDBStreamsService.sequenceNumber(sequence) ?? after + 1
                await advance(key, to: max(after, failedAt - 1))
                attempts += 1
            case .failed(let reason):
                attempts += 1
                let oldest = passing.first?["dynamodb"]?["ApproximateCreationDateTime"]?.integerValue ?? 0
                let tooOld = s.maximumAgeSeconds >= 0 && clock.now().milliseconds / 1000 - oldest > s.maximumAgeSeconds
                if (s.maximumRetries >= 0 && attempts > s.maximumRetries) || tooOld {
                    await exhausted(passing, tooOld ? "MaximumRecordAgeExceeded" : "RetryAttemptsExhausted", attempts)
                    await advance(key, to: last)
                    attempts = 0
                    limit = nil
                    continue
                }
                // The same records again (halved with bisect), never more: records written
                // since belong to a later batch, and must not share this one's fate.
                limit = s.bisect && passing.count > 1 ? max(1, records.count / 2) : records.count
                // Back off before the same records again: 1, 2, 4 … up to 30 seconds.
                let wait = min(30_000, 500 << min(attempts, 6))
                try? await clock.sleep(until: clock.now().adding(milliseconds: Int64(wait)))
                _ = reason
            }
        }
    }

    private func advance(_ key: String, to sequence: Int64) async {
        positions.mutate { $0[key] = max($0[key] ?? 0, sequence) }
    }

    /// Writes the position as the durable checkpoint (unless the consumer was forgotten).
    private func persist(_ key: String, _ persisted: inout Int64) async {
        guard let position = positions.value[key], position > persisted else { return }
        let stored = try? await checkpoints.update(key) { (v: inout Int64?) throws(ServiceError) -> Bool in
            guard v != nil else { return false }
            v = max(v ?? 0, position)
            return true
        }
        if stored == true { persisted = position }
    }

    /// Lambda's record of a batch given up, sent to an OnFailure queue or topic.
    static func failureRecord(_ batch: [JSON], function: String, condition: String, attempts: Int, stream: String, shard: String,
                              now: Timestamp) -> JSON {
        let first = batch.first?["dynamodb"]
        let last = batch.last?["dynamodb"]
        func arrival(_ d: JSON?) -> JSON {
            .string(Timestamp(milliseconds: (d?["ApproximateCreationDateTime"]?.integerValue ?? 0) * 1000).iso8601)
        }
        return [
            "requestContext": ["requestId": .string(UUIDText.random().lowercased()), "functionArn": .string(function),
                               "condition": .string(condition), "approximateInvokeCount": .int(Int64(attempts))],
            "responseContext": ["statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"],
            "version": "1.0", "timestamp": .string(now.iso8601),
            "DDBStreamBatchInfo": ["shardId": .string(shard), "startSequenceNumber": first?["SequenceNumber"] ?? .null,
                                   "endSequenceNumber": last?["SequenceNumber"] ?? .null,
                                   "approximateArrivalOfFirstRecord": arrival(first), "approximateArrivalOfLastRecord": arrival(last),
                                   "batchSize": .int(Int64(batch.count)), "streamArn": .string(stream)],
        ]
    }
}
