import Engine
import Journal
import ServiceKit
import StatesInterpreter
import StatesLanguage

/// `arn:aws:states:::sns:publish` (and `.waitForTaskToken`): Parameters are Publish's request
/// (a JSON `Message` is sent as its text), the result AWS's (`MessageId`, and `SequenceNumber`
/// for a FIFO topic). The publication's writes (its queue messages and durable deliveries)
/// are made in the same transaction as the step that schedules the task, so a crash can neither
/// lose the publication nor repeat it; the task then only wakes the receivers and answers. The
/// message id comes from the invocation's idempotency key, so planning twice names one message.
struct SNSPublishTaskHandler: TransactionalTaskHandler {
    let service: SNSService

    struct Planned: Sendable {
        var topic: String
        var publication: SNSService.Publication
        var fresh: Bool
    }

    func plan(_ invocation: TaskInvocation) -> Result<Planned, StatesError> {
        guard case .object(var body) = invocation.parameters else {
            return .failure(StatesError("SNS.InvalidParameterException", "The Parameters of sns:publish must be an object."))
        }
        if let m = body["Message"], m.stringValue == nil { body["Message"] = .string(m.serialized) }
        do throws(ServiceError) {
            guard let arn = body["TopicArn"]?.stringValue ?? body["TargetArn"]?.stringValue else {
                throw SNSService.invalid("TopicArn or TargetArn Reason: no value for required parameter")
            }
            guard let topic = service.mirroredTopic(arn) else { throw SNSService.notFound() }
            let attributes = topic["Attributes"]?.objectValue ?? [:]
            var p = try service.check(body, fifo: attributes["FifoTopic"] == "true", contentBased: attributes["ContentBasedDeduplication"] == "true",
                                      traceHeader: invocation.traceHeader)
            p.id = SQSSendTaskHandler.messageId(invocation.idempotencyKey)
            p.signatureVersion = attributes["SignatureVersion"]?.stringValue ?? "1"
            let (d, fresh) = service.deduplicate(arn, p)
            return .success(Planned(topic: arn, publication: d, fresh: fresh))
        } catch {
            return .failure(StatesError("SNS.\(error.code)", error.message))
        }
    }

    func answer(_ p: SNSService.Publication) -> JSON {
        var out: JSONObject = ["MessageId": .string(p.id)]
        if let seq = p.sequence { out["SequenceNumber"] = .string(SQSService.sequenceNumber(seq)) }
        return .object(out)
    }

    func attachments(scheduling invocation: TaskInvocation) -> [StepAttachment] {
        guard case .success(let planned) = plan(invocation), planned.fresh else { return [] }
        let now = service.now
        let writes = service.plan(planned.topic, [planned.publication], now: now)
        return [StepAttachment(store: "sns publications") { (t) throws(JournalError) in
            guard case .sqlite(let c) = t else { throw JournalError(.corrupt, "the SNS store writes to SQLite only") }
            try SNSService.write(writes, now: now, c)
        }]
    }

    func invoke(_ invocation: TaskInvocation) async -> TaskOutcome {
        switch plan(invocation) {
        case .failure(let e):
            return .failed(e)
        case .success(let planned):
            // Written with the step: wake what it concerns.
            await service.announce(topic: planned.topic)
            return invocation.taskToken == nil ? .succeeded(answer(planned.publication)) : .pending
        }
    }

    func invokeAlone(_ invocation: TaskInvocation) async -> TaskOutcome {
        switch plan(invocation) {
        case .failure(let e):
            return .failed(e)
        case .success(let planned):
            if planned.fresh {
                do throws(ServiceError) { try await service.fanOut(planned.topic, [planned.publication]) } catch {
                    return .failed(StatesError("SNS.\(error.code)", error.message))
                }
            }
            return .succeeded(answer(planned.publication))
        }
    }
}
