
/// Rung after a commit that wrote stream records: every subscriber (a mapping's or a pipe's
/// poller) looks again at once instead of at its next poll.
package final class StreamBell: Sendable {
    private let bells = LockedValue<[Doorbell]>([])

    package init() {}

    package func subscribe() -> Doorbell {
        let bell = Doorbell()
        bells.mutate { $0.append(bell) }
        return bell
    }

    package func unsubscribe(_ bell: Doorbell) {
        bells.mutate { $0.removeAll { $0 === bell } }
    }

    package func ring() {
        let all = bells.value
        guard !all.isEmpty else { return }
        Task { for b in all { await b.ring() } }
    }
}
