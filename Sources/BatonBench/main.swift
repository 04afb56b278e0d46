// Baton's benchmarks. Not tests: timing is reported, never asserted.
//
//   swift run -c release BatonBench interpreter [seconds]   in-memory interpreter
//   swift run -c release BatonBench durable [seconds]       engine + SQLite journal, FULL and NORMAL
//   swift run -c release BatonBench durable-postgres URL [seconds]  pass10 and callback on SQLite and on PostgreSQL
//   swift run -c release BatonBench parked [count]          memory of executions parked on task tokens
//   swift run -c release BatonBench functions [seconds]     warm function invokes and a lambda:invoke chain
//   swift run -c release BatonBench jsonata [seconds]       time per evaluation of compiled JSONata expressions
//   swift run -c release BatonBench webhooks [campaigns [senders [postgres-url]]]   campaigns parked on a webhook, resumed by deliveries
//   swift run -c release BatonBench list [count]            ListExecutions pages over `count` stored executions
//   swift run -c release BatonBench events [seconds]        events matched per second at 10, 1,000, 10,000 rules, beside moto
//   swift run -c release BatonBench queues [seconds [workers [waiting]]]  SQS send+receive+delete in batches of 10,
//                                                     long-poll wake-up after a send's commit, memory of waiting messages
//   swift run -c release BatonBench snapshot [seconds]  encode/decode of the execution snapshot
//   swift run -c release BatonBench tables [seconds [workers [items]]]  PutItem/GetItem of 1 KB items, Query of 100
//                                                     from a grown table, stream -> pipe -> execution started
//   swift run -c release BatonBench objects [seconds [workers [keys]]]  S3 PutObject/GetObject of 4 KB objects,
//                                                     ListObjectsV2 pages of 1,000 keys out of `keys`
//   swift run -c release BatonBench hotpaths [seconds [concurrency [workload,…]]]  issue 21's pass10, wait0, callback
//                                                     (activity) and Express pass10 in process, c=16 by default
//                                                     (BATON_BENCH_SPANS=1: traced, spans encoded as for OTLP)
//   swift run -c release BatonBench spans [seconds]   one pass10 run's spans made and OTLP-encoded, µs per execution
//   swift run -c release BatonBench post URL [count [kilobytes]]  the span exporter's POST alone, CPU per POST
//   swift run -c release BatonBench bus [events [senders [rate]]]  PutEvents -> StartExecution through the durable
//                                                     queue; with a rate (events/s), senders are paced (open loop)

import Logging
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let mode = arguments.first ?? "interpreter"
let number = arguments.count > 1 ? Double(arguments[1]) : nil
switch mode {
case "interpreter": try InterpreterBench.run(budget: number ?? 2)
case "durable": try await DurableBench.run(budget: number ?? 5)
case "durable-postgres":
    if arguments.count > 1 {
        try await DurableBench.runBoth(url: arguments[1], budget: arguments.count > 2 ? Double(arguments[2]) ?? 5 : 5)
    } else {
        print("usage: BatonBench durable-postgres postgres://USER@HOST:PORT/DB [seconds]")
    }
case "parked": try await ParkedBench.run(count: Int(number ?? 100_000))
case "functions": try await FunctionsBench.run(seconds: number ?? 3)
case "jsonata": try JSONataBench.run(seconds: number ?? 1)
case "webhooks": try await WebhooksBench.run(campaigns: Int(number ?? 10_000), clients: arguments.count > 2 ? Int(arguments[2]) ?? 32 : 32,
                                             postgres: arguments.count > 3 ? arguments[3] : nil)
case "list": try await ListBench.run(count: Int(number ?? 1_000_000))
case "events": try EventsBench.run(seconds: number ?? 2)
case "bus": try await BusBench.run(events: Int(number ?? 20_000), senders: arguments.count > 2 ? Int(arguments[2]) ?? 16 : 16,
                                   rate: arguments.count > 3 ? Double(arguments[3]) : nil)
case "queues": try await QueuesBench.run(seconds: number ?? 10, workers: arguments.count > 2 ? Int(arguments[2]) ?? 64 : 64,
                                         waiting: arguments.count > 3 ? Int(arguments[3]) ?? 1_000_000 : 1_000_000)
case "snapshot": try SnapshotBench.run(seconds: number ?? 1)
case "spans": try SpansBench.run(seconds: number ?? 2)
case "post":
    guard arguments.count > 1 else {
        print("usage: BatonBench post http://HOST:PORT/v1/traces [count [kilobytes]]")
        break
    }
    try await PostBench.run(url: arguments[1], count: arguments.count > 2 ? Int(arguments[2]) ?? 200 : 200,
                            kilobytes: arguments.count > 3 ? Int(arguments[3]) ?? 128 : 128)
case "tables": try await TablesBench.run(seconds: number ?? 5, workers: arguments.count > 2 ? Int(arguments[2]) ?? 16 : 16,
                                         items: arguments.count > 3 ? Int(arguments[3]) ?? 1_000_000 : 1_000_000)
case "objects": try await ObjectsBench.run(seconds: number ?? 5, workers: arguments.count > 2 ? Int(arguments[2]) ?? 16 : 16,
                                           keys: arguments.count > 3 ? Int(arguments[3]) ?? 1_000_000 : 1_000_000)
case "hotpaths":
    // The engine logs every execution's start and end at info: not what is measured here.
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = .warning
        return handler
    }
    // BATON_BENCH_SPANS=1: every run traced, its spans encoded as the OTLP exporter encodes them (not sent).
    if ProcessInfo.processInfo.environment["BATON_BENCH_SPANS"] == "1" { SpanEncodingSink.install() }
    try await HotPathsBench.run(seconds: number ?? 5, concurrency: arguments.count > 2 ? Int(arguments[2]) ?? 16 : 16,
                                              only: arguments.count > 3 ? arguments[3].split(separator: ",").map(String.init) : [])
default: print("usage: BatonBench interpreter|durable|hotpaths|parked|functions|webhooks|jsonata|list|events|bus|queues|tables|objects [number]")
}
