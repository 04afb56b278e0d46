import Foundation

/// Who waits for an execution's history to grow (the console's live view): each watcher has a
/// doorbell, rung after every step of its execution commits. A step of an execution nobody
/// watches costs one look at an empty dictionary under a lock.
package final class HistoryWatchers: @unchecked Sendable {
    // @unchecked Sendable: `bells` is only touched under `lock`.
    private let lock = NSLock()
    private var bells: [String: [Doorbell]] = [:]

    package init() {}

    /// A doorbell rung whenever `arn` commits a step, until `unwatch`.
    package func watch(_ arn: String) -> Doorbell {
        let bell = Doorbell()
        lock.withLock { bells[arn, default: []].append(bell) }
        return bell
    }

    package func unwatch(_ arn: String, _ bell: Doorbell) {
        lock.withLock {
            bells[arn]?.removeAll { $0 === bell }
            if bells[arn]?.isEmpty == true { bells[arn] = nil }
        }
    }

    /// How many watch `arn` (tests).
    package func count(_ arn: String) -> Int { lock.withLock { bells[arn]?.count ?? 0 } }

    func committed(_ arn: String) async {
        let ringing: [Doorbell]? = lock.withLock { bells.isEmpty ? nil : bells[arn] }
        for bell in ringing ?? [] { await bell.ring() }
    }
}
