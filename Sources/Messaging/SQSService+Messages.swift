import Foundation
import Crypto
import Journal
import ServiceKit
import StatesLanguage

/// A send checked and ready to store, with the digests its answer reports.
struct PlannedSend: Sendable {
    var outgoing: OutgoingMessage
    var md5OfBody: String
    var md5OfAttributes: String?
    var md5OfSystemAttributes: String?
}

/// Messages: send, receive (long polling that wakes on arrival), delete, visibility.
extension SQSService {
    /// Checks one message for `q` and builds what the store keeps. Synchronous, so a Task
    /// state's send can be planned while its step is being built.
    func plan(_ q: SQSQueue, _ e: JSONObject, id: String, now: Int64, senderId: String) throws(ServiceError) -> PlannedSend {
        guard let body = e["MessageBody"]?.stringValue else {
            throw ServiceError("MissingRequiredParameterException", "The request must contain the parameter MessageBody.")
        }
        if body.isEmpty {
            throw ServiceError("MissingRequiredParameterException", "The request must contain the parameter MessageBody.")
        }
        if MessageText.firstInvalidCharacter(body) != nil {
            throw ServiceError("InvalidMessageContents",
                               "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
        }
        let attributes = try MessageAttributes.validate(e["MessageAttributes"])
        let system = try MessageAttributes.validate(e["MessageSystemAttributes"], system: true)
        let size = body.utf8.count + MessageAttributes.size(attributes)
        if size > q.maximumMessageSize {
            throw ServiceError("InvalidParameterValueException",
                               "One or more parameters are invalid. Reason: Message must be shorter than \(q.maximumMessageSize) bytes.")
        }
        var delay = q.delayMillis
        if let d = e["DelaySeconds"], !d.isNull {
            guard let n = d.integerValue, d.isNumber else { throw ServiceError.serialization("DelaySeconds must be an integer") }
            guard (0...900).contains(n) else {
                throw Self.invalidParameter("DelaySeconds", String(n), "DelaySeconds must be >= 0 and <= 900.")
            }
            if q.isFifo, n != 0 {
                throw Self.invalidParameter("DelaySeconds", String(n), "The request include parameter that is not valid for this queue type.")
            }
            if !q.isFifo { delay = n * 1000 }
        }
        let group = e["MessageGroupId"]?.stringValue
        if let group { try Self.checkToken(group, "MessageGroupId") }
        let explicitDedup = e["MessageDeduplicationId"]?.stringValue
        if let explicitDedup { try Self.checkToken(explicitDedup, "MessageDeduplicationId") }
        var deduplication: (key: String, expiresMillis: Int64)?
        var dedupId: String?
        if q.isFifo {
            guard group != nil else {
                throw ServiceError("MissingRequiredParameterException", "The request must contain the parameter MessageGroupId.")
            }
            if let explicitDedup {
                dedupId = explicitDedup
            } else if q.contentBasedDeduplication {
                dedupId = MessageAttributes.hex(SHA256.hash(data: Array(body.utf8)))
            } else {
                throw ServiceError("InvalidParameterValueException",
                                   "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
            }
            if let dedupId {
                // AWS: a deduplication id is remembered for five minutes, per queue or per group.
                let key = q.deduplicatesPerGroup ? "\(group ?? "")\u{1}\(dedupId)" : dedupId
                deduplication = (key, now + 300_000)
            }
        } else if explicitDedup != nil {
            throw Self.invalidParameter("MessageDeduplicationId", explicitDedup ?? "",
                                        "The request includes a parameter that is not valid for this queue type.")
        }
        var document: JSONObject = ["Body": .string(body), "SenderId": .string(senderId)]
        let md5OfBody = MessageAttributes.md5Hex(Array(body.utf8))
        document["MD5OfBody"] = .string(md5OfBody)
        var md5OfAttributes: String?
        if !attributes.isEmpty {
            document["MessageAttributes"] = .object(attributes)
            md5OfAttributes = MessageAttributes.md5(attributes)
        }
        var md5OfSystem: String?
        if !system.isEmpty {
            md5OfSystem = MessageAttributes.md5(system)
            document["AWSTraceHeader"] = system["AWSTraceHeader"]?["StringValue"]
        }
        if q.isFifo {
            document["MessageGroupId"] = group.map { .string($0) }
            document["MessageDeduplicationId"] = dedupId.map { .string($0) }
        } else if let group {
            document["MessageGroupId"] = .string(group)
        }
        let stored = StoredMessage(queue: q.name, id: id, document: JSON.object(document).serializedBytes,
                                   groupId: q.isFifo ? group : nil, sentMillis: now, visibleAtMillis: now + delay)
        return PlannedSend(outgoing: OutgoingMessage(stored, deduplication: deduplication), md5OfBody: md5OfBody,
                           md5OfAttributes: md5OfAttributes, md5OfSystemAttributes: md5OfSystem)
    }

    /// MessageGroupId and MessageDeduplicationId: 1 to 128 printable ASCII characters (AWS's rule).
    static func checkToken(_ value: String, _ name: String) throws(ServiceError) {
        let ok = !value.isEmpty && value.utf8.count <= 128 && value.utf8.allSatisfy { $0 >= 33 && $0 <= 126 }
        guard ok else {
            throw invalidParameter(name, value, "\(name) can only include alphanumeric and punctuation characters. 1 to 128 in length.")
        }
    }

    /// SendMessage's answer for a stored message.
    static func answer(_ p: PlannedSend, _ m: StoredMessage, fifo: Bool) -> JSONObject {
        var out: JSONObject = ["MD5OfMessageBody": .string(p.md5OfBody), "MessageId": .string(m.id)]
        if let a = p.md5OfAttributes { out["MD5OfMessageAttributes"] = .string(a) }
        if let s = p.md5OfSystemAttributes { out["MD5OfMessageSystemAttributes"] = .string(s) }
        if fifo { out["SequenceNumber"] = .string(sequenceNumber(m.seq)) }
        return out
    }

    /// A FIFO message's SequenceNumber: 20 digits, growing with every send.
    static func sequenceNumber(_ seq: Int64) -> String {
        let digits = String(seq)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    func stored(_ sends: [OutgoingMessage], queue: String) async throws(ServiceError) -> [StoredMessage] {
        let result: [StoredMessage]
        do { result = try await store.send(sends, now: now) } catch {
            throw ServiceError.internalFailure("cannot store the message: \(error)")
        }
        await waiters.signal(queue)
        return result
    }

    func sendMessage(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let q = try queue(request)
        let p = try plan(q, request.body, id: UUIDText.random(), now: now, senderId: account)
        let result = try await stored([p.outgoing], queue: q.name)
        guard let m = result.first else { throw ServiceError.internalFailure("the message was not stored") }
        return .object(Self.answer(p, m, fifo: q.isFifo))
    }

    /// Checks a batch's entries as SQS does before any is tried: 1 to 10, distinct, well-formed ids.
    func batchEntries(_ request: JSONRequest, kind: String) throws(ServiceError) -> [JSONObject] {
        guard let items = request.body["Entries"]?.arrayValue, !items.isEmpty else {
            throw ServiceError("EmptyBatchRequest", "There should be at least one \(kind) in the request.")
        }
        guard items.count <= 10 else {
            throw ServiceError("TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10. You have sent \(items.count).")
        }
        var seen: Set<String> = []
        var out: [JSONObject] = []
        for item in items {
            guard case .object(let e) = item else { throw ServiceError.serialization("Entries must hold structures") }
            let id = e["Id"]?.stringValue ?? ""
            let valid = !id.isEmpty && id.count <= 80
                && id.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_" }
            guard valid else {
                throw ServiceError("InvalidBatchEntryId",
                                   "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
            }
            guard seen.insert(id).inserted else { throw ServiceError("BatchEntryIdsNotDistinct", "Id \(id) repeated.") }
            out.append(e)
        }
        return out
    }

    static func failure(_ id: String, _ error: ServiceError, sender: Bool = true) -> JSON {
        ["Id": .string(id), "SenderFault": .bool(sender), "Code": .string(error.code), "Message": .string(error.message)]
    }

    func sendMessageBatch(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let q = try queue(request)
        let entries = try batchEntries(request, kind: "SendMessageBatchRequestEntry")
        let total = entries.reduce(0) { n, e in
            n + (e["MessageBody"]?.stringValue?.utf8.count ?? 0) + MessageAttributes.size(e["MessageAttributes"]?.objectValue ?? [:])
        }
        // The batch's limit is SQS's own 1 MiB, whatever the queue's MaximumMessageSize.
        if total > 1_048_576 {
            throw ServiceError("BatchRequestTooLong", "Batch requests cannot be longer than 1048576 bytes. You have sent \(total) bytes.")
        }
        // On a FIFO queue a missing group or deduplication id refuses the whole batch (AWS).
        if q.isFifo {
            for e in entries {
                if e["MessageGroupId"]?.stringValue == nil {
                    throw ServiceError("InvalidParameterValueException", "The request must contain the parameter MessageGroupId.")
                }
                if e["MessageDeduplicationId"]?.stringValue == nil && !q.contentBasedDeduplication {
                    throw ServiceError("InvalidParameterValueException",
                                       "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
                }
            }
        }
        let now = self.now
        var planned: [(String, PlannedSend)] = []
        var failed: [JSON] = []
        for e in entries {
            let id = e["Id"]?.stringValue ?? ""
            do throws(ServiceError) {
                planned.append((id, try plan(q, e, id: UUIDText.random(), now: now, senderId: account)))
            } catch {
                var e = Self.batchError(error)
                // A batch entry's wording differs from SendMessage's for the size.
                e.message = e.message.replacingOccurrences(of: "One or more parameters are invalid.", with: "One or more parameters cannot be validated.")
                failed.append(Self.failure(id, e))
            }
        }
        var successful: [JSON] = []
        if !planned.isEmpty {
            let result = try await stored(planned.map(\.1.outgoing), queue: q.name)
            for ((id, p), m) in zip(planned, result) {
                var a = Self.answer(p, m, fifo: q.isFifo)
                a["Id"] = .string(id)
                successful.append(.object(a))
            }
        }
        return ["Successful": .array(successful), "Failed": .array(failed)]
    }

    /// A batch entry's failure carries the query code (the entry's Code is a plain string).
    static func batchError(_ e: ServiceError) -> ServiceError {
        switch e.code {
        case "InvalidParameterValueException": return ServiceError("InvalidParameterValue", e.message)
        case "MissingRequiredParameterException": return ServiceError("MissingParameter", e.message)
        default: return e
        }
    }

    // MARK: receive

    func receiveMessage(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let q = try queue(request)
        let max = try request.int("MaxNumberOfMessages") ?? 1
        guard (1...10).contains(max) else {
            throw Self.invalidParameter("MaxNumberOfMessages", String(max), "Must be between 1 and 10, if provided.")
        }
        let wait = try request.int("WaitTimeSeconds").map(Int64.init) ?? q.waitSeconds
        guard (0...20).contains(wait) else {
            throw Self.invalidParameter("WaitTimeSeconds", String(wait), "Must be >= 0 and <= 20, if provided.")
        }
        let visibility = try request.int("VisibilityTimeout").map { Int64($0) * 1000 } ?? q.visibilityMillis
        guard (0...43_200_000).contains(visibility) else {
            throw Self.invalidParameter("VisibilityTimeout", String(visibility / 1000), "Must be >= 0 and <= 43200, if provided.")
        }
        let systemNames = Set(try stringList(request, "AttributeNames") + stringList(request, "MessageSystemAttributeNames"))
        let attributeNames = try stringList(request, "MessageAttributeNames")
        let messages: [StoredMessage]
        if wait > 0 {
            let waiters = self.waiters
            messages = try await longPoll(endingWith: { Task { await waiters.close() } }) { () throws(ServiceError) in
                try await self.receive(q, max: max, waitSeconds: wait, visibilityMillis: visibility)
            }
        } else {
            messages = try await receive(q, max: max, waitSeconds: wait, visibilityMillis: visibility)
        }
        guard !messages.isEmpty else { return [:] }
        return ["Messages": .array(messages.map { render($0, system: systemNames, attributes: attributeNames) })]
    }

    /// Receives up to `max` messages; with a wait, sleeps until one arrives (a send rings the
    /// queue's waiters after its commit), one becomes visible, or the wait ends.
    func receive(_ q: SQSQueue, max: Int, waitSeconds: Int64, visibilityMillis: Int64) async throws(ServiceError) -> [StoredMessage] {
        let deadline = clock.now().milliseconds + waitSeconds * 1000
        let current = directory.value[q.name] ?? q
        let redrive = current.redrive.flatMap { r in directory.value[r.queue] != nil ? r : nil }
        while true {
            let generation = await waiters.generation(q.name)
            let now = self.now
            let request = ReceiveRequest(queue: q.name, limit: max, now: now, visibilityMillis: visibilityMillis, fifo: q.isFifo,
                                         retainedSince: now - current.retentionMillis, deadLetter: redrive,
                                         nonce: { UUIDText.randomHex() })
            let found: [StoredMessage]
            do { found = try await store.receive(request) } catch {
                throw ServiceError.internalFailure("cannot receive: \(error)")
            }
            if let redrive, found.count < max { await waiters.signal(redrive.queue) }
            if !found.isEmpty || now >= deadline || Task.isCancelled { return found }
            if await waiters.isClosed { return found }
            let next = (try? await store.nextVisible(queue: q.name, after: now)) ?? nil
            let until = min(deadline, next ?? deadline)
            await waiters.wait(q.name, since: generation, until: Timestamp(milliseconds: until), clock: clock)
            if directory.value[q.name] == nil { throw Self.queueMissing() }
        }
    }

    /// A received message as ReceiveMessage answers it, with the attributes asked for.
    func render(_ m: StoredMessage, system: Set<String>, attributes names: [String]) -> JSON {
        let doc = (try? JSONParser.parse(m.document))?.objectValue ?? [:]
        var out: JSONObject = [
            "MessageId": .string(m.id),
            "ReceiptHandle": .string(ReceiptHandle(queue: m.queue, seq: m.seq, nonce: m.receipt ?? "").text),
            "MD5OfBody": doc["MD5OfBody"] ?? .string(""),
            "Body": doc["Body"] ?? .string(""),
        ]
        if !system.isEmpty {
            let all = system.contains("All")
            var a = JSONObject()
            func put(_ k: String, _ v: String?) { if let v, all || system.contains(k) { a[k] = .string(v) } }
            put("SenderId", doc["SenderId"]?.stringValue)
            put("SentTimestamp", String(m.sentMillis))
            put("ApproximateReceiveCount", String(m.receiveCount))
            put("ApproximateFirstReceiveTimestamp", m.firstReceiveMillis.map { String($0) })
            put("AWSTraceHeader", doc["AWSTraceHeader"]?.stringValue)
            put("DeadLetterQueueSourceArn", m.deadLetterSource.map { arn($0) })
            if let g = doc["MessageGroupId"]?.stringValue {
                put("MessageGroupId", g)
            }
            if m.groupId != nil {
                put("MessageDeduplicationId", doc["MessageDeduplicationId"]?.stringValue)
                put("SequenceNumber", Self.sequenceNumber(m.seq))
            }
            if !a.isEmpty { out["Attributes"] = .object(a) }
        }
        if !names.isEmpty, case .object(let given)? = doc["MessageAttributes"] {
            var picked = JSONObject()
            for (k, v) in given where Self.wanted(k, names) { picked[k] = v }
            if !picked.isEmpty {
                out["MessageAttributes"] = .object(picked)
                out["MD5OfMessageAttributes"] = .string(MessageAttributes.md5(picked))
            }
        }
        return .object(out)
    }

    /// `All`, `.*`, a name, or a prefix ending in `.*`.
    static func wanted(_ name: String, _ names: [String]) -> Bool {
        names.contains { n in
            n == "All" || n == ".*" || n == name || (n.hasSuffix(".*") && name.hasPrefix(String(n.dropLast(1))))
        }
    }

    // MARK: delete and visibility

    func receipt(_ text: String, for q: SQSQueue) throws(ServiceError) -> ReceiptHandle {
        guard let r = ReceiptHandle(text), r.queue == q.name else { throw ReceiptHandle.invalid(text) }
        return r
    }

    func deleteMessage(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let q = try queue(request)
        guard let text = try request.string("ReceiptHandle") else {
            throw ServiceError("MissingRequiredParameterException", "The request must contain the parameter ReceiptHandle.")
        }
        try await delete(q, [try receipt(text, for: q)])
        return [:]
    }

    func delete(_ q: SQSQueue, _ receipts: [ReceiptHandle]) async throws(ServiceError) {
        guard !receipts.isEmpty else { return }
        do { _ = try await store.delete(queue: q.name, seqs: receipts.map(\.seq)) } catch {
            throw ServiceError.internalFailure("cannot delete: \(error)")
        }
        // A FIFO group's next message may be free now.
        if q.isFifo { await waiters.signal(q.name) }
    }

    func deleteMessageBatch(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let q = try queue(request)
        let entries = try batchEntries(request, kind: "DeleteMessageBatchRequestEntry")
        var successful: [JSON] = [], failed: [JSON] = []
        var receipts: [ReceiptHandle] = []
        for e in entries {
            let id = e["Id"]?.stringValue ?? ""
            do throws(ServiceError) {
                receipts.append(try receipt(e["ReceiptHandle"]?.stringValue ?? "", for: q))
                successful.append(["Id": .string(id)])
            } catch {
                failed.append(Self.failure(id, error, sender: error.kind != .server))
            }
        }
        // One commit for the batch.
        try await delete(q, receipts)
        return ["Successful": .array(successful), "Failed": .array(failed)]
    }

    func changeMessageVisibility(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let q = try queue(request)
        guard let text = try request.string("ReceiptHandle") else {
            throw ServiceError("MissingRequiredParameterException", "The request must contain the parameter ReceiptHandle.")
        }
        guard let seconds = try request.int("VisibilityTimeout") else {
            throw ServiceError("MissingRequiredParameterException", "The request must contain the parameter VisibilityTimeout.")
        }
        try await changeVisibility(q, text, seconds: Int64(seconds))
        return [:]
    }

    func changeVisibility(_ q: SQSQueue, _ text: String, seconds: Int64) async throws(ServiceError) {
        let r = try receipt(text, for: q)
        guard (0...43_200).contains(seconds) else {
            throw Self.invalidParameter("VisibilityTimeout", String(seconds), "VisibilityTimeout must be an integer between 0 and 43200")
        }
        let now = self.now
        let outcome: ReceiptOutcome
        do { outcome = try await store.changeVisibility(queue: q.name, seq: r.seq, receipt: r.nonce, visibleAtMillis: now + seconds * 1000, now: now) } catch {
            throw ServiceError.internalFailure("cannot change visibility: \(error)")
        }
        switch outcome {
        case .done:
            if seconds == 0 { await waiters.signal(q.name) }
        case .gone:
            throw Self.invalidParameter("ReceiptHandle", text, "Message does not exist or is not available for visibility timeout change.")
        case .notInFlight:
            throw ServiceError("MessageNotInflight", "Message does not exist or is not available for visibility timeout change.")
        case .stale:
            throw Self.invalidParameter("ReceiptHandle", text, "The receipt handle has expired.")
        }
    }

    func changeMessageVisibilityBatch(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let q = try queue(request)
        let entries = try batchEntries(request, kind: "ChangeMessageVisibilityBatchRequestEntry")
        var successful: [JSON] = [], failed: [JSON] = []
        for e in entries {
            let id = e["Id"]?.stringValue ?? ""
            do throws(ServiceError) {
                try await changeVisibility(q, e["ReceiptHandle"]?.stringValue ?? "", seconds: e["VisibilityTimeout"]?.integerValue ?? 0)
                successful.append(["Id": .string(id)])
            } catch {
                failed.append(Self.failure(id, Self.batchError(error), sender: error.kind != .server))
            }
        }
        return ["Successful": .array(successful), "Failed": .array(failed)]
    }
}
