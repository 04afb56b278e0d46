import Crypto
import Journal
import ServiceKit
import StatesLanguage

/// Publish: checked, filtered per subscription, and fanned out in one commit. A queue
/// subscription's message is inserted in that commit (so a crash can neither lose it nor send
/// it twice); every other subscription gets a durable delivery performed by the worker.
extension SNSService {
    /// SNS's limit on a message with its attributes.
    static let maximumMessageBytes = 262_144

    struct Publication: Sendable {
        var id: String
        var message: String
        var subject: String?
        var structure: JSONObject?
        var attributes: JSONObject
        var groupId: String?
        var deduplicationId: String?
        var traceHeader: String?
        /// A FIFO topic's sequence number for the publication.
        var sequence: Int64?
        /// The topic's SignatureVersion ("1": SHA1withRSA, "2": SHA256withRSA).
        var signatureVersion = "1"

        /// The text a protocol receives: with MessageStructure json, its own key or `default`.
        func text(for proto: String) -> String {
            guard let s = structure else { return message }
            return s[proto]?.stringValue ?? s["default"]?.stringValue ?? message
        }
    }

    /// SNS's checks of message attributes, in its words (`path` names the member in a
    /// ValidationError: `messageAttributes`, or a batch entry's).
    static func checkAttributes(_ given: JSONObject, path: String) throws(ServiceError) -> JSONObject {
        func invalid(_ m: String) -> ServiceError { ServiceError("InvalidParameterValueException", m) }
        var out = JSONObject()
        for (name, a) in given {
            if name.utf8.count > 256 { throw invalid("Length of message attribute name must be less than 256 bytes.") }
            if let bad = name.unicodeScalars.first(where: { !($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) && !"-_.".unicodeScalars.contains($0) }) {
                let hex = String(bad.value, radix: 16, uppercase: true)
                throw invalid("Invalid non-alphanumeric character '#x\(hex)' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.")
            }
            if name.hasPrefix(".") { throw invalid("Invalid message attribute name starting with character '.' was found.") }
            if name.hasSuffix(".") { throw invalid("Invalid message attribute name ending with character '.' was found.") }
            if name.contains("..") { throw invalid("Message attribute name can not have successive '.' character.") }
            guard let type = a["DataType"]?.stringValue else {
                throw ServiceError("ValidationError",
                                   "1 validation error detected: Value null at '\(path).\(name).member.dataType' failed to satisfy constraint: Member must not be null")
            }
            let base = type.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? type
            guard ["String", "Number", "Binary"].contains(base), type != base + ".", type.utf8.count <= 256 else {
                throw invalid("The message attribute '\(name)' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.")
            }
            let text = a["StringValue"]?.stringValue, binary = a["BinaryValue"]?.stringValue
            if base == "Binary" {
                if text != nil, binary == nil { throw invalid("The message attribute '\(name)' with type 'Binary' must use field 'Binary'.") }
                guard let binary, !binary.isEmpty else {
                    throw invalid("The message attribute '\(name)' must contain non-empty message attribute value for message attribute type 'Binary'.")
                }
            } else {
                if text == nil, binary != nil { throw invalid("The message attribute '\(name)' with type '\(base)' must use field 'String'.") }
                guard let text, !text.isEmpty else {
                    throw invalid("The message attribute '\(name)' must contain non-empty message attribute value for message attribute type '\(base)'.")
                }
                if base == "Number", Double(text.trimmingSpaces) == nil {
                    throw invalid("An error occurred while parsing message attribute value: Could not cast message attribute '\(name)' value to number.")
                }
            }
            out[name] = a
        }
        return out
    }

