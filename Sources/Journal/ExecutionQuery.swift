import StatesInterpreter

/// One page of ListExecutions, filtered and ordered by the store (newest first), so a page
/// costs the page, not every execution ever stored.
package struct ExecutionQuery: Sendable, Equatable {
    /// nil: every state machine's executions (the console's list).
    package var stateMachineArn: String?
    package var status: ExecutionStatus?
    /// Only executions whose name starts with this.
    package var namePrefix: String?
    /// Only executions started in `[startedFrom, startedUntil)` (epoch milliseconds).
    package var startedFrom: Int64?
    package var startedUntil: Int64?
    /// A version or alias ARN: only executions started through it.
    package var qualifiedArn: String?
    package var limit: Int
    /// Where the previous page ended.
    package var after: ExecutionCursor?

    package init(stateMachineArn: String?, status: ExecutionStatus? = nil, qualifiedArn: String? = nil, limit: Int,
                 after: ExecutionCursor? = nil, namePrefix: String? = nil, startedFrom: Int64? = nil, startedUntil: Int64? = nil) {
        self.stateMachineArn = stateMachineArn
        self.status = status
        self.namePrefix = namePrefix
        self.startedFrom = startedFrom
        self.startedUntil = startedUntil
        self.qualifiedArn = qualifiedArn
        self.limit = limit
        self.after = after
    }
}

/// A position in the newest-first order: (start time, ARN), both descending.
package struct ExecutionCursor: Sendable, Equatable {
    package var startMillis: Int64
    package var arn: String

    package init(startMillis: Int64, arn: String) {
        self.startMillis = startMillis
        self.arn = arn
    }

    /// Opaque to callers: `c<start>:<arn>`.
    package var token: String { "c\(startMillis):\(arn)" }

    package init?(token: String) {
        guard token.hasPrefix("c"), let colon = token.firstIndex(of: ":"),
              let start = Int64(token[token.index(after: token.startIndex)..<colon]) else { return nil }
        let arn = String(token[token.index(after: colon)...])
        guard arn.hasPrefix("arn:") else { return nil }
        self.init(startMillis: start, arn: arn)
    }

    /// Whether `(start, arn)` comes after this cursor in newest-first order.
    package func precedes(startMillis start: Int64, arn other: String) -> Bool {
        start < startMillis || (start == startMillis && other < arn)
    }
}

/// What ListExecutions shows of an execution: no input, output or snapshot.
package struct ExecutionSummary: Sendable, Equatable {
    package var arn: String
    package var stateMachineArn: String
    package var name: String
    package var status: ExecutionStatus
    package var startMillis: Int64
    package var stopMillis: Int64?
    package var redriveCount: Int

    package init(arn: String, stateMachineArn: String, name: String, status: ExecutionStatus, startMillis: Int64, stopMillis: Int64?,
                 redriveCount: Int = 0) {
        self.arn = arn
        self.stateMachineArn = stateMachineArn
        self.name = name
        self.status = status
        self.startMillis = startMillis
        self.stopMillis = stopMillis
        self.redriveCount = redriveCount
    }

    package var cursor: ExecutionCursor { ExecutionCursor(startMillis: startMillis, arn: arn) }
}

extension ExecutionQuery {
    /// Whether an execution passes every filter but the cursor and the qualifier (the in-memory
    /// journal's reading of the query, and the SQL's meaning).
    package func admits(stateMachineArn machine: String, name: String, status: ExecutionStatus, startMillis start: Int64) -> Bool {
        (stateMachineArn == nil || stateMachineArn == machine) && (self.status == nil || self.status == status)
            && (namePrefix.map { name.hasPrefix($0) } ?? true) && (startedFrom.map { start >= $0 } ?? true)
            && (startedUntil.map { start < $0 } ?? true)
    }
}
