// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Baton",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "baton", targets: ["baton"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.20.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        // The span exporter's HTTP client: on SwiftNIO, with pooled keep-alive connections
        // (FoundationNetworking's URLSession spun dispatch timers through libcurl).
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.30.0"),
    ],
    targets: [
        // The JSON value, JSONPath, intrinsic functions, the definition model, parser and validator.
        .target(name: "StatesLanguage", linkerSettings: [.linkedLibrary("m")]),
        // JSONata, as AWS Step Functions runs it: compiled once, evaluated many times.
        .target(name: "JSONata", dependencies: ["StatesLanguage", "CStackBounds"]),
        // The calling thread's stack bounds, so deep JSONata recursion errors instead of crashing.
        .target(name: "CStackBounds"),
        // Linux's sync_file_range, which Glibc's Swift module does not export.
        .target(name: "CFileSync"),
        // CRC-64/NVME and CRC-32C at the CPU's speed (PCLMULQDQ, SSE 4.2), over every object's bytes.
        .target(name: "CChecksums"),
        // The pure interpreter: decide(state, trigger) -> Decision{events, effects}.
        .target(name: "StatesInterpreter", dependencies: ["StatesLanguage", "JSONata"], linkerSettings: [.linkedLibrary("m")]),
        // SQLite from the system (Debian: libsqlite3-dev), through a thin wrapper of our own.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // The durable journal: SQLite (WAL) by default, an in-memory store for tests.
        .target(name: "Journal", dependencies: ["StatesLanguage", "StatesInterpreter", "CSQLite", .product(name: "CoreMetrics", package: "swift-metrics")]),
        // The journal on PostgreSQL (postgres-nio): the same contracts, for nodes that share one database.
        .target(name: "JournalPostgres", dependencies: [
            "StatesLanguage", "StatesInterpreter", "Journal",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Nodes sharing one PostgreSQL journal: leases, takeover, requests between nodes.
        .target(name: "Cluster", dependencies: [
            "StatesLanguage", "Journal", "JournalPostgres", "Engine",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Partitions, the outbox dispatcher, timers, task tokens, recovery.
        .target(name: "Engine", dependencies: ["StatesLanguage", "StatesInterpreter", "Journal", .product(name: "Logging", package: "swift-log"),
                                               .product(name: "CoreMetrics", package: "swift-metrics")]),
        // The service seam: the service protocol, calls and replies, the one error type, routes as data.
        .target(name: "ServiceKit", dependencies: [
            "StatesLanguage", "StatesInterpreter", "Journal", "JournalPostgres", "Engine",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        // AWS Step Functions' API (JSON 1.0), translated to engine calls.
        .target(name: "StepFunctions", dependencies: ["StatesLanguage", "StatesInterpreter", "Journal", "Engine", "ServiceKit"]),
        // Functions (Lambda): the REST API, the runtimes, the Task handlers that call them.
        .target(name: "Integrations", dependencies: [
            "StatesLanguage", "StatesInterpreter", "Journal", "Engine", "ServiceKit",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Named webhooks: verify a sender, find the task waiting on its key, resume it.
        .target(name: "Webhooks", dependencies: ["StatesLanguage", "StatesInterpreter", "Journal", "JournalPostgres", "Engine", "ServiceKit",
                                                 .product(name: "CoreMetrics", package: "swift-metrics"),
                                                 .product(name: "PostgresNIO", package: "postgres-nio")]),
        // Prometheus metrics at /metrics (swift-metrics, exported by swift-prometheus).
        .target(name: "Telemetry", dependencies: [
            "StatesLanguage", "Journal", "ServiceKit",
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        // The web console at /console: its page and scripts compiled into the binary.
        .target(name: "Console", dependencies: [
            "StatesLanguage", "StatesInterpreter", "Journal", "Engine", "ServiceKit",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], resources: [
            .embedInCode("Assets/index.html"), .embedInCode("Assets/console.css"), .embedInCode("Assets/console.js"),
            .embedInCode("Assets/graph.js"), .embedInCode("Assets/status.js"),
        ]),
        // The one endpoint: routes from the services list, SigV4 before every route, errors rendered per protocol.
        .target(name: "HTTPAPI", dependencies: [
            "StatesLanguage", "StatesInterpreter", "Journal", "ServiceKit",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOExtras", package: "swift-nio-extras"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        // Parameters and secrets: SSM Parameter Store and Secrets Manager, sealed at rest.
        .target(name: "Parameters", dependencies: [
            "StatesLanguage", "StatesInterpreter", "Journal", "ServiceKit", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Amazon EventBridge: buses, rules, patterns, targets, durable delivery.
        .target(name: "Events", dependencies: [
            "StatesLanguage", "StatesInterpreter", "Journal", "Engine", "ServiceKit",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Amazon SQS (JSON and query protocols) and SNS: queues on disk, topics, dead-letter queues.
        // Amazon Kinesis Data Streams: shards, records, iterators; tables stream changes into it.
        .target(name: "Kinesis", dependencies: [
            "StatesLanguage", "Journal", "Engine", "ServiceKit", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Amazon DynamoDB and DynamoDB Streams: tables, indexes, expressions, change streams.
        .target(name: "Tables", dependencies: [
            "StatesLanguage", "StatesInterpreter", "Journal", "Engine", "ServiceKit", "CSQLite", "Kinesis", "CZlib",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "Messaging", dependencies: [
            "StatesLanguage", "StatesInterpreter", "Journal", "JournalPostgres", "Engine", "ServiceKit", "CSQLite", "Events", "Tables",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // IAM roles and policies, stored (not enforced) so that infrastructure scripts run unchanged.
        .target(name: "Identity", dependencies: ["StatesLanguage", "ServiceKit", "Engine"]),
        // The one list of services `baton serve` puts on the endpoint.
        // Amazon S3: buckets and objects streamed to and from files, multipart uploads.
        .target(name: "Objects", dependencies: [
            "StatesLanguage", "StatesInterpreter", "Journal", "Engine", "ServiceKit", "CSQLite", "CFileSync", "CZlib", "CChecksums",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "ServiceList", dependencies: ["ServiceKit", "StepFunctions", "Integrations", "Webhooks", "Parameters", "Events", "Messaging", "Identity", "Tables", "Kinesis", "Objects", "Console"]),
        .executableTarget(
            name: "baton",
            dependencies: [
                "StatesLanguage", "StatesInterpreter", "Journal", "JournalPostgres", "Cluster", "Engine", "HTTPAPI", "ServiceKit", "ServiceList", "Integrations", "Telemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Benchmarks live in their own executable: tests never assert on timing.
        .executableTarget(
            name: "BatonBench",
            dependencies: ["StatesLanguage", "StatesInterpreter", "Journal", "JournalPostgres", "Engine", "ServiceKit", "StepFunctions", "Integrations", "Webhooks", "Events", "Messaging", "Tables", "Objects", "ServiceList", "JSONata", "CSQLite", "AllocationCounter", "Console", "Telemetry",
                           .product(name: "Logging", package: "swift-log")]
        ),
        // Counts mallocs for the benchmark's allocations-per-transition figure.
        .target(name: "AllocationCounter"),
        // Fixtures are read through #filePath, not bundled as resources.
        .testTarget(name: "StatesLanguageTests", dependencies: ["StatesLanguage"], exclude: ["Fixtures"]),
        .testTarget(name: "JSONataTests", dependencies: ["StatesLanguage", "JSONata"]),
        .testTarget(name: "StatesInterpreterTests", dependencies: ["StatesLanguage", "StatesInterpreter"], exclude: ["Fixtures"]),
        .testTarget(name: "JournalTests", dependencies: ["StatesLanguage", "StatesInterpreter", "Journal", "JournalPostgres"]),
        .testTarget(name: "EngineTests", dependencies: ["StatesLanguage", "StatesInterpreter", "Journal", "Engine"]),
        .testTarget(name: "WebhooksTests", dependencies: ["StatesLanguage", "StatesInterpreter", "Journal", "JournalPostgres", "Engine", "ServiceKit", "Webhooks"]),
        .testTarget(name: "TablesTests", dependencies: ["StatesLanguage", "StatesInterpreter", "Journal", "JournalPostgres", "Engine", "ServiceKit", "Tables", "Kinesis"]),
        .testTarget(name: "KinesisTests", dependencies: ["StatesLanguage", "Journal", "Engine", "ServiceKit", "Kinesis"]),
        .testTarget(name: "EventsTests", dependencies: ["StatesLanguage", "Journal", "JournalPostgres", "Engine", "ServiceKit", "Events", "StepFunctions"]),
        .testTarget(name: "MessagingTests", dependencies: ["StatesLanguage", "StatesInterpreter", "Journal", "JournalPostgres", "Engine", "ServiceKit", "Messaging"]),
        .testTarget(name: "ObjectsTests", dependencies: ["StatesLanguage", "StatesInterpreter", "Journal", "JournalPostgres", "Engine", "ServiceKit", "Objects"]),
        .testTarget(name: "StepFunctionsTests", dependencies: ["StatesLanguage", "StatesInterpreter", "Journal", "Engine", "ServiceKit", "StepFunctions"]),
        .testTarget(name: "ParametersTests", dependencies: ["StatesLanguage", "StatesInterpreter", "Journal", "JournalPostgres", "ServiceKit", "Parameters"]),
        // The front door with every real service behind it: routes, signatures, error rendering.
        .testTarget(name: "TelemetryTests", dependencies: ["StatesLanguage", "Journal", "ServiceKit", "Telemetry",
                                                         .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle")]),
        .testTarget(name: "ConsoleTests", dependencies: ["StatesLanguage", "StatesInterpreter", "Journal", "Engine", "ServiceKit", "Console"]),
        .testTarget(name: "HTTPAPITests", dependencies: [
            "StatesLanguage", "StatesInterpreter", "Journal", "Engine", "ServiceKit", "HTTPAPI", "ServiceList",
            "StepFunctions", "Integrations", "Parameters",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
