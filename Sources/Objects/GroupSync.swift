import CFileSync
import Foundation
import ServiceKit

/// One sync of the object directory's file system shared by every upload that asked for it
/// while another was in flight, as the journal's group commit shares one transaction: an
/// upload's bytes and its name in the directory must be durable before its row commits, and
/// 16 concurrent uploads need not pay for 16 file syncs and 16 directory syncs. On Linux the
/// sync is `syncfs` (every dirty page of the file system and one journal commit); elsewhere
/// an fsync of the directory after each file's own. A caller returns only after a sync that
/// began after its request.
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
            let path = self.path
            await BlockingWork.run { Self.syncFileSystem(path) }
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
    }

    static func syncFileSystem(_ path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return }
        _ = baton_sync_file_system(fd)
        close(fd)
    }

    /// Whether the group sync also makes each file's bytes durable (so a file need not be
    /// synced on its own first).
    static var coversFileData: Bool {
        #if os(Linux)
        return true
        #else
        return false
        #endif
    }
}
