import ServiceKit
import StatesLanguage

/// Queues: create, find, list, attributes, tags, permissions, purge, delete.
extension SQSService {
    func stringMap(_ request: JSONRequest, _ member: String) throws(ServiceError) -> [String: String] {
        guard let v = request.body[member], !v.isNull else { return [:] }
        guard case .object(let o) = v else { throw ServiceError.serialization("\(member) must be a map of strings") }
        var out: [String: String] = [:]
        for (k, v) in o {
            switch v {
            case .string(let s): out[k] = s
            case .bool(let b): out[k] = String(b)
            case .int(let i): out[k] = String(i)
            default: throw ServiceError.serialization("\(member).\(k) must be a string")
            }
        }
        return out
    }

    func stringList(_ request: JSONRequest, _ member: String) throws(ServiceError) -> [String] {
        guard let v = request.body[member], !v.isNull else { return [] }
        guard case .array(let items) = v else { throw ServiceError.serialization("\(member) must be a list of strings") }
        var out: [String] = []
        for i in items {
            guard let s = i.stringValue else { throw ServiceError.serialization("\(member) must be a list of strings") }
            out.append(s)
        }
        return out
    }

    func createQueue(_ request: JSONRequest, host: String) async throws(ServiceError) -> JSON {
        guard let name = try request.string("QueueName") else {
            throw ServiceError("MissingRequiredParameterException", "The request must contain the parameter QueueName.")
        }
        let given = try stringMap(request, "Attributes")
        let tags = try stringMap(request, "tags")
        let fifoName = name.hasSuffix(".fifo")
        let fifoAttribute = given["FifoQueue"]?.lowercased()
        if fifoAttribute == "true" && !fifoName || fifoName && fifoAttribute != "true" {
            throw ServiceError("InvalidParameterValueException",
                               "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
        }
        if let f = fifoAttribute, f != "true", f != "false" { throw QueueAttributes.invalidValue("FifoQueue") }
        if fifoAttribute == "false" && !fifoName { throw ServiceError("InvalidAttributeName", "Unknown Attribute FifoQueue.") }
        guard Self.isQueueName(name) else {
            throw ServiceError("InvalidParameterValueException",
                               "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
        }
        let fifo = fifoName
        let directory = self.directory.value
        var attributes = try QueueAttributes.validate(given, fifo: fifo, creating: true, queues: { directory[$0] })
        if let deletedAt = deleted.value[name], now - deletedAt < 60_000, directory[name] == nil {
            throw ServiceError("QueueDeletedRecently",
                               "You must wait 60 seconds after deleting a queue before you can create another with the same name.")
        }
        let defaults = QueueAttributes.defaults(fifo: fifo)
        for (k, v) in defaults where attributes[k] == nil || attributes[k] == "" { attributes[k] = v }
        let now = self.now
        let settled = attributes
        try await update(name) { (q: inout SQSQueue?) throws(ServiceError) in
            let attributes = settled
            if let existing = q {
                // AWS: the same name with the same attributes answers the queue; a different value refuses.
                for (k, v) in given where k != "FifoQueue" {
                    let mine = attributes[k] ?? v
                    if existing.attributes[k] ?? defaults[k] ?? "" != mine {
                        throw ServiceError("QueueNameExists", "A queue already exists with the same name and a different value for attribute \(k)")
                    }
                }
                return
            }
            var created = SQSQueue(name: name, attributes: attributes, tags: tags, now: now)
            created.attributes["FifoQueue"] = fifo ? "true" : nil
            q = created
        }
        return ["QueueUrl": .string(url(name, host: host))]
    }

    func getQueueUrl(_ request: JSONRequest, host: String) async throws(ServiceError) -> JSON {
        guard let name = try request.string("QueueName") else {
            throw ServiceError("MissingRequiredParameterException", "The request must contain the parameter QueueName.")
        }
        if let owner = try request.string("QueueOwnerAWSAccountId"), owner != account { throw Self.queueMissing() }
        guard directory.value[name] != nil else { throw Self.queueMissing() }
        return ["QueueUrl": .string(url(name, host: host))]
    }

    func listQueues(_ request: JSONRequest, host: String) async throws(ServiceError) -> JSON {
        let prefix = try request.string("QueueNamePrefix") ?? ""
        let names = directory.value.keys.filter { $0.hasPrefix(prefix) }.sorted()
        var out = JSONObject()
        if let max = try request.int("MaxResults") {
            guard (1...1000).contains(max) else {
                throw Self.invalidParameter("MaxResults", String(max), "MaxResults must be an integer between 1 and 1000.")
            }
            var start = 0
            if let token = try request.string("NextToken") {
                guard let bytes = Base64.decode(token), let after = String(validating: bytes, as: UTF8.self) else {
                    throw ServiceError("InvalidParameterValueException", "Invalid NextToken value.")
                }
                start = names.firstIndex { $0 > after } ?? names.count
            }
            let page = names[start..<min(names.count, start + max)]
            if start + max < names.count, let last = page.last { out["NextToken"] = .string(Base64.encode(Array(last.utf8))) }
            if !page.isEmpty { out["QueueUrls"] = .array(page.map { .string(url($0, host: host)) }) }
        } else if !names.isEmpty {
            out["QueueUrls"] = .array(names.prefix(1000).map { .string(url($0, host: host)) })
        }
        return .object(out)
    }

    func getQueueAttributes(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let q = try queue(request)
        let names = try stringList(request, "AttributeNames")
        for n in names where !QueueAttributes.readable.contains(n) {
            throw ServiceError("InvalidAttributeName", "Unknown Attribute \(n).")
        }
        let wanted = Set(names)
        let all = wanted.contains("All")
        var out = JSONObject()
        func put(_ k: String, _ v: String) { if all || wanted.contains(k) { out[k] = .string(v) } }
        for (k, v) in q.attributes where k != "Policy" || !v.isEmpty { put(k, v) }
        put("QueueArn", arn(q.name))
        put("CreatedTimestamp", String(q.createdSeconds))
        put("LastModifiedTimestamp", String(q.modifiedSeconds))
        if all || wanted.contains(where: { $0.hasPrefix("Approximate") }) {
            let counts: MessageCounts
            do { counts = try await store.counts(queue: q.name, now: now) } catch {
                throw ServiceError.internalFailure("cannot count messages: \(error)")
            }
            put("ApproximateNumberOfMessages", String(counts.visible))
            put("ApproximateNumberOfMessagesNotVisible", String(counts.inFlight))
            put("ApproximateNumberOfMessagesDelayed", String(counts.delayed))
        }
        return out.isEmpty ? [:] : ["Attributes": .object(out)]
    }

    func setQueueAttributes(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let q = try queue(request)
        let given = try stringMap(request, "Attributes")
        let directory = self.directory.value
        let attributes = try QueueAttributes.validate(given, fifo: q.isFifo, creating: false, queues: { directory[$0] })
        let now = self.now
        try await update(q.name) { (stored: inout SQSQueue?) throws(ServiceError) in
            guard var s = stored else { throw Self.queueMissing() }
            for (k, v) in attributes {
                if v.isEmpty, QueueAttributes.ranges[k] == nil { s.attributes[k] = nil } else if !v.isEmpty { s.attributes[k] = v }
            }
            // KMS encryption replaces SQS-managed encryption; clearing the key clears its reuse period.
            if let key = attributes["KmsMasterKeyId"] {
                if key.isEmpty {
                    s.attributes["KmsDataKeyReusePeriodSeconds"] = nil
                } else {
                    s.attributes["SqsManagedSseEnabled"] = "false"
                }
            }
            s.modifiedSeconds = now / 1000
            stored = s
        }
        await waiters.signal(q.name)
        return [:]
    }

    func deleteQueue(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let q = try queue(request)
        try await update(q.name) { (stored: inout SQSQueue?) throws(ServiceError) in stored = nil }
        let now = self.now
        deleted.value[q.name] = now
        do { try await store.purge(queue: q.name, dropping: true) } catch {
            // The queue is gone; its messages are purged at the next start.
        }
        await moveTasks.forget(arn(q.name))
        await waiters.signal(q.name)
        return [:]
    }

    func purgeQueue(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let q = try queue(request)
        let now = self.now
        try await update(q.name) { (stored: inout SQSQueue?) throws(ServiceError) in
            guard var s = stored else { throw Self.queueMissing() }
            if let last = s.purgedMillis, now - last < 60_000 {
                throw ServiceError("PurgeQueueInProgress", "Only one PurgeQueue operation on \(s.name) is allowed every 60 seconds.",
                                   kind: .forbidden)
            }
            s.purgedMillis = now
            stored = s
        }
        do { try await store.purge(queue: q.name, dropping: false) } catch {
            throw ServiceError.internalFailure("cannot purge \(q.name): \(error)")
        }
        return [:]
    }

    func tagQueue(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let q = try queue(request)
        let tags = try stringMap(request, "Tags")
        try await update(q.name) { (stored: inout SQSQueue?) throws(ServiceError) in
            guard var s = stored else { throw Self.queueMissing() }
            for (k, v) in tags { s.tags[k] = v }
            guard s.tags.count <= 50 else {
                throw ServiceError("InvalidParameterValueException", "Too many tags added for queue \(s.name).")
            }
            stored = s
        }
        return [:]
    }

    func untagQueue(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let q = try queue(request)
        let keys = try stringList(request, "TagKeys")
        try await update(q.name) { (stored: inout SQSQueue?) throws(ServiceError) in
            guard var s = stored else { throw Self.queueMissing() }
            for k in keys { s.tags[k] = nil }
            stored = s
        }
        return [:]
    }

    func listQueueTags(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let q = try queue(request)
        guard !q.tags.isEmpty else { return [:] }
        return ["Tags": .object(JSONObject(q.tags.map { ($0.key, JSON.string($0.value)) }))]
    }

    func addPermission(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let q = try queue(request)
        let label = try request.required("Label")
        let accounts = try stringList(request, "AWSAccountIds")
        let actionNames = try stringList(request, "Actions")
        let resource = arn(q.name)
        try await update(q.name) { (stored: inout SQSQueue?) throws(ServiceError) in
            guard var s = stored else { throw Self.queueMissing() }
            var policy = s.attributes["Policy"].flatMap { try? JSONParser.parse($0) }?.objectValue
                ?? ["Version": "2008-10-17", "Id": .string("\(resource)/SQSDefaultPolicy"), "Statement": .array([])]
            var statements = policy["Statement"]?.arrayValue ?? []
            if statements.contains(where: { $0["Sid"]?.stringValue == label }) {
                throw Self.invalidParameter("Label", label, "Already exists.")
            }
            let principals: [JSON] = accounts.map { .string("arn:aws:iam::\($0):root") }
            let actions: [JSON] = actionNames.map { .string("SQS:\($0)") }
            statements.append([
                "Sid": .string(label), "Effect": "Allow",
                "Principal": ["AWS": principals.count == 1 ? principals[0] : .array(principals)],
                "Action": actions.count == 1 ? actions[0] : .array(actions), "Resource": .string(resource),
            ])
            policy["Statement"] = .array(statements)
            s.attributes["Policy"] = JSON.object(policy).serialized
            stored = s
        }
        return [:]
    }

    func removePermission(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let q = try queue(request)
        let label = try request.required("Label")
        try await update(q.name) { (stored: inout SQSQueue?) throws(ServiceError) in
            guard var s = stored, var policy = s.attributes["Policy"].flatMap({ try? JSONParser.parse($0) })?.objectValue,
                  var statements = policy["Statement"]?.arrayValue,
                  let i = statements.firstIndex(where: { $0["Sid"]?.stringValue == label }) else {
                throw Self.invalidParameter("Label", label, "can't find label.")
            }
            statements.remove(at: i)
            policy["Statement"] = .array(statements)
            s.attributes["Policy"] = statements.isEmpty ? nil : JSON.object(policy).serialized
            stored = s
        }
        return [:]
    }

    func listDeadLetterSourceQueues(_ request: JSONRequest, host: String) async throws(ServiceError) -> JSON {
        let q = try queue(request)
        let sources = directory.value.values.filter { $0.redrive?.queue == q.name }.map(\.name).sorted()
        return ["queueUrls": .array(sources.map { .string(url($0, host: host)) })]
    }
}
