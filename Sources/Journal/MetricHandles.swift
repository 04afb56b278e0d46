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
    private var meters: [String: Meter] = [:]

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
        cached(\.counters, name, dimensions) { Counter(label: name, dimensions: dimensions) }
    }

    /// A gauge that goes up and down (what is in flight).
    package func meter(_ name: String, _ dimensions: [(String, String)] = []) -> Meter {
        cached(\.meters, name, dimensions) { Meter(label: name, dimensions: dimensions) }
    }

    /// A histogram of values (aggregate: true).
    package func recorder(_ name: String, _ dimensions: [(String, String)] = []) -> Recorder {
        cached(\.recorders, name, dimensions) { Recorder(label: name, dimensions: dimensions, aggregate: true) }
    }

    /// A histogram of durations.
    package func timer(_ name: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Timer {
        cached(\.timers, name, dimensions) { CoreMetrics.Timer(label: name, dimensions: dimensions) }
    }

    /// The handle of one kind for (name, dimensions), made on first use.
    private func cached<Handle>(_ table: ReferenceWritableKeyPath<MetricHandles, [String: Handle]>, _ name: String,
                                _ dimensions: [(String, String)], make: () -> Handle) -> Handle {
        let key = Self.key(name, dimensions)
        return lock.withLock {
            if let h = self[keyPath: table][key] { return h }
            let h = make()
            self[keyPath: table][key] = h
            return h
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
