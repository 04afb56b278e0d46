import Engine
import ServiceKit
import StatesLanguage

/// DLQ redrives (StartMessageMoveTask): at most one running per source queue. A task moves the
/// source's visible messages, at MaxNumberOfMessagesPerSecond when given, to the destination
/// or back to each message's own source queue. Tasks live in memory: a restart ends a running
/// one (its moved messages stay moved, the rest stay in the DLQ to be redriven again).
actor MoveTasks {
    struct Task: Sendable {
        var id: String
        var source: String
        var destination: String?
        var rate: Int?
        var toMove: Int
        var moved = 0
        var status = "RUNNING"
        var started: Int64
        var failure: String?
    }

    private var tasks: [String: [Task]] = [:]
    private var runners: [String: _Concurrency.Task<Void, Never>] = [:]

    func running(_ source: String) -> Bool { tasks[source]?.last?.status == "RUNNING" }

    func start(_ task: Task, work: @escaping @Sendable (MoveTasks, String) async -> Void) {
        tasks[task.source, default: []].append(task)
        let id = task.id
        runners[id] = _Concurrency.Task { await work(self, id) }
    }

    func progress(_ source: String, _ id: String, moved: Int) -> Bool {
        guard let i = tasks[source]?.lastIndex(where: { $0.id == id }), tasks[source]?[i].status == "RUNNING" else { return false }
        tasks[source]?[i].moved += moved
        return true
    }

    func finish(_ source: String, _ id: String, status: String, failure: String? = nil) {
        guard let i = tasks[source]?.lastIndex(where: { $0.id == id }), tasks[source]?[i].status == "RUNNING" else { return }
        tasks[source]?[i].status = status
        tasks[source]?[i].failure = failure
        runners[id] = nil
    }

    /// Cancels the running task `id` of `source`; its count of moved messages, or nil when none runs.
    func cancel(_ source: String, _ id: String) -> Int? {
        guard let i = tasks[source]?.lastIndex(where: { $0.id == id }), tasks[source]?[i].status == "RUNNING" else { return nil }
        tasks[source]?[i].status = "CANCELLED"
        runners.removeValue(forKey: id)?.cancel()
        return tasks[source]?[i].moved
    }

    func list(_ source: String) -> [Task] { (tasks[source] ?? []).reversed() }

    func forget(_ source: String) {
        for t in tasks[source] ?? [] { runners.removeValue(forKey: t.id)?.cancel() }
        tasks[source] = nil
    }
}
