import Engine
import StatesLanguage

/// The background loop of event source mappings and pipes: one task per key that `wanted`
/// names (a mapping's poller, a running pipe), started when it is not already running, in one
/// task group; the set is looked at again when the bell rings (a change) or every 5 seconds.
/// A task ends by itself once its key is no longer wanted, and may be started again later.
enum Pollers {
    static func run(bell: Doorbell, clock: any EngineClock, wanted: @Sendable () async -> [String],
                    poll: @escaping @Sendable (String) async -> Void) async {
        let running = LockedValue<Set<String>>([])
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                for key in await wanted() where running.mutate({ $0.insert(key).inserted }) {
                    group.addTask {
                        await poll(key)
                        running.mutate { _ = $0.remove(key) }
                    }
                }
                await bell.wait(until: clock.now().adding(seconds: 5), on: clock)
            }
        }
    }
}
