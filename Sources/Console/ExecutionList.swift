import Journal
import ServiceKit
import StatesInterpreter
import StatesLanguage

/// The console's execution list: every state machine's executions (or one's), newest first,
/// filtered by status, name prefix and start time, a page at a time. Each page is one index
/// range read, however many rows the journal holds.
struct ExecutionList {
    let journal: any JournalStore

    static let defaultPage = 100
    static let largestPage = 1000

    func page(_ query: [String: String]) async throws(ServiceError) -> JSON {
        let q = try Self.query(query)
        let rows: [ExecutionSummary]
        do { rows = try await journal.listExecutions(q) } catch { throw ServiceError.internalFailure("\(error)") }
        let page = rows.prefix(q.limit - 1)
        var out: JSONObject = ["executions": .array(page.map { e in
            var o: JSONObject = ["executionArn": .string(e.arn), "stateMachineArn": .string(e.stateMachineArn), "name": .string(e.name),
                                 "status": .string(e.status.rawValue), "startDate": .double(Double(e.startMillis) / 1000)]
            if let stop = e.stopMillis { o["stopDate"] = .double(Double(stop) / 1000) }
            if e.redriveCount > 0 { o["redriveCount"] = .int(Int64(e.redriveCount)) }
            return .object(o)
        })]
        // One row more than the page says whether another follows.
        if rows.count == q.limit, let last = page.last { out["nextToken"] = .string(last.cursor.token) }
        return .object(out)
    }

    /// The query string's filters, checked: bad input is refused, never half-applied.
    static func query(_ query: [String: String]) throws(ServiceError) -> ExecutionQuery {
        var size = defaultPage
        if let text = query["maxResults"] {
            guard let n = Int(text), (1...largestPage).contains(n) else {
                throw ServiceError.validation("maxResults must be a whole number from 1 to \(largestPage), not '\(text)'")
            }
            size = n
        }
        var q = ExecutionQuery(stateMachineArn: nil, limit: size + 1)
        if let machine = query["stateMachineArn"], !machine.isEmpty {
            guard machine.hasPrefix("arn:") else { throw ServiceError("InvalidArn", "Invalid Arn: '\(machine)'") }
            q.stateMachineArn = machine
        }
        if let status = query["statusFilter"], !status.isEmpty {
            guard let parsed = ExecutionStatus(rawValue: status) else {
                throw ServiceError.validation("statusFilter must be one of ABORTED, FAILED, RUNNING, SUCCEEDED, TIMED_OUT, not '\(status)'")
            }
            q.status = parsed
        }
        if let prefix = query["namePrefix"], !prefix.isEmpty { q.namePrefix = prefix }
        q.startedFrom = try milliseconds(query, "startedAfter")
        q.startedUntil = try milliseconds(query, "startedBefore")
        if let token = query["nextToken"], !token.isEmpty {
            guard let cursor = ExecutionCursor(token: token) else { throw ServiceError("InvalidToken", "Invalid Token: '\(token)'") }
            q.after = cursor
        }
        return q
    }

    /// A time bound in epoch milliseconds.
    static func milliseconds(_ query: [String: String], _ name: String) throws(ServiceError) -> Int64? {
        guard let text = query[name], !text.isEmpty else { return nil }
        guard let ms = Int64(text), ms >= 0 else { throw ServiceError.validation("\(name) must be epoch milliseconds, not '\(text)'") }
        return ms
    }
}
