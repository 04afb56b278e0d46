import ServiceKit
import Engine

/// Serialises deliveries per correlation key, so the repeated-delivery check and the resume
/// it guards cannot interleave; other keys proceed.
actor KeyedLock {
    private var keys = KeyedWaiters()

    func acquire(_ key: String) async {
        if keys.tryAcquire(key) { return }
        await withCheckedContinuation { keys.enqueue(key, $0) }
    }

    func release(_ key: String) { keys.release(key)?.resume() }
}