    func check(_ e: JSONObject, fifo: Bool, contentBased: Bool, traceHeader: String?, path: String = "messageAttributes") throws(ServiceError) -> Publication {
        guard let message = e["Message"]?.stringValue, !message.isEmpty else { throw Self.invalid("Empty message") }
        var structure: JSONObject?
        if e["MessageStructure"]?.stringValue == "json" {
            guard case .object(let o)? = try? JSONParser.parse(message) else {
                throw Self.invalid("Message Structure - JSON message body failed to parse")
            }
            guard o["default"]?.stringValue != nil else { throw Self.invalid("Message Structure - No default entry in JSON message body") }
            structure = o
        }
        let subject = e["Subject"]?.stringValue
        if let subject, subject.isEmpty || subject.count > 100 || subject.contains("\n") { throw Self.invalid("Subject") }
        let attributes = try Self.checkAttributes(e["MessageAttributes"]?.objectValue ?? [:], path: path)
        if message.utf8.count + MessageAttributes.size(attributes) > Self.maximumMessageBytes { throw Self.invalid("Message too long") }
        let group = e["MessageGroupId"]?.stringValue
        var dedup = e["MessageDeduplicationId"]?.stringValue
        if fifo {
            guard group != nil else { throw Self.invalid("The MessageGroupId parameter is required for FIFO topics") }
            if dedup == nil {
                guard contentBased else {
                    throw Self.invalid("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
                }
                dedup = MessageAttributes.hex(SHA256.hash(data: Array(message.utf8)))
            }
        } else if dedup != nil {
            throw Self.invalid("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
        }
        return Publication(id: UUIDText.random(), message: message, subject: subject, structure: structure, attributes: attributes,
                           groupId: group, deduplicationId: dedup, traceHeader: traceHeader)
    }

    func publish(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let topicArn = try request.string("TopicArn")
        let targetArn = try request.string("TargetArn")
        guard let arn = topicArn ?? targetArn else {
            if let phone = try request.string("PhoneNumber") {
                // Accepted and checked; there is no carrier to hand it to.
                guard Self.isPhoneNumber(phone) else { throw Self.invalid("PhoneNumber Reason: \(phone) is not valid to publish to") }
                _ = try check(request.body, fifo: false, contentBased: false, traceHeader: nil)
                return ["MessageId": .string(UUIDText.random())]
            }
            throw Self.invalid("TopicArn or TargetArn Reason: no value for required parameter")
        }
        let (_, t) = try await topic(arn)
        let fifo = t["Attributes"]?["FifoTopic"] == "true"
        let checked = try check(request.body, fifo: fifo, contentBased: t["Attributes"]?["ContentBasedDeduplication"] == "true",
                                traceHeader: request.traceHeader)
        var signed = checked
        signed.signatureVersion = t["Attributes"]?["SignatureVersion"]?.stringValue ?? "1"
        let (p, fresh) = deduplicate(arn, signed)
        if fresh { try await fanOut(arn, [p]) }
        var out: JSONObject = ["MessageId": .string(p.id)]
        if let seq = p.sequence { out["SequenceNumber"] = .string(SQSService.sequenceNumber(seq)) }
        return .object(out)
    }

    func publishBatch(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let arn = try request.required("TopicArn")
        let (_, t) = try await topic(arn)
        guard let entries = request.body["PublishBatchRequestEntries"]?.arrayValue, !entries.isEmpty else {
            throw ServiceError("EmptyBatchRequestException", "The batch request doesn't contain any entries")
        }
        guard entries.count <= 10 else {
            throw ServiceError("TooManyEntriesInBatchRequestException", "The batch request contains more entries than permissible.")
        }
        var ids: Set<String> = []
        for e in entries {
            let id = e["Id"]?.stringValue ?? ""
            guard id.count <= 80 else {
                throw ServiceError("InvalidBatchEntryIdException", "The Id of a batch entry in the batch request is too long: \(id)")
            }
            guard !id.isEmpty,
                  id.unicodeScalars.allSatisfy({ ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_" }) else {
                throw ServiceError("InvalidBatchEntryIdException", "The Id of a batch entry in the batch request contains an impermissible character: \(id)")
            }
            guard ids.insert(id).inserted else {
                throw ServiceError("BatchEntryIdsNotDistinctException", "Two or more batch entries in the request have the same Id.")
            }
        }
        let fifo = t["Attributes"]?["FifoTopic"] == "true"
        let contentBased = t["Attributes"]?["ContentBasedDeduplication"] == "true"
        var total = 0
        for (i, e) in entries.enumerated() {
            let attributes = try Self.checkAttributes(e["MessageAttributes"]?.objectValue ?? [:],
                                                      path: "publishBatchRequestEntries.\(i + 1).member.messageAttributes")
            total += (e["Message"]?.stringValue?.utf8.count ?? 0) + MessageAttributes.size(attributes)
        }
        if total > Self.maximumMessageBytes {
            throw ServiceError("BatchRequestTooLongException", "The length of all the messages put together is more than the limit.")
        }
        var ok: [(String, Publication)] = []
        var failed: [JSON] = []
        for e in entries {
            let id = e["Id"]?.stringValue ?? ""
            do throws(ServiceError) {
                var p = try check(e.objectValue ?? [:], fifo: fifo, contentBased: contentBased, traceHeader: request.traceHeader)
                p.signatureVersion = t["Attributes"]?["SignatureVersion"]?.stringValue ?? "1"
                ok.append((id, p))
            } catch {
                let code = queryProtocol?.model.queryError(error.code).code ?? error.code
                failed.append(["Id": .string(id), "Code": .string(code), "Message": .string(error.message), "SenderFault": true])
            }
        }
        var published: [(String, Publication)] = []
        var fresh: [Publication] = []
        for (id, p) in ok {
            let (d, isNew) = deduplicate(arn, p)
            published.append((id, d))
            if isNew { fresh.append(d) }
        }
        try await fanOut(arn, fresh)
        return ["Successful": .array(published.map { id, p in
            var o: JSONObject = ["Id": .string(id), "MessageId": .string(p.id)]
            if let seq = p.sequence { o["SequenceNumber"] = .string(SQSService.sequenceNumber(seq)) }
            return .object(o)
        }), "Failed": .array(failed)]
    }

    /// A FIFO publication numbered, or the earlier one its deduplication id names within five
    /// minutes (then nothing is sent again); a standard one as it is.
    func deduplicate(_ topicArn: String, _ p: Publication) -> (Publication, Bool) {
        guard let dedup = p.deduplicationId else { return (p, true) }
        let now = self.now
        let key = "\(topicArn)\u{1}\(dedup)"
        var out = p
        var fresh = true
        let sequence = self.sequence
        deduplication.mutate { table in
            if let hit = table[key], hit.expires > now {
                out.id = hit.id
                out.sequence = hit.sequence
                fresh = false
                return
            }
            let seq = sequence.next()
            out.sequence = seq
            table[key] = (p.id, seq, now + 300_000)
            if table.count > 100_000 { table = table.filter { $0.value.expires > now } }
        }
        return (out, fresh)
    }

    /// What a set of publications writes: queue messages, durable deliveries, queues to wake.
    struct FanOut: Sendable {
        var sends: [OutgoingMessage] = []
        var deliveries: [QueuedMessage] = []
        var touched: Set<String> = []
    }

    /// Plans the writes of every subscription of every publication (synchronous: a Task state's
    /// publication is planned while its step is built, and written in the step's transaction).
    func plan(_ topicArn: String, _ publications: [Publication], now: Int64) -> FanOut {
        let subs = (byTopic.value[topicArn] ?? []).filter { $0["Confirmed"] == .bool(true) }
        var out = FanOut()
        for p in publications {
            for s in subs {
                let attributes = s["Attributes"]?.objectValue ?? [:]
                let byBody = attributes["FilterPolicyScope"]?.stringValue == "MessageBody"
                if let text = attributes["FilterPolicy"]?.stringValue,
                   let policy = filterPolicy(text, scope: byBody ? "MessageBody" : "MessageAttributes") {
                    guard byBody ? policy.matches(body: p.message) : policy.matches(attributes: p.attributes) else { continue }
                }
                let proto = s["Protocol"]?.stringValue ?? ""
                let raw = attributes["RawMessageDelivery"]?.stringValue?.lowercased() == "true"
                if proto == "sqs" {
                    if let (q, m) = queueSend(p, subscription: s, raw: raw, now: now) {
                        out.sends.append(m)
                        out.touched.insert(q)
                    } else if let dlq = deadLetterQueue(s), let (q, m) = queueSend(p, subscription: s, raw: raw, now: now, to: dlq) {
                        // The queue is gone: the subscription's dead-letter queue gets the message.
                        out.sends.append(m)
                        out.touched.insert(q)
                    }
                    continue
                }
                let body: JSONObject = [
                    "subscription": .object(s), "payload": .string(payload(p, subscription: s, proto: proto, raw: raw)),
                    "messageId": .string(p.id), "subject": p.subject.map { .string($0) } ?? .null, "raw": .bool(raw),
                    "lambdaEvent": proto == "lambda" ? lambdaEvent(p, subscription: s) : .null,
                ]
                out.deliveries.append(QueuedMessage(queue: SNSDelivery.queue, id: "\(p.id)/\(s["SubscriptionArn"]?.stringValue ?? "")",
                                                    body: JSON.object(body).serializedBytes, enqueuedMillis: now, visibleAtMillis: now))
            }
        }
        return out
    }

    /// The plan's writes on a writer transaction (their own commit, or a Task step's).
    static func write(_ plan: FanOut, now: Int64, _ c: SQLiteConnection) throws(JournalError) {
        _ = try SQLiteMessageStore.insert(plan.sends, now: now, c)
        for m in plan.deliveries {
            do { try SQLiteJournal.insert(m, c) } catch where error.code == .alreadyExists {
                // Planned again for the same publication (a task's redelivery): it is queued already.
            }
        }
    }

    /// Wakes the receivers and the worker the plan's writes concern (after they are committed).
    func announce(_ plan: FanOut) async {
        for q in plan.touched { await sqs.waiters.signal(q) }
        if !plan.deliveries.isEmpty { worker.signal() }
    }

    /// Wakes what a topic's publication committed elsewhere may concern (a Task step wrote it):
    /// its queue subscriptions' receivers and the delivery worker, without planning it again.
    func announce(topic topicArn: String) async {
        for s in byTopic.value[topicArn] ?? [] where s["Protocol"] == "sqs" {
            if let q = (s["Endpoint"]?.stringValue).flatMap({ sqs.queue(arn: $0) }) { await sqs.waiters.signal(q.name) }
            if let dlq = deadLetterQueue(s) { await sqs.waiters.signal(dlq.name) }
        }
        worker.signal()
    }

    /// One commit for every subscription of every publication.
    func fanOut(_ topicArn: String, _ publications: [Publication]) async throws(ServiceError) {
        let now = self.now
        let planned = plan(topicArn, publications, now: now)
        do {
            _ = try await sqs.store.send(planned.sends, enqueueing: planned.deliveries, now: now)
        } catch {
            throw ServiceError.internalFailure("cannot store the publication: \(error)")
        }
        await announce(planned)
    }

    func deadLetterQueue(_ s: JSONObject) -> SQSQueue? {
        guard let text = s["Attributes"]?["RedrivePolicy"]?.stringValue, let arn = (try? JSONParser.parse(text))?["deadLetterTargetArn"]?.stringValue else {
            return nil
        }
        return sqs.queue(arn: arn)
    }

    /// The SQS message a queue subscription receives: the envelope, or (raw) the message with its attributes.
    func queueSend(_ p: Publication, subscription s: JSONObject, raw: Bool, now: Int64, to target: SQSQueue? = nil) -> (String, OutgoingMessage)? {
        guard let q = target ?? (s["Endpoint"]?.stringValue).flatMap({ sqs.queue(arn: $0) }) else { return nil }
        var entry: JSONObject = ["MessageBody": .string(payload(p, subscription: s, proto: "sqs", raw: raw))]
        if raw, !p.attributes.isEmpty { entry["MessageAttributes"] = .object(p.attributes) }
        if q.isFifo {
            entry["MessageGroupId"] = p.groupId.map { .string($0) } ?? "default"
            entry["MessageDeduplicationId"] = .string(p.deduplicationId ?? p.id)
        } else if let g = p.groupId, p.sequence == nil {
            // A standard topic's group id reaches a standard queue; a FIFO topic's does not.
            entry["MessageGroupId"] = .string(g)
        }
        if let trace = p.traceHeader { entry["MessageSystemAttributes"] = ["AWSTraceHeader": ["DataType": "String", "StringValue": .string(trace)]] }
        guard let planned = try? sqs.plan(q, entry, id: UUIDText.random(), now: now, senderId: account) else { return nil }
        return (q.name, planned.outgoing)
    }

    /// What a subscriber receives: the message itself (raw delivery) or SNS's notification envelope.
    func payload(_ p: Publication, subscription s: JSONObject, proto: String, raw: Bool) -> String {
        let text = p.text(for: proto)
        if raw { return text }
        return JSON.object(envelope(p, subscription: s, text: text, lambdaSpelling: false)).serialized
    }

    func envelope(_ p: Publication, subscription s: JSONObject, text: String, lambdaSpelling: Bool) -> JSONObject {
        let arn = s["TopicArn"]?.stringValue ?? ""
        var e: JSONObject = ["Type": "Notification", "MessageId": .string(p.id), "TopicArn": .string(arn)]
        if let subject = p.subject { e["Subject"] = .string(subject) } else if lambdaSpelling { e["Subject"] = .null }
        if let seq = p.sequence { e["SequenceNumber"] = .string(SQSService.sequenceNumber(seq)) }
        e["Message"] = .string(text)
        e["Timestamp"] = .string(clock.now().iso8601)
        // AWS signs standard topics' notifications; a FIFO topic's carry no signature.
        if p.sequence == nil {
            e["SignatureVersion"] = .string(p.signatureVersion)
            e["Signature"] = .string(delivery.signature(of: e))
            e[lambdaSpelling ? "SigningCertUrl" : "SigningCertURL"] = .string(delivery.certificateURL)
        }
        e[lambdaSpelling ? "UnsubscribeUrl" : "UnsubscribeURL"] = .string(
            "\(delivery.endpoint)/?Action=Unsubscribe&SubscriptionArn=\(s["SubscriptionArn"]?.stringValue ?? "")")
        if !p.attributes.isEmpty {
            var attrs = JSONObject()
            for (k, a) in p.attributes {
                attrs[k] = ["Type": a["DataType"] ?? "String", "Value": a["StringValue"] ?? a["BinaryValue"] ?? ""]
            }
            e["MessageAttributes"] = .object(attrs)
        } else if lambdaSpelling {
            e["MessageAttributes"] = .object([:])
        }
        return e
    }

    /// The event a function subscribed to the topic is invoked with (Lambda's SNS event).
    func lambdaEvent(_ p: Publication, subscription s: JSONObject) -> JSON {
        let sns = envelope(p, subscription: s, text: p.text(for: "lambda"), lambdaSpelling: true)
        return ["Records": [[
            "EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": s["SubscriptionArn"] ?? .null, "Sns": .object(sns),
        ]]]
    }
}

