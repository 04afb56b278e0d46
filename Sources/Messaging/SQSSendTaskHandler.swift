import Crypto
import Engine
import Journal
import ServiceKit
import StatesInterpreter
import StatesLanguage

/// `arn:aws:states:::sqs:sendMessage` (and `.waitForTaskToken`): the message is inserted in the
/// same transaction as the step that schedules the task, so a crash can neither lose the send
/// nor repeat it; the task then only answers (AWS's shape: MD5OfMessageBody, MessageId) or, with
/// a token, waits for the callback. The message id comes from the invocation's idempotency
/// key, so planning the send twice (at scheduling, then to answer) names the same message.
struct SQSSendTaskHandler: TransactionalTaskHandler {
    let service: SQSService

    /// The send this invocation makes, or why it cannot.
    func plan(_ invocation: TaskInvocation) -> Result<(SQSQueue, PlannedSend), StatesError> {
        guard case .object(var body) = invocation.parameters else {
            return .failure(StatesError("SQS.InvalidParameterValueException", "The Parameters of sqs:sendMessage must be an object."))
        }
        // The optimised integration takes any JSON as the body and sends its text.
        if let b = body["MessageBody"], b.stringValue == nil { body["MessageBody"] = .string(b.serialized) }
        do throws(ServiceError) {
            guard let url = body["QueueUrl"]?.stringValue else {
                throw ServiceError("MissingRequiredParameterException", "The request must contain the parameter QueueUrl.")
            }
            let q = try service.queue(url: url)
            if let trace = invocation.traceHeader, body["MessageSystemAttributes"] == nil {
                body["MessageSystemAttributes"] = ["AWSTraceHeader": ["DataType": "String", "StringValue": .string(trace)]]
            }
            let p = try service.plan(q, body, id: Self.messageId(invocation.idempotencyKey), now: service.now, senderId: service.account)
            return .success((q, p))
        } catch {
            return .failure(StatesError("SQS.\(error.code)", error.message))
        }
    }

    /// A UUID-shaped id from the invocation's key.
    static func messageId(_ key: String) -> String {
        let h = Array(SHA256.hash(data: Array(key.utf8)))
        let hex = h.prefix(16).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        let c = Array(hex)
        return "\(String(c[0..<8]))-\(String(c[8..<12]))-\(String(c[12..<16]))-\(String(c[16..<20]))-\(String(c[20..<32]))"
    }

    func attachments(scheduling invocation: TaskInvocation) -> [StepAttachment] {
        guard case .success(let (_, p)) = plan(invocation) else { return [] }
        let now = service.now
        return [StepAttachment(store: "sqs messages") { (t) throws(JournalError) in
            guard case .sqlite(let c) = t else { throw JournalError(.corrupt, "the SQS store writes to SQLite only") }
            _ = try SQLiteMessageStore.insert([p.outgoing], now: now, c)
        }]
    }

    func invokeAlone(_ invocation: TaskInvocation) async -> TaskOutcome {
        switch plan(invocation) {
        case .failure(let e):
            return .failed(e)
        case .success(let (q, p)):
            do throws(ServiceError) {
                let stored = try await service.stored([p.outgoing], queue: q.name)
                let m = stored.first ?? p.outgoing.message
                return .succeeded(.object(SQSService.answer(p, m, fifo: q.isFifo)))
            } catch {
                return .failed(StatesError("SQS.\(error.code)", error.message))
            }
        }
    }

    func invoke(_ invocation: TaskInvocation) async -> TaskOutcome {
        switch plan(invocation) {
        case .failure(let e):
            return .failed(e)
        case .success(let (q, p)):
            await service.waiters.signal(q.name)
            let answer = SQSService.answer(p, p.outgoing.message, fifo: false)
            return invocation.taskToken == nil ? .succeeded(.object(answer)) : .pending
        }
    }
}
