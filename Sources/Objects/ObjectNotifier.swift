import Engine
import Journal
import ServiceKit
import StatesInterpreter
import StatesLanguage

/// Delivers the queued notifications of `s3.notifications` through the seam: a queue's
/// `sqs:sendMessage`, a topic's `sns:publish` (subject "Amazon S3 Notification", as S3 sends),
/// a function's asynchronous invoke, EventBridge's `events:putEvents` on the default bus. At
/// least once; a destination that is down is tried again with backoff for a day, then the
/// notification is kept (owner `s3.undelivered`) and logged.
final class ObjectNotifier: QueueConsumer, Sendable {
    let engine: Engine
    let store: any ServiceStore
    let clock: any EngineClock

    init(engine: Engine, store: any ServiceStore, clock: any EngineClock) {
        self.engine = engine
        self.store = store
        self.clock = clock
    }

    func policy(for message: QueuedMessage) async -> QueuePolicy {
        QueuePolicy(maximumReceives: 200, maximumAgeMillis: 86_400_000, visibilityMillis: 5 * 60_000,
                    backoffMillis: { n in min(1000 << min(Int64(n), 6), 60_000) })
    }

    func handle(_ message: QueuedMessage) async -> QueueOutcome {
        guard case .object(let body)? = try? JSONParser.parse(message.body), let destination = body["destination"]?.stringValue,
              let payload = body["payload"] else {
            return .deadLetter("the notification cannot be read")
        }
        let arn = body["arn"]?.stringValue ?? ""
        guard let (resource, parameters) = Self.call(destination: destination, arn: arn, payload: payload) else {
            return .deadLetter("unknown destination \(destination)")
        }
        guard let outcome = await engine.call(resource, parameters: parameters, caller: "S3", key: message.id) else {
            return .retry("no service on this endpoint answers \(resource)")
        }
        switch outcome {
        case .succeeded, .pending: return .done
        case .failed(let e): return .retry("\(e.error): \(e.cause ?? "")")
        }
    }

    /// The integration and its parameters that deliver a payload to a destination.
    static func call(destination: String, arn: String, payload: JSON) -> (String, JSON)? {
        switch destination {
        case "queue":
            return ("arn:aws:states:::sqs:sendMessage", ["QueueUrl": .string(arn), "MessageBody": .string(payload.serialized)])
        case "topic":
            return ("arn:aws:states:::sns:publish",
                    ["TopicArn": .string(arn), "Message": .string(payload.serialized), "Subject": "Amazon S3 Notification"])
        case "function":
            // AWS invokes the function asynchronously: its own retries and destinations apply.
            return ("arn:aws:states:::lambda:invoke", ["FunctionName": .string(arn), "Payload": payload, "InvocationType": "Event"])
        case "eventbridge":
            return ("arn:aws:states:::events:putEvents", ["Entries": [payload]])
        default:
            return nil
        }
    }

    func deadLetter(_ message: QueuedMessage, reason: String) async throws {
        var record = (try? JSONParser.parse(message.body))?.objectValue ?? [:]
        record["reason"] = .string(reason)
        record["failedAt"] = .string(clock.now().iso8601)
        try await store.write([DocumentWrite(owner: "s3.undelivered", key: message.id, body: JSON.object(record).serializedBytes)])
        engine.logger.warning("S3 notification not delivered", metadata: ["destination": "\(record["arn"]?.stringValue ?? "eventbridge")",
                                                                           "reason": "\(reason)"])
    }
}
