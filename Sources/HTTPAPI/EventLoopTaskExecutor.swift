import NIOCore

/// An event loop as a task's preferred executor (SE-0417): a connection's task runs its
/// requests on the loop that reads and writes its socket, so a request goes from the parser to
/// the service and back without a thread hop. Before, each request crossed to the global pool
/// and back (a wake-up each way): on these two cores a GetItem spent about a tenth of its CPU
/// in those wake-ups and the context switches after them.
///
/// A job enqueued from the loop itself is queued without waking the selector (NIO's
/// `execute` checks), so a task that resumes on its own loop costs no system call.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
