import ServiceLifecycle

/// A service's long-running loop (a queue's worker, a scheduler) as a Service of the server's
/// one group: it runs until the group shuts down gracefully, then is cancelled.
package struct LoopService: ServiceLifecycle.Service {
    let body: @Sendable () async -> Void

    package init(_ body: @escaping @Sendable () async -> Void) { self.body = body }

    package func run() async throws { await cancelWhenGracefulShutdown { await body() } }
}
