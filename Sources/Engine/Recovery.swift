/// What a restart found in the journal, for the server's start-up log.
package struct Recovery: Sendable, Equatable {
    /// Standard executions that were running and go on where they were.
    package var running = 0
    /// Express executions a restart interrupted, marked failed (AWS runs them at most once).
    package var expressFailed = 0
    /// Tasks not yet confirmed, performed again.
    package var redispatched = 0

    package init() {}
}
