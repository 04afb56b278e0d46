import CoreMetrics
import Foundation

/// swift-metrics handles made once per (name, dimensions) and kept: making one asks the
/// factory (the Prometheus registry takes a lock and hashes its labels), which a hot path
/// must not do for every step. Off until `baton serve` bootstraps a metrics system: tests and
/// the command-line tool pay one flag read.
package final class MetricHandles: @unchecked Sendable {
    // @unchecked Sendable: the dictionaries are only touched under `lock`.
    private let lock = NSLock()
    private var counters: [String: Counter] = [:]
    private var recorders: [String: Recorder] = [:]
    private var timers: [String: CoreMetrics.Timer] = [:]

    /// Whether a metrics system was bootstrapped (set once, at start, before any work).
    package static var enabled: Bool {
        get { flagLock.withLock { flag } }
        set { flagLock.withLock { flag = newValue } }
    }
    private static let flagLock = NSLock()
    nonisolated(unsafe) private static var flag = false
    /// The process's handles.
    package static let shared = MetricHandles()

    package init() {}

    package func counter(_ name: String, _ dimensions: [(String, String)] = []) -> Counter {
        let key = Self.key(name, dimensions)
        return lock.withLock {
            if let c = counters[key] { return c }
            let c = Counter(label: name, dimensions: dimensions)
            counters[key] = c
            return c
        }
    }

    /// A histogram of values (aggregate: true).
    package func recorder(_ name: String, _ dimensions: [(String, String)] = []) -> Recorder {
        let key = Self.key(name, dimensions)
        return lock.withLock {
            if let r = recorders[key] { return r }
            let r = Recorder(label: name, dimensions: dimensions, aggregate: true)
            recorders[key] = r
            return r
        }
    }

    /// A histogram of durations.
    package func timer(_ name: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Timer {
        let key = Self.key(name, dimensions)
        return lock.withLock {
            if let t = timers[key] { return t }
            let t = CoreMetrics.Timer(label: name, dimensions: dimensions)
            timers[key] = t
            return t
        }
    }

    static func key(_ name: String, _ dimensions: [(String, String)]) -> String {
        var k = name
        for (n, v) in dimensions {
            k += "\u{0}"
            k += n
            k += "="
            k += v
        }
        return k
    }
}

extension CoreMetrics.Timer {
    /// Records a measured `Duration`.
    package func record(elapsed d: Duration) {
        let (seconds, attoseconds) = d.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
