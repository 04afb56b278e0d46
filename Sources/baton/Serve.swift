import ArgumentParser
import Engine
import Foundation
import Prometheus
import Telemetry
import HTTPAPI
import Integrations
import Journal
import JournalPostgres
import Cluster
import Logging
import ServiceKit
import ServiceLifecycle
import StatesLanguage
import ServiceList

/// `baton serve`: every service on one endpoint, on the embedded SQLite journal or on PostgreSQL.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the AWS-compatible APIs (Step Functions, Lambda, webhooks, …) on one HTTP endpoint.")

    @Option(help: "The address to listen on (loopback by default).") var host = "127.0.0.1"
    @Option(help: "The port (8083, as Step Functions Local).") var port = 8083
    @Option(help: "The data directory (SQLite journal).") var dataDir = "./baton-data"
    @Option(help: "A PostgreSQL URL for the journal (or BATON_DATABASE): postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME&pool=N]. Executions, state machines, functions, webhooks, the durable queue, queues, topics, tables and streams, parameters and secrets, roles, the bus's rules and schedules, buckets and their objects go there.")
    var database: String?
    @Option(help: "Connections to PostgreSQL (overrides the URL's pool=; 8 by default).") var databasePool: Int?
    @Option(help: "This node's name in a cluster: nodes sharing one --database split the executions' partitions between them by lease.")
    var nodeId: String?
    @Option(help: "A cluster lease's length in seconds: a node that stops renewing its leases loses them after this long.")
    var leaseSeconds: Double = 6
    @Option(help: "The key that seals Secrets Manager's and SecureString values (or BATON_SECRETS_KEY_FILE; default: secrets.key in --data-dir, made on first start). Nodes sharing one --database need the same key.")
    var secretsKeyFile: String?
    @Option(help: "The region in ARNs.") var region = "us-east-1"
    @Option(help: "The account id in ARNs.") var account = "000000000000"
    @Option(help: "FULL (durable on power loss) or NORMAL.") var synchronous = "FULL"
    @Option(help: "Access key id that signed requests must use (or BATON_ACCESS_KEY_ID).") var accessKeyId: String?
    @Option(help: "Its secret (or BATON_SECRET_ACCESS_KEY).") var secretAccessKey: String?
    @Flag(help: "Require Signature Version 4 even on loopback.") var requireSignature = false
    @Option(help: "trace, debug, info, notice, warning, error or critical.") var logLevel = "info"
    @Option(help: "text (key=value) or json: one line per event on standard error.") var logFormat = "text"
    @Option(help: "Step Functions Local's mock configuration file (or SFN_MOCK_CONFIG); StartExecution on ARN#CASE runs a test case.")
    var mockConfig: String?
    @Option(help: "The bearer token a Prometheus scrape of /metrics sends when signatures are required (or BATON_METRICS_TOKEN).")
    var metricsToken: String?
    @Flag(help: "Record no metrics (GET /metrics answers an empty page).") var noMetrics = false
    @Option(help: "Days a finished execution's history is kept (AWS keeps 90); 0 keeps every one.") var historyRetentionDays = 90
    @Option(help: "An OpenTelemetry collector's OTLP/HTTP endpoint (or OTEL_EXPORTER_OTLP_ENDPOINT): spans of requests, executions, states, tasks and functions go there.")
    var otlpEndpoint: String?
    @Option(help: "Threads serving requests (event loops); one a core by default (see README, Hot paths).") var eventLoops: Int?

    /// Why the server cannot listen on host:port, found by binding it once before anything
    /// starts (the HTTP server's own error names a syscall and an errno, not the flag to change).
    static func portProblem(host: String, port: Int) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return "cannot resolve --host \(host)" }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 else { return nil }
        switch errno {
        case EADDRINUSE: return "port \(port) is in use; choose another with --port"
        case EACCES: return "port \(port) needs privileges; choose one above 1023 with --port"
        case EADDRNOTAVAIL: return "\(host) is not an address of this machine; choose another with --host"
        default: return "cannot listen on \(host):\(port): \(String(cString: strerror(errno)))"
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Checked before `run`, so a refusal prints `serve`'s own usage.
    func validate() throws {
        if Logger.Level(rawValue: logLevel.lowercased()) == nil { throw ValidationError("unknown --log-level \(logLevel)") }
        if LineLogHandler.Format(rawValue: logFormat.lowercased()) == nil { throw ValidationError("unknown --log-format \(logFormat) (text or json)") }
        if !["FULL", "NORMAL"].contains(synchronous.uppercased()) { throw ValidationError("--synchronous is FULL or NORMAL, not \(synchronous)") }
        if !(1...65535).contains(port) { throw ValidationError("--port must be between 1 and 65535") }
        if let n = eventLoops, !(1...256).contains(n) { throw ValidationError("--event-loops must be from 1 to 256") }
        if historyRetentionDays < 0 { throw ValidationError("--history-retention-days is 0 (keep every history) or more") }
        let env = ProcessInfo.processInfo.environment
        if let endpoint = otlpEndpoint ?? env["OTEL_EXPORTER_OTLP_ENDPOINT"], SpanExporter(endpoint: endpoint, logger: Logger(label: "x")) == nil {
            throw ValidationError("--otlp-endpoint must be an http:// or https:// URL, not \(endpoint)")
        }
        if SpanExporter.Wire(environment: env) == nil {
            throw ValidationError("OTEL_EXPORTER_OTLP_PROTOCOL is http/protobuf or http/json (grpc is not served)")
        }
        if let problem = SpanExporter.Batching.from(environment: env).problem { throw ValidationError(problem) }
        if (requireSignature || !Self.isLoopback(host)),
           (accessKeyId ?? env["BATON_ACCESS_KEY_ID"]) == nil || (secretAccessKey ?? env["BATON_SECRET_ACCESS_KEY"]) == nil {
            // Beyond loopback every request is authenticated: refuse to start without a key.
            throw ValidationError("serving on \(host)\(requireSignature ? " with --require-signature" : "") requires --access-key-id and --secret-access-key (or BATON_ACCESS_KEY_ID and BATON_SECRET_ACCESS_KEY)")
        }
        if let problem = Self.portProblem(host: host, port: port) { throw ValidationError(problem) }
        if let url = Self.databaseURL(database, env) {
            do { _ = try PostgresLocation(url: url) } catch { throw ValidationError("--database: \(error.message)") }
        }
        if let nodeId, nodeId.isEmpty || nodeId.count > 64 || !nodeId.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) {
            throw ValidationError("--node-id is 1 to 64 letters, digits, '-', '_' or '.'")
        }
        if nodeId != nil, Self.databaseURL(database, env) == nil {
            throw ValidationError("--node-id makes this node one of a cluster sharing a PostgreSQL journal: give --database (or BATON_DATABASE) too")
        }
        if !(1...3600).contains(leaseSeconds) { throw ValidationError("--lease-seconds must be from 1 to 3600") }
        if let n = databasePool, !(1...500).contains(n) { throw ValidationError("--database-pool must be from 1 to 500 connections") }
        if databasePool != nil, Self.databaseURL(database, env) == nil {
            throw ValidationError("--database-pool sizes the PostgreSQL pool: give --database (or BATON_DATABASE) too")
        }
        if let path = mockConfig ?? env["SFN_MOCK_CONFIG"] {
            do { _ = try MockConfigFile(path: path) } catch { throw ValidationError("the mock configuration \(path) is invalid: \(error)") }
        }
    }

    func run() async throws {
        // First: NIO's shared group takes its size when first used.
        if let eventLoops { HTTPServer.useEventLoops(eventLoops) }
        let env = ProcessInfo.processInfo.environment
        let key = accessKeyId ?? env["BATON_ACCESS_KEY_ID"]
        let secret = secretAccessKey ?? env["BATON_SECRET_ACCESS_KEY"]
        let level = Logger.Level(rawValue: logLevel.lowercased()) ?? .info
        let format = LineLogHandler.Format(rawValue: logFormat.lowercased()) ?? .text
        LoggingSystem.bootstrap { label in
            var handler = LineLogHandler(label: label, format: format)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "baton")
        logger.logLevel = level
        // Before anything records: every target's metrics go to this registry.
        let registry = noMetrics ? PrometheusCollectorRegistry() : MetricsService.bootstrap()
        // Before anything runs: spans go to the collector from the first request on.
        let exporter = (otlpEndpoint ?? env["OTEL_EXPORTER_OTLP_ENDPOINT"]).flatMap {
            SpanExporter(endpoint: $0, serviceName: env["OTEL_SERVICE_NAME"] ?? "baton", wire: SpanExporter.Wire(environment: env) ?? .protobuf,
                         logger: logger, batching: SpanExporter.Batching.from(environment: env).batching)
        }
        exporter?.install(ratio: SpanExporter.ratio(environment: env))
        var verifier: SigV4Verifier?
        if requireSignature || !Self.isLoopback(host), let key, let secret {
            verifier = SigV4Verifier(accessKeyId: key, secretAccessKey: secret)
        }
        let directory = URL(fileURLWithPath: dataDir).standardizedFileURL.path
        let created = !FileManager.default.fileExists(atPath: directory)
        // PostgreSQL first: a database that cannot be reached stops the start before anything is created here.
        var postgres: PostgresJournal?
        let fence = nodeId.map { LeaseFence(node: $0, partitions: Self.clusterPartitions) }
        if let url = Self.databaseURL(database, env) {
            var location = try PostgresLocation(url: url)
            if let databasePool { location.poolSize = databasePool }
            postgres = try await PostgresJournal(location: location, fence: fence, logger: logger)
            logger.info("journal on PostgreSQL", metadata: ["database": "\(location)", "schema_version": "\(PostgresJournal.latestSchemaVersion)"])
        }
        let journal = try SQLiteJournal(directory: directory, synchronous: synchronous.uppercased() == "NORMAL" ? .normal : .full)
        let engine = Engine(journal: postgres ?? journal, partitions: Self.clusterPartitions, logger: logger)
        let publicHost = (host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host) + ":\(port)"
        var node: ClusterNode?
        if let postgres, let fence {
            let count = try await postgres.preparePartitions(Self.clusterPartitions)
            guard count == Self.clusterPartitions else {
                throw ValidationError("this database's cluster has \(count) partitions; this build runs \(Self.clusterPartitions)")
            }
            let n = ClusterNode(journal: postgres, fence: fence, engine: engine, address: publicHost, leaseSeconds: leaseSeconds, logger: logger)
            engine.install(router: n)
            node = n
        }
        var context = ServiceContext(engine: engine, database: journal, store: postgres, region: region, account: account,
                                     dataDirectory: directory, publicHost: publicHost)
        context.secretsKeyFile = secretsKeyFile ?? env["BATON_SECRETS_KEY_FILE"]
        let services = try await ServiceList.make(context)
            + [MetricsService(registry: registry, token: metricsToken ?? env["BATON_METRICS_TOKEN"])]
        engine.install(TaskRegistry(services: services))
        if let path = mockConfig ?? env["SFN_MOCK_CONFIG"] {
            engine.install(mocks: try MockConfigFile(path: path))
            logger.info("mock configuration loaded", metadata: ["file": "\(path)"])
        }
        let recovery = try await engine.recover()
        if let node {
            // The first heartbeat before the endpoint opens: the node serves what it owns from its first request.
            await node.beat()
            logger.info("cluster node", metadata: ["node": "\(node.fence.node)", "partitions": "\(node.fence.held.keys.sorted())",
                                                   "lease_seconds": "\(leaseSeconds)"])
        }
        logger.info("journal open", metadata: [
            "data_dir": "\(directory)", "created": "\(created)", "synchronous": "\(journal.writerSynchronous == "1" ? "NORMAL" : "FULL")",
            "recovered_running": "\(recovery.running)", "recovered_express_failed": "\(recovery.expressFailed)",
            "tasks_redispatched": "\(recovery.redispatched)", "backend": "\(postgres == nil ? "sqlite" : "postgres")",
        ])
        let clock = engine.clock
        let door = FrontDoor(services: services, verifier: verifier, clock: { clock.now() }, logger: logger, readiness: {
            // Ready when the journal answers a read (a database server that went away makes the node unready).
            do {
                _ = try await engine.journal.definition(id: 0)
                return nil
            } catch {
                return "the journal does not answer: \(error)"
            }
        })
        let app = HTTPServer(host: host, port: port, door: door, logger: logger)
        logger.info("serving", metadata: ["version": "\(Baton.version)", "endpoint": "http://\(host.contains(":") ? "[\(host)]" : host):\(port)",
                                          "services": "\(services.map(\.name).joined(separator: ","))",
                                          "signatures": "\(verifier == nil ? "optional" : "required")"])
        // The app is last: on SIGTERM it stops taking requests first, then the background
        // work stops, then the engine lets what is in flight finish.
        var members: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let exporter { members.append(.init(service: exporter)) }
        members.append(.init(service: EngineService(engine: engine, logger: logger)))
        if let node {
            members.append(.init(service: LoopService { await node.keepLeases() }))
            members.append(.init(service: LoopService { await node.serveInbox() }))
            members.append(.init(service: LoopService { await node.listenForReplies() }))
            members.append(.init(service: LoopService { await node.listenForActivities() }))
            if let functions = services.compactMap({ $0 as? LambdaService }).first?.functions {
                await functions.shareStore()
                let logger = logger
                members.append(.init(service: LoopService {
                    await node.listenForFunctions(missed: {
                        do { try await functions.refreshAll() } catch {
                            logger.error("functions changed on other nodes could not be read", metadata: ["error": "\(error)"])
                        }
                    }) { name in
                        do { try await functions.refresh(name) } catch {
                            logger.error("a function changed on another node could not be read", metadata: ["function": "\(name)", "error": "\(error)"])
                        }
                    }
                }))
            }
        }
        if historyRetentionDays > 0 { members.append(.init(service: Self.retentionSweep(engine, days: historyRetentionDays))) }
        members += services.flatMap(\.backgroundServices).map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
        members.append(.init(service: app))
        let group = ServiceGroup(configuration: .init(services: members, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        // Lets the writers commit what is queued, then stops them.
        journal.close()
        await postgres?.close()
        logger.info("stopped", metadata: ["data_dir": "\(directory)"])
    }
}

extension Serve {
    /// The partitions of executions (the engine's, and a cluster's: fixed, since executions are hashed by it).
    static let clusterPartitions = 16

    /// The PostgreSQL URL from `--database` or `BATON_DATABASE`; nil (SQLite) when neither is set or empty.
    static func databaseURL(_ option: String?, _ env: [String: String]) -> String? {
        (option ?? env["BATON_DATABASE"]).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Deletes histories past their retention at start and then every hour.
    static func retentionSweep(_ engine: Engine, days: Int) -> LoopService {
        LoopService {
            let bell = Doorbell()
            while !Task.isCancelled {
                _ = await engine.sweepHistory(retentionDays: days)
                await bell.wait(forNext: nil, atMostSeconds: 3600, on: engine.clock)
            }
        }
    }
}

/// The engine's dispatcher and timers as a Service of the group.
struct EngineService: ServiceLifecycle.Service {
    let engine: Engine
    let logger: Logger

    func run() async throws {
        await withGracefulShutdownHandler {
            await engine.run()
        } onGracefulShutdown: {
            logger.info("shutting down: the endpoint stops taking requests, work in flight finishes, the journal commits what is queued")
            engine.shutdown()
        }
        // Tasks still in flight here were cut short; their outbox rows perform them after the next start.
        let unfinished = await engine.inFlightWork()
        logger.info("engine stopped", metadata: ["unfinished_tasks": "\(unfinished)"])
    }
}
