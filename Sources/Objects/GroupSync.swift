import Foundation

/// One fsync of a directory shared by every upload that asked for it while another was in
/// flight, as the journal's group commit shares one transaction: an upload is named in the
/// directory (renamed into place) and must be durable there before its row commits, and 16
/// concurrent uploads need not pay for 16 directory syncs. A caller returns only after a sync
/// that began after its request.
final class GroupSync: @unchecked Sendable {
    // @unchecked Sendable: every field is touched under `lock`.
    private let lock = NSLock()
    private let path: String
    private var requested = 0
    private var completed = 0
    private var running = false
    private var waiters: [(ticket: Int, resume: CheckedContinuation<Void, Never>)] = []

    init(directory: String) { path = directory }

    func sync() async {
        let (ticket, lead) = lock.withLock { () -> (Int, Bool) in
            requested += 1
            if running { return (requested, false) }
            running = true
            return (requested, true)
        }
        if !lead {
            await withCheckedContinuation { c in
                let done = lock.withLock { () -> Bool in
                    if completed >= ticket { return true }
                    waiters.append((ticket, c))
                    return false
                }
                if done { c.resume() }
            }
            return
        }
        while true {
            let target = lock.withLock { requested }
            Self.fsyncDirectory(path)
            let (ready, more) = lock.withLock { () -> ([CheckedContinuation<Void, Never>], Bool) in
                completed = target
                let ready = waiters.filter { $0.ticket <= target }.map(\.resume)
                waiters.removeAll { $0.ticket <= target }
                if requested > completed { return (ready, true) }
                running = false
                return (ready, false)
            }
            for c in ready { c.resume() }
            if !more { break }
        }
        _ = ticket
    }

    static func fsyncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
