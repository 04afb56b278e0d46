/// Ownership of keys with a queue of waiters, for actors that serialise work per key (an
/// execution's steps, a correlation key's deliveries). It lives inside the actor that uses it:
///
/// ```swift
/// if !keys.tryAcquire(k) { await withCheckedContinuation { keys.enqueue(k, $0) } }
/// ...
/// keys.release(k)?.resume()
/// ```
package struct KeyedWaiters: Sendable {
    private var busy: Set<String> = []
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    package init() {}

    /// Takes the key when it is free.
    package mutating func tryAcquire(_ key: String) -> Bool { busy.insert(key).inserted }

    package mutating func enqueue(_ key: String, _ continuation: CheckedContinuation<Void, Never>) {
        waiting[key, default: []].append(continuation)
    }

    /// Frees the key, or hands it to the next waiter, whom the caller resumes: the key stays
    /// busy, its ownership passing on.
    package mutating func release(_ key: String) -> CheckedContinuation<Void, Never>? {
        if var queue = waiting[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[key] = queue.isEmpty ? nil : queue
            return next
        }
        busy.remove(key)
        return nil
    }
}
