import Dispatch

/// Runs a blocking system call (a file system sync, a read of a child process's pipe until it
/// closes) on a thread of its own, never on the threads that run tasks.
///
/// Swift's cooperative pool has one thread per core (two here): two function invocations
/// reading their process's output on it held every task of the server until they ended.
package enum BlockingWork {
    /// A concurrent queue: Dispatch adds a thread when every one it has is blocked.
    private static let queue = DispatchQueue(label: "baton.blocking", attributes: .concurrent)

    package static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }
}
