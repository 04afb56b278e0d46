import Engine
import StatesLanguage

/// Retention: messages older than their queue's MessageRetentionPeriod are deleted (a receive
/// never returns one even before the sweep reaches it), and FIFO deduplication ids are
/// forgotten after their five minutes.
extension SQSService {
    func sweep() async {
        let bell = Doorbell()
        while !Task.isCancelled {
            let now = self.now
            for q in directory.value.values {
                _ = try? await store.expire(queue: q.name, sentBefore: now - q.retentionMillis, now: now)
            }
            await bell.wait(until: clock.now().adding(seconds: 60), on: clock)
        }
    }
}
