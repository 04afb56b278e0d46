import ServiceLifecycle

/// Runs a long poll (GetActivityTask, ReceiveMessage with a wait) so that it ends when the
/// server begins a graceful shutdown: the poll's task is cancelled and answers what it has, as
/// at its timeout. Without this the server would wait out every poll, up to a minute, for
/// callers that may have gone.
package func longPoll<T: Sendable, E: Error>(_ poll: @escaping @Sendable () async throws(E) -> T) async throws(E) -> T {
    let outcome = await cancelWhenGracefulShutdown { () async -> Result<T, E> in
        do throws(E) { return .success(try await poll()) } catch { return .failure(error) }
    }
    return try outcome.get()
}

/// A long poll whose waiting place can be told to stop: `end` is called when the server
/// begins a graceful shutdown (at once, if it has begun) and must make `poll` answer. This
/// costs a registered handler; `longPoll(_:)` runs the poll in a task group beside a second
/// task that waits for the shutdown, three tasks a poll.
package func longPoll<T: Sendable, E: Error>(endingWith end: @escaping @Sendable () -> Void,
                                             _ poll: () async throws(E) -> T) async throws(E) -> T {
    let outcome = await withGracefulShutdownHandler { () async -> Result<T, E> in
        do throws(E) { return .success(try await poll()) } catch { return .failure(error) }
    } onGracefulShutdown: {
        end()
    }
    return try outcome.get()
}
