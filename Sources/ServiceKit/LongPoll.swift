import ServiceLifecycle

/// Runs a long poll (GetActivityTask, ReceiveMessage with a wait) so that it ends when the
/// server begins a graceful shutdown: `end` is called then (at once, if it has begun) and must
/// make `poll` answer what it has, as at its timeout. Without this the server would wait out
/// every poll, up to a minute, for callers that may have gone. A registered handler, not a
/// task group with a second task waiting for the shutdown: three tasks a poll were a tenth of
/// what a callback execution's long poll cost.
package func longPoll<T: Sendable, E: Error>(endingWith end: @escaping @Sendable () -> Void,
                                             _ poll: () async throws(E) -> T) async throws(E) -> T {
    let outcome = await withGracefulShutdownHandler { () async -> Result<T, E> in
        do throws(E) { return .success(try await poll()) } catch { return .failure(error) }
    } onGracefulShutdown: {
        end()
    }
    return try outcome.get()
}
