import Engine
import Foundation
import Journal
import Logging
import ServiceKit
import ServiceList
import StatesLanguage

/// DynamoDB in process (the services' actions, no HTTP), the journal at synchronous FULL:
/// 1. PutItem of new 1 KB items and GetItem of stored ones from `workers` concurrent loops;
/// 2. a table stream piped to a Standard state machine: PutItem's answer to ExecutionStarted
///    committed, at a paced rate, p50/p99;
/// 3. a table grown to `items` items, then a Query of one partition's 100 items, timed one at a time.
enum TablesBench {
    static func call(_ service: any BatonService, _ action: String, _ body: JSONObject) async throws -> JSON {
        guard let perform = service.actions[action] else { throw ServiceError("UnknownOperation", action) }
        let reply = try await perform(ServiceCall(action: action, json: body))
        return reply.body.isEmpty ? .null : try JSONParser.parse(reply.body)
    }

    static func pct(_ sorted: [Double], _ p: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000
    }

    static func run(seconds: Double, workers: Int, items: Int) async throws {
        let bench = try BenchJournal("tables")
        defer { bench.close() }
        let (dir, journal, engine) = (bench.dir, bench.journal, bench.engine)
        let services = try await ServiceList.make(ServiceContext(engine: engine, database: journal, dataDirectory: dir))
        engine.install(TaskRegistry(services: services))
        func service(_ name: String) throws -> any BatonService {
            guard let s = services.first(where: { $0.name == name }) else { throw ServiceError("Bench", "no service \(name)") }
            return s
        }
        let ddb = try service("dynamodb")
        print("synchronous=\(try journal.pragma("synchronous") ?? "?") (2 = FULL)")
        let pad = JSON.string(String(repeating: "x", count: 1000))
        _ = try await call(ddb, "CreateTable", [
            "TableName": "bench", "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"], ["AttributeName": "sk", "KeyType": "RANGE"]],
            "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"], ["AttributeName": "sk", "AttributeType": "N"]]])

        // 1. PutItem, then GetItem of what was put.
        for action in ["PutItem", "GetItem"] {
            let start = monotonicSeconds()
            let deadline = start + seconds
            let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
                for w in 0..<workers {
                    group.addTask {
                        var mine: [Double] = []
                        var n = 0
                        while monotonicSeconds() < deadline {
                            let key: JSON = .string("w\(w)-\(action == "PutItem" ? n : n % max(1, 2000))")
                            let t = monotonicSeconds()
                            if action == "PutItem" {
                                _ = try await call(ddb, "PutItem", ["TableName": "bench", "Item": ["pk": ["S": key], "sk": ["N": "0"], "pad": ["S": pad]]])
                            } else {
                                _ = try await call(ddb, "GetItem", ["TableName": "bench", "Key": ["pk": ["S": key], "sk": ["N": "0"]]])
                            }
                            mine.append(monotonicSeconds() - t)
                            n += 1
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }.sorted()
            }
            let elapsed = monotonicSeconds() - start
            print(String(format: "%@ of 1 KB items, %d workers: %.0f/s, p50 %.3f ms, p99 %.3f ms", action, workers,
                         Double(latencies.count) / elapsed, pct(latencies, 0.5), pct(latencies, 0.99)))
        }

        // 2. Stream -> pipe -> Standard execution started.
        let sfn = try service("states")
        let sm = try await call(sfn, "CreateStateMachine", [
            "name": "on-change", "roleArn": "arn:aws:iam::000000000000:role/r",
            "definition": #"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}"#])["stateMachineArn"] ?? .null
        let stream = try await call(ddb, "CreateTable", [
            "TableName": "changes", "BillingMode": "PAY_PER_REQUEST", "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"]],
            "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"]],
            "StreamSpecification": ["StreamEnabled": true, "StreamViewType": "NEW_IMAGE"]])["TableDescription"]?["LatestStreamArn"] ?? .null
        let pipes = try service("pipes")
        guard let create = pipes.actions["CreatePipe"] else { return }
        _ = try await create(ServiceCall(action: "CreatePipe", method: "POST", path: "/v1/pipes/changes", parameters: ["Name": "changes"],
                                         body: JSON.object(["Source": stream, "Target": sm, "RoleArn": "arn:aws:iam::000000000000:role/r",
                                                            "SourceParameters": ["DynamoDBStreamParameters": ["StartingPosition": "LATEST", "BatchSize": 1]]]).serializedBytes))
        let sent = LockedValue<[String: Double]>([:])
        let started = LockedValue<[Double]>([])
        engine.onStatusChange { record in
            guard record.status == .running, let id = (try? JSONParser.parse(record.input))?.arrayValue?.first?["dynamodb"]?["Keys"]?["pk"]?["S"]?.stringValue,
                  let t = sent.value[id] else { return }
            let now = monotonicSeconds()
            started.mutate { $0.append(now - t) }
        }
        let rounds = 2000
        let rate = 500.0
        await withTaskGroup(of: Void.self) { group in
            for s in services.flatMap(\.backgroundServices) { group.addTask { try? await s.run() } }
            group.addTask { await engine.run() }
            try? await Task.sleep(nanoseconds: 500_000_000)
            let begin = monotonicSeconds()
            for i in 0..<rounds {
                let due = begin + Double(i) / rate
                let wait = due - monotonicSeconds()
                if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
                let key = "c\(i)"
                let t = monotonicSeconds()
                sent.mutate { $0[key] = t }
                _ = try? await call(ddb, "PutItem", ["TableName": "changes", "Item": ["pk": ["S": .string(key)]]])
            }
            let deadline = monotonicSeconds() + 30
            while started.value.count < rounds && monotonicSeconds() < deadline { try? await Task.sleep(nanoseconds: 10_000_000) }
            let l = started.value.sorted()
            print(String(format: "stream record -> pipe -> ExecutionStarted, %d writes at %.0f/s: %d started, p50 %.2f ms, p99 %.2f ms",
                         rounds, rate, l.count, pct(l, 0.5), pct(l, 0.99)))
            engine.shutdown()
            group.cancelAll()
        }
        // 3. Grow the table, then Query one partition's 100 items.
        let loadStart = monotonicSeconds()
        let perWorker = items / workers
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<workers {
                group.addTask {
                    var i = 0
                    while i < perWorker {
                        let batch: [JSON] = (i..<min(perWorker, i + 25)).map { n in
                            ["PutRequest": ["Item": ["pk": ["S": .string("load\(w)-\(n / 10)")], "sk": ["N": .string(String(n % 10))], "pad": ["S": pad]]]]
                        }
                        _ = try await call(ddb, "BatchWriteItem", ["RequestItems": ["bench": .array(batch)]])
                        i += 25
                    }
                }
            }
            try await group.waitForAll()
        }
        for n in 0..<100 {
            _ = try await call(ddb, "PutItem", ["TableName": "bench", "Item": ["pk": ["S": "hundred"], "sk": ["N": .string(String(n))], "pad": ["S": pad]]])
        }
        let count = try await call(ddb, "DescribeTable", ["TableName": "bench"])["Table"]?["ItemCount"]?.integerValue ?? 0
        print(String(format: "loaded to %lld items in %.1f s", count, monotonicSeconds() - loadStart))
        var queries: [Double] = []
        for _ in 0..<1000 {
            let t = monotonicSeconds()
            let r = try await call(ddb, "Query", ["TableName": "bench", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": [":p": ["S": "hundred"]]])
            queries.append(monotonicSeconds() - t)
            guard r["Count"]?.integerValue == 100 else { throw ServiceError("Bench", "the query found \(r["Count"] ?? .null) items") }
        }
        queries.sort()
        print(String(format: "Query of 100 items (1 KB each) from a %lld-item table: p50 %.3f ms, p99 %.3f ms", count, pct(queries, 0.5), pct(queries, 0.99)))

    }
}
