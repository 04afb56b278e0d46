import NIOConcurrencyHelpers

/// A connection's requests, taken one at a time by the connection's task: the event loop puts
/// a request's work here, the task runs it. HTTP/1.1 answers in order, so there is at most one.
final class ConnectionInbox: Sendable {
    typealias Work = @Sendable () async -> Void

    private struct State {
        var work: Work?
        var waiter: CheckedContinuation<Work?, Never>?
        var closed = false
    }

    private let state = NIOLockedValueBox(State())

    /// From the event loop: the next request's work.
    func put(_ work: @escaping Work) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Work?, Never>? in
            guard !state.closed else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.work = work
            return nil
        }
        waiter?.resume(returning: work)
    }

    /// The connection closed: the task ends after the work it is doing.
    func close() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Work?, Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The connection's task: each request's work, in order, until the connection closes.
    func serve() async {
        while let work = await next() { await work() }
    }

    private func next() async -> Work? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Work?, Never>) in
                let ready = state.withLockedValue { state -> Work?? in
                    if let work = state.work {
                        state.work = nil
                        return .some(work)
                    }
                    if state.closed || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            close()
        }
    }
}
