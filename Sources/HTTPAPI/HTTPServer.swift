import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The endpoint's HTTP/1.1 server, on SwiftNIO directly: NIO's parser, pipelining and error
/// handlers, then one `HTTPConnectionHandler` per connection that hands each request to the
/// `FrontDoor`. A framework between them (Hummingbird 2, before) cost about 20 µs of CPU per
/// request on these cores, a fifth of a GetItem's; measured with `wrk -c16` against a hello
/// world of each, 53–57 µs against 33–36 µs with the same hop to a Swift task.
///
/// Each connection's requests are answered on one child task of `run()` that runs on the
/// connection's event loop (`EventLoopTaskExecutor`), so a long poll or an
/// event stream sees the graceful shutdown (`cancelWhenGracefulShutdown`) as it did under the
/// framework. On graceful shutdown the server stops accepting, each connection finishes the
/// request it is answering and closes (an idle one at once), and `run()` returns when every
/// connection has closed.
package struct HTTPServer: Service {
    let host: String
    let port: Int
    let door: FrontDoor
    let logger: Logger
    /// Told the port the server listens on once it does (port 0 picks a free one: tests).
    let bound: @Sendable (Int) -> Void

    package init(host: String, port: Int, door: FrontDoor, logger: Logger, bound: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.host = host
        self.port = port
        self.door = door
        self.logger = logger
        self.bound = bound
    }

    /// How many event loops serve HTTP (and everything else on NIO's shared group): set before
    /// the group is first used, once. NIO's default is one a core; the journal's writer and
    /// checkpointer are threads of their own besides, and a function's process or the
    /// clients on the same machine want a core too.
    package static func useEventLoops(_ count: Int) {
        NIOSingletons.groupLoopCountSuggestion = count
    }

    package func run() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let quiesce = ServerQuiescingHelper(group: group)
        let door = self.door
        let logger = self.logger
        let (connections, accepted) = AsyncStream<(ConnectionInbox, any EventLoop)>.makeStream()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let inbox = ConnectionInbox()
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
                    try pipeline.addHandler(HTTPConnectionHandler(door: door, inbox: inbox, logger: logger))
                    accepted.yield((inbox, channel.eventLoop))
                }
            }
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .bind(host: host, port: port).get()
        bound(channel.localAddress?.port ?? port)
        await withDiscardingTaskGroup { tasks in
            tasks.addTask {
                await withTaskCancellationHandler {
                    await withGracefulShutdownHandler {
                        try? await channel.closeFuture.get()
                    } onGracefulShutdown: {
                        quiesce.initiateShutdown(promise: nil)
                    }
                } onCancel: {
                    channel.close(promise: nil)
                }
                // The listener closed (shutdown, or an error): no more connections come.
                accepted.finish()
            }
            for await (inbox, loop) in connections {
                // On the connection's own event loop: no thread hop between its socket and its answers.
                tasks.addTask(executorPreference: EventLoopTaskExecutor(loop)) { await inbox.serve() }
            }
        }
    }
}
