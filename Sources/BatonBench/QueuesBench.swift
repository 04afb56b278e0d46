import Engine
import Foundation
import Journal
import Logging
import Messaging
import ServiceKit
import StatesLanguage

/// SQS in process (the service's actions, no HTTP), the journal at synchronous FULL:
/// 1. send + receive + delete in batches of 10 from `workers` concurrent loops (messages/s);
/// 2. long-poll wake-up: a receiver parked on an empty queue, a send; the time from the send's
///    answer (its commit) to the receiver's answer, p50/p99 over `rounds`;
/// 3. `waiting` messages left in queues: resident memory before and after.
enum QueuesBench {
    static func call(_ service: any BatonService, _ action: String, _ body: JSONObject) async throws -> JSON {
        guard let perform = service.actions[action] else { throw ServiceError("UnknownOperation", action) }
        return try JSONParser.parse(try await perform(ServiceCall(action: action, json: body)).body)
    }

    static func run(seconds: Double, workers: Int, waiting: Int) async throws {
        let bench = try BenchJournal("queues")
        defer { bench.close() }
        let (dir, journal, engine) = (bench.dir, bench.journal, bench.engine)
        let sqs = try await SQSService(ServiceContext(engine: engine, database: journal, dataDirectory: dir))
        print("synchronous=\(try journal.pragma("synchronous") ?? "?") (2 = FULL)")

        // 1. Throughput.
        let url = try await call(sqs, "CreateQueue", ["QueueName": "throughput"])["QueueUrl"] ?? .null
        let payload = String(repeating: "x", count: 100)
        let entries: JSON = .array((0..<10).map { i in ["Id": .string("m\(i)"), "MessageBody": .string(payload)] })
        let start = monotonicSeconds()
        let deadline = start + seconds
        let done = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var moved = 0
                    while monotonicSeconds() < deadline {
                        _ = try await call(sqs, "SendMessageBatch", ["QueueUrl": url, "Entries": entries])
                        let got = try await call(sqs, "ReceiveMessage", ["QueueUrl": url, "MaxNumberOfMessages": 10])
                        let receipts = got["Messages"]?.arrayValue ?? []
                        guard !receipts.isEmpty else { continue }
                        let deletes: JSON = .array(receipts.enumerated().map { i, m in
                            ["Id": .string("d\(i)"), "ReceiptHandle": m["ReceiptHandle"] ?? .null]
                        })
                        let answer = try await call(sqs, "DeleteMessageBatch", ["QueueUrl": url, "Entries": deletes])
                        moved += answer["Successful"]?.arrayValue?.count ?? 0
                    }
                    return moved
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = monotonicSeconds() - start
        print(String(format: "send+receive+delete, batches of 10, %d workers: %.0f messages/s (%d in %.1f s)",
                     workers, Double(done) / elapsed, done, elapsed))

        // 2. Long-poll wake-up after the send commits.
        let pollURL = try await call(sqs, "CreateQueue", ["QueueName": "poll"])["QueueUrl"] ?? .null
        var latencies: [Double] = []
        for i in 0..<500 {
            let receiver = Task { () -> (Double, JSON?) in
                let got = try await call(sqs, "ReceiveMessage", ["QueueUrl": pollURL, "WaitTimeSeconds": 20])
                return (monotonicSeconds(), got["Messages"]?.arrayValue?.first)
            }
            while await sqs.parkedReceivers("poll") == 0 { await Task.yield() }
            _ = try await call(sqs, "SendMessage", ["QueueUrl": pollURL, "MessageBody": .string("m\(i)")])
            let committed = monotonicSeconds()
            let (woke, message) = try await receiver.value
            latencies.append(max(0, woke - committed))
            if let receipt = message?["ReceiptHandle"] {
                _ = try await call(sqs, "DeleteMessage", ["QueueUrl": pollURL, "ReceiptHandle": receipt])
            }
        }
        latencies.sort()
        func pct(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] * 1000 }
        print(String(format: "long-poll wake-up after the send's commit: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d rounds)",
                     pct(0.5), pct(0.99), latencies.last.map { $0 * 1000 } ?? 0, latencies.count))

        // 3. Messages waiting cost disk, not memory.
        guard waiting > 0 else { return }
        let before = ParkedBench.residentMegabytes()
        let waitURL = try await call(sqs, "CreateQueue", ["QueueName": "waiting"])["QueueUrl"] ?? .null
        let batches = waiting / 10
        let t0 = monotonicSeconds()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<64 {
                group.addTask {
                    var b = w
                    while b < batches {
                        _ = try await call(sqs, "SendMessageBatch", ["QueueUrl": waitURL, "Entries": entries])
                        b += 64
                    }
                }
            }
            try await group.waitForAll()
        }
        let after = ParkedBench.residentMegabytes()
        let counted = try await call(sqs, "GetQueueAttributes", ["QueueUrl": waitURL, "AttributeNames": ["ApproximateNumberOfMessages"]])
        print(String(format: "%@ messages waiting (sent at %.0f/s): resident memory %.0f MB before, %.0f MB after (+%.0f MB)",
                     counted["Attributes"]?["ApproximateNumberOfMessages"]?.stringValue ?? "?", Double(batches * 10) / (monotonicSeconds() - t0),
                     before, after, after - before))
    }
}
