import Foundation

/// A value behind a lock, for state that is set rarely and read often from any task.
package final class LockedValue<Value: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: `stored` is only touched under `lock`.
    private let lock = NSLock()
    private var stored: Value

    package init(_ value: Value) { stored = value }

    package var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }

    /// Changes the value in place, under the lock.
    package func mutate<R>(_ change: (inout Value) -> R) -> R { lock.withLock { change(&stored) } }
}

extension LockedValue where Value == Int64 {
    /// The next number of a counter.
    package func next() -> Int64 { mutate { v in v += 1; return v } }
}
