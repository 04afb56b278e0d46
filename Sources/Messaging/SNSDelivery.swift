import Crypto
import Engine
import Foundation
import Journal
import ServiceKit
import StatesInterpreter
import StatesLanguage

/// Performs a topic's deliveries to functions, HTTP(S) endpoints and email addresses from the
/// durable queue `sns.delivery`, at least once, with SNS's retries; a delivery that used them up
/// goes to the subscription's dead-letter queue when it has one (the SQS message SNS writes
/// there), else it is logged.
final class SNSDelivery: QueueConsumer, @unchecked Sendable {
    // @unchecked Sendable: `worker` is set once, right after init, before any delivery.
    static let queue = "sns.delivery"
    let engine: Engine
    let sqs: SQSService
    let emails: DocumentBook<JSONObject>
    let clock: any EngineClock
    /// Where subscribers are told to confirm and unsubscribe (the endpoint's address).
    let endpoint: String
    let signer: NotificationSigner
    private(set) var worker: QueueWorker?

    init(engine: Engine, sqs: SQSService, emails: DocumentBook<JSONObject>, clock: any EngineClock, signer: NotificationSigner) {
        self.signer = signer
        self.engine = engine
        self.sqs = sqs
        self.emails = emails
        self.clock = clock
        endpoint = "http://\(sqs.defaultHost)"
    }

    func attach(_ worker: QueueWorker) { self.worker = worker }

    /// Where the certificate that verifies notifications is served (AWS's file name pattern).
    var certificateURL: String { "\(endpoint)/SimpleNotificationService-baton.pem" }

    /// The envelope's signature (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA).
    func signature(of e: JSONObject) -> String { signer.sign(e, version: e["SignatureVersion"]?.stringValue ?? "1") }

    /// Sends a SubscriptionConfirmation (email-json and email to the outbox, http(s) by POST), once, now.
    func confirm(subscription s: JSONObject, message: JSONObject, now: Int64) async {
        var m = message
        m["SignatureVersion"] = "1"
        m["Signature"] = .string(signature(of: m))
        m["SigningCertURL"] = .string(certificateURL)
        let body = JSON.object(m).serialized
        let proto = s["Protocol"]?.stringValue ?? ""
        switch proto {
        case "email", "email-json":
            await record(s, subject: "AWS Notification - Subscription Confirmation", body: body, id: m["MessageId"]?.stringValue ?? UUIDText.random())
        case "http", "https":
            _ = await post(s, body: body, type: "SubscriptionConfirmation", id: m["MessageId"]?.stringValue ?? "", raw: false)
        default:
            break
        }
    }

    func record(_ s: JSONObject, subject: String?, body: String, id: String) async {
        let entry: JSONObject = [
            "Endpoint": s["Endpoint"] ?? .null, "Protocol": s["Protocol"] ?? .null, "SubscriptionArn": s["SubscriptionArn"] ?? .null,
            "Subject": subject.map { .string($0) } ?? .null, "Body": .string(body), "Timestamp": .string(clock.now().iso8601),
        ]
        _ = try? await emails.update("\(clock.now().milliseconds)-\(id)") { (v: inout JSONObject?) throws(ServiceError) in v = entry }
    }

    /// A POST of the notification; true on a 2xx answer.
    func post(_ s: JSONObject, body: String, type: String, id: String, raw: Bool) async -> Bool {
        guard let url = s["Endpoint"]?.stringValue, URL(string: url) != nil else { return false }
        var headers: [(String, String)] = [("Content-Type", "text/plain; charset=UTF-8"), ("x-amz-sns-message-type", type),
                                           ("x-amz-sns-message-id", id), ("User-Agent", "Amazon Simple Notification Service Agent")]
        if let topic = s["TopicArn"]?.stringValue { headers.append(("x-amz-sns-topic-arn", topic)) }
        if type == "Notification", let subscription = s["SubscriptionArn"]?.stringValue {
            headers.append(("x-amz-sns-subscription-arn", subscription))
        }
        if raw { headers.append(("x-amz-sns-rawdelivery", "true")) }
        do {
            return try await OutboundHTTP.send("POST", to: url, headers: headers, body: Array(body.utf8), timeoutSeconds: 15).succeeded
        } catch {
            return false
        }
    }

    // MARK: QueueConsumer

    package func policy(for message: QueuedMessage) async -> QueuePolicy {
        // SNS's default for HTTP: 3 retries 20 s apart; functions are retried twice more (Lambda's async retries).
        QueuePolicy(maximumReceives: 4, maximumAgeMillis: nil, visibilityMillis: 5 * 60_000, backoffMillis: { _ in 20_000 })
    }

    package func handle(_ message: QueuedMessage) async -> QueueOutcome {
        guard case .object(let body)? = try? JSONParser.parse(message.body), let s = body["subscription"]?.objectValue,
              let payload = body["payload"]?.stringValue else {
            return .deadLetter("the delivery cannot be read")
        }
        let proto = s["Protocol"]?.stringValue ?? ""
        let id = body["messageId"]?.stringValue ?? message.id
        switch proto {
        case "lambda":
            guard let arn = s["Endpoint"]?.stringValue else { return .deadLetter("no function") }
            let event = body["lambdaEvent"] ?? .null
            guard let outcome = await engine.call(arn, parameters: event, caller: "SNS", key: message.id) else {
                return .retry("no function service for \(arn)")
            }
            switch outcome {
            case .succeeded, .pending: return .done
            case .failed(let e): return .retry("\(e.error): \(e.cause ?? "")")
            }
        case "http", "https":
            return await post(s, body: payload, type: "Notification", id: id, raw: body["raw"] == .bool(true)) ? .done : .retry("the endpoint did not answer 2xx")
        case "email", "email-json":
            await record(s, subject: body["subject"]?.stringValue, body: payload, id: id)
            return .done
        default:
            // sms, application, firehose: accepted and dropped (nothing to deliver to here).
            return .done
        }
    }

    package func deadLetter(_ message: QueuedMessage, reason: String) async throws {
        guard case .object(let body)? = try? JSONParser.parse(message.body), let s = body["subscription"]?.objectValue,
              let text = s["Attributes"]?["RedrivePolicy"]?.stringValue,
              let arn = (try? JSONParser.parse(text))?["deadLetterTargetArn"]?.stringValue else {
            engine.logger.warning("SNS delivery failed", metadata: ["id": "\(message.id)", "reason": "\(reason)"])
            return
        }
        // The dead-letter queue gets the notification as the subscriber would have.
        var parameters: JSONObject = ["QueueUrl": .string(arn), "MessageBody": body["payload"] ?? ""]
        if arn.hasSuffix(".fifo") {
            parameters["MessageGroupId"] = "sns-dlq"
            parameters["MessageDeduplicationId"] = .string(String(message.id.prefix(128)).replacingOccurrences(of: "/", with: "-"))
        }
        _ = await engine.call("arn:aws:states:::sqs:sendMessage", parameters: .object(parameters), caller: "SNS", key: message.id)
    }
}
