import Events
import Foundation
import ServiceKit
import StatesLanguage

/// Topics, subscriptions (with the confirmation handshake for http/https/email), tags.
extension SNSService {
    static let topicAttributes: Set<String> = [
        "DisplayName", "Policy", "DeliveryPolicy", "KmsMasterKeyId", "SignatureVersion", "TracingConfig", "FifoTopic",
        "ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope", "DataProtectionPolicy",
        "HTTPSuccessFeedbackRoleArn", "HTTPFailureFeedbackRoleArn", "HTTPSuccessFeedbackSampleRate",
        "LambdaSuccessFeedbackRoleArn", "LambdaFailureFeedbackRoleArn", "LambdaSuccessFeedbackSampleRate",
        "SQSSuccessFeedbackRoleArn", "SQSFailureFeedbackRoleArn", "SQSSuccessFeedbackSampleRate",
    ]
    static let subscriptionAttributes: Set<String> = [
        "DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy", "SubscriptionRoleArn",
        "ReplayPolicy",
    ]

    func createTopic(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        guard let name = try request.string("Name") else { throw Self.invalid("Topic Name") }
        var attributes = Self.stringMap(request, "Attributes")
        let fifo = attributes["FifoTopic"]?.lowercased() == "true"
        let base = name.hasSuffix(".fifo") ? String(name.dropLast(5)) : name
        let valid = !base.isEmpty && name.count <= 256
            && base.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_" }
        guard valid, fifo == name.hasSuffix(".fifo") else { throw Self.invalid("Topic Name") }
        for k in attributes.keys where !Self.topicAttributes.contains(k) { throw Self.invalid("Attributes Reason: Unknown attribute \(k)") }
        if fifo { attributes["FifoTopic"] = "true" } else { attributes["FifoTopic"] = nil }
        if let c = attributes["ContentBasedDeduplication"] {
            guard fifo else { throw Self.invalid("Attributes Reason: ContentBasedDeduplication is only valid for FIFO topics") }
            attributes["ContentBasedDeduplication"] = c.lowercased()
        }
        let tags = request.body["Tags"]?.arrayValue ?? []
        let arn = topicArn(name)
        let given = attributes
        try await updateTopic(name) { (t: inout JSONObject?) throws(ServiceError) in
            if let existing = t {
                let stored = existing["Attributes"]?.objectValue ?? [:]
                for (k, v) in given where stored[k]?.stringValue != v && k != "FifoTopic" {
                    throw Self.invalid("Attributes Reason: Topic already exists with different attributes")
                }
                let storedTags = existing["Tags"]?.objectValue ?? [:]
                for tag in tags where storedTags[tag["Key"]?.stringValue ?? ""] != (tag["Value"] ?? "") {
                    throw Self.invalid("Tags Reason: Topic already exists with different tags")
                }
                return
            }
            var attrs = JSONObject()
            for (k, v) in given.sorted(by: { $0.key < $1.key }) { attrs[k] = .string(v) }
            var tagObject = JSONObject()
            for tag in tags { if let k = tag["Key"]?.stringValue { tagObject[k] = tag["Value"] ?? "" } }
            t = ["TopicArn": .string(arn), "Attributes": .object(attrs), "Tags": .object(tagObject)]
        }
        return ["TopicArn": .string(arn)]
    }

    func deleteTopic(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let arn = try request.required("TopicArn")
        guard let (name, _) = try? await topic(arn) else { return [:] }
        try await updateTopic(name) { (t: inout JSONObject?) throws(ServiceError) in t = nil }
        for (key, s) in await subscriptions.all where s["TopicArn"]?.stringValue == arn {
            try await subscriptions.update(key) { (v: inout JSONObject?) throws(ServiceError) in v = nil }
        }
        await reindex()
        return [:]
    }

    func listTopics(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let all = await topics.all.map { $0.value["TopicArn"] ?? .null }
        let start = try request.string("NextToken").flatMap { Int($0) } ?? 0
        let page = Array(all.dropFirst(start).prefix(100))
        var out: JSONObject = ["Topics": .array(page.map { ["TopicArn": $0] })]
        if start + 100 < all.count { out["NextToken"] = .string(String(start + 100)) }
        return .object(out)
    }

    func defaultPolicy(_ arn: String) -> String {
        let actions = ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission", "SNS:DeleteTopic",
                       "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"]
        let policy: JSON = [
            "Version": "2008-10-17", "Id": "__default_policy_ID",
            "Statement": [[
                "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": ["AWS": "*"],
                "Action": .array(actions.map { .string($0) }), "Resource": .string(arn),
                "Condition": ["StringEquals": ["AWS:SourceOwner": .string(account)]],
            ]],
        ]
        return policy.serialized
    }

    static let effectiveDeliveryPolicy = #"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#

    static let actionNames: Set<String> = [
        "GetTopicAttributes", "SetTopicAttributes", "AddPermission", "RemovePermission", "DeleteTopic", "Subscribe",
        "ListSubscriptionsByTopic", "Publish", "Receive",
    ]

    func addPermission(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let arn = try request.required("TopicArn")
        let label = try request.required("Label")
        let accounts = (request.body["AWSAccountId"]?.arrayValue ?? []).compactMap(\.stringValue)
        let actions = (request.body["ActionName"]?.arrayValue ?? []).compactMap(\.stringValue)
        let (name, _) = try await topic(arn)
        guard actions.allSatisfy({ Self.actionNames.contains($0) }) else {
            throw Self.invalid("Policy statement action out of service scope!")
        }
        try await updateTopic(name) { (t: inout JSONObject?) throws(ServiceError) in
            guard var topic = t else { throw Self.notFound() }
            var statements = topic["PolicyStatements"]?.arrayValue ?? []
            guard !statements.contains(where: { $0["Sid"]?.stringValue == label }) else { throw Self.invalid("Statement already exists") }
            let principals: [JSON] = accounts.map { .string("arn:aws:iam::\($0):root") }
            let names: [JSON] = actions.map { .string("SNS:\($0)") }
            statements.append(["Sid": .string(label), "Effect": "Allow",
                               "Principal": ["AWS": principals.count == 1 ? principals[0] : .array(principals)],
                               "Action": names.count == 1 ? names[0] : .array(names), "Resource": .string(arn)])
            topic["PolicyStatements"] = .array(statements)
            t = topic
        }
        return [:]
    }

    func removePermission(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let arn = try request.required("TopicArn")
        let label = try request.required("Label")
        let (name, _) = try await topic(arn)
        try await updateTopic(name) { (t: inout JSONObject?) throws(ServiceError) in
            guard var topic = t else { throw Self.notFound() }
            topic["PolicyStatements"] = .array((topic["PolicyStatements"]?.arrayValue ?? []).filter { $0["Sid"]?.stringValue != label })
            t = topic
        }
        return [:]
    }

    func putDataProtectionPolicy(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let arn = try request.required("ResourceArn")
        let policy = try request.required("DataProtectionPolicy")
        guard case .object? = try? JSONParser.parse(policy) else { throw Self.invalid("DataProtectionPolicy") }
        let (name, _) = try await topic(arn)
        try await updateTopic(name) { (t: inout JSONObject?) throws(ServiceError) in
            guard var topic = t else { throw Self.notFound() }
            topic["DataProtectionPolicy"] = .string(policy)
            t = topic
        }
        return [:]
    }

    func getDataProtectionPolicy(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let (_, t) = try await topic(try request.required("ResourceArn"))
        guard let policy = t["DataProtectionPolicy"] else { return [:] }
        return ["DataProtectionPolicy": policy]
    }

    func getTopicAttributes(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let arn = try request.required("TopicArn")
        let (_, t) = try await topic(arn)
        let subs = byTopic.value[arn] ?? []
        var a: JSONObject = [
            "TopicArn": .string(arn), "Owner": .string(account), "Policy": .string(defaultPolicy(arn)), "DisplayName": "",
            "SubscriptionsConfirmed": .string(String(subs.filter { $0["Confirmed"] == .bool(true) }.count)),
            "SubscriptionsPending": .string(String(subs.filter { $0["Confirmed"] != .bool(true) }.count)),
            "SubscriptionsDeleted": "0", "EffectiveDeliveryPolicy": .string(Self.effectiveDeliveryPolicy),
        ]
        if let added = t["PolicyStatements"]?.arrayValue, !added.isEmpty, case .object(var policy)? = try? JSONParser.parse(defaultPolicy(arn)) {
            policy["Statement"] = .array((policy["Statement"]?.arrayValue ?? []) + added)
            a["Policy"] = .string(JSON.object(policy).serialized)
        }
        for (k, v) in t["Attributes"]?.objectValue ?? [:] { a[k] = v }
        if a["FifoTopic"] == "true" {
            a["ContentBasedDeduplication"] = a["ContentBasedDeduplication"] ?? "false"
        }
        return ["Attributes": .object(a)]
    }

    func setTopicAttributes(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let arn = try request.required("TopicArn")
        let name = try request.required("AttributeName")
        let value = try request.string("AttributeValue") ?? ""
        guard Self.topicAttributes.contains(name), name != "FifoTopic" else { throw Self.invalid("AttributeName") }
        let (topicName, _) = try await topic(arn)
        try await updateTopic(topicName) { (t: inout JSONObject?) throws(ServiceError) in
            guard var topic = t else { throw Self.notFound() }
            var attrs = topic["Attributes"]?.objectValue ?? [:]
            attrs[name] = .string(value)
            topic["Attributes"] = .object(attrs)
            t = topic
        }
        return [:]
    }

    // MARK: subscriptions

    func subscribe(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let arn = try request.required("TopicArn")
        guard let proto = try request.string("Protocol") else { throw Self.invalid("Protocol") }
        let endpoint = try request.string("Endpoint") ?? ""
        let (_, t) = try await topic(arn)
        var attributes = Self.stringMap(request, "Attributes")
        switch proto {
        case "sqs":
            guard endpoint.hasPrefix("arn:aws:sqs:") else { throw Self.invalid("SQS endpoint ARN") }
            _ = t
        case "lambda":
            guard endpoint.hasPrefix("arn:aws:lambda:") else { throw Self.invalid("Lambda endpoint ARN") }
        case "http":
            guard endpoint.hasPrefix("http://") else { throw Self.invalid("Endpoint must match the specified protocol") }
        case "https":
            guard endpoint.hasPrefix("https://") else { throw Self.invalid("Endpoint must match the specified protocol") }
        case "email", "email-json":
            guard endpoint.contains("@") else { throw Self.invalid("Email address") }
        case "sms":
            let digits = endpoint.hasPrefix("+") ? endpoint.dropFirst() : Substring(endpoint)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isNumber || $0 == "-" }), !digits.contains("--"), digits.first?.isNumber == true,
                  digits.last?.isNumber == true else {
                throw ServiceError("InvalidParameterException", "Invalid SMS endpoint: \(endpoint)")
            }
        case "application", "firehose":
            break
        default:
            throw Self.invalid("Amazon SNS does not support this protocol string: \(proto)")
        }

        for (k, v) in attributes {
            guard Self.subscriptionAttributes.contains(k) else { throw Self.invalid("Attributes Reason: Unknown attribute \(k)") }
            do throws(ServiceError) { try checkSubscriptionAttribute(k, v, scope: attributes["FilterPolicyScope"] ?? "MessageAttributes") } catch {
                // Subscribe words an attribute's error as one of its Attributes.
                throw Self.invalid("Attributes Reason: " + error.message.replacingOccurrences(of: "Invalid parameter: ", with: ""))
            }
            if k == "RawMessageDelivery" { attributes[k] = v.lowercased() }
            if k == "FilterPolicy" && v.isEmpty { attributes[k] = nil }
        }
        // The same topic, protocol and endpoint answer the subscription that exists.
        if let existing = (byTopic.value[arn] ?? []).first(where: { $0["Protocol"]?.stringValue == proto && $0["Endpoint"]?.stringValue == endpoint }) {
            let stored = existing["Attributes"]?.objectValue ?? [:]
            for (k, v) in attributes where stored[k]?.stringValue != v {
                throw Self.invalid("Attributes Reason: Subscription already exists with different attributes")
            }
            let confirmed = existing["Confirmed"] == .bool(true)
            let returnArn = try request.bool("ReturnSubscriptionArn") ?? false
            return ["SubscriptionArn": confirmed || returnArn ? existing["SubscriptionArn"] ?? .null : "pending confirmation"]
        }
        let id = UUIDText.random()
        let subscriptionArn = "\(arn):\(id)"
        let needsConfirmation = ["http", "https", "email", "email-json"].contains(proto)
        var attrs = JSONObject()
        for (k, v) in attributes.sorted(by: { $0.key < $1.key }) { attrs[k] = .string(v) }
        let token = UUIDText.random().replacingDashes + UUIDText.random().replacingDashes
        let doc: JSONObject = [
            "SubscriptionArn": .string(subscriptionArn), "TopicArn": .string(arn), "Protocol": .string(proto),
            "Endpoint": .string(endpoint), "Owner": .string(account), "Attributes": .object(attrs),
            "Confirmed": .bool(!needsConfirmation), "Token": .string(token),
        ]
        try await subscriptions.insert(id, doc, ifTaken: ServiceError.internalFailure("subscription id taken"))
        await reindex()
        if needsConfirmation {
            await delivery.confirm(subscription: doc, message: confirmationMessage(doc, token: token), now: now)
        }
        let returnArn = try request.bool("ReturnSubscriptionArn") ?? false
        return ["SubscriptionArn": .string(needsConfirmation && !returnArn ? "pending confirmation" : subscriptionArn)]
    }

    /// The SubscriptionConfirmation an http/https/email subscriber receives.
    func confirmationMessage(_ s: JSONObject, token: String) -> JSONObject {
        let topic = s["TopicArn"]?.stringValue ?? ""
        return [
            "Type": "SubscriptionConfirmation", "MessageId": .string(UUIDText.random()), "Token": .string(token),
            "TopicArn": .string(topic),
            "Message": .string("You have chosen to subscribe to the topic \(topic).\nTo confirm the subscription, visit the SubscribeURL included in this message."),
            "SubscribeURL": .string("\(delivery.endpoint)/?Action=ConfirmSubscription&TopicArn=\(topic)&Token=\(token)"),
            "Timestamp": .string(clock.now().iso8601), "SignatureVersion": "1",
        ]
    }

    func checkSubscriptionAttribute(_ name: String, _ value: String, scope: String = "MessageAttributes") throws(ServiceError) {
        switch name {
        case "RawMessageDelivery":
            guard ["true", "false"].contains(value.lowercased()) else { throw Self.invalid("RawMessageDelivery: Invalid value [\(value)]. Must be true or false.") }
        case "FilterPolicy":
            if value.isEmpty { return }
            do throws(ServiceError) { _ = try FilterPolicy(text: value, scope: scope) } catch {
                let reason = error.message.replacingOccurrences(of: "Invalid parameter: ", with: "")
                throw Self.invalid(reason.hasPrefix("FilterPolicy") ? reason : "FilterPolicy: " + reason)
            }
        case "FilterPolicyScope":
            guard value == "MessageAttributes" || value == "MessageBody" else {
                throw Self.invalid("Attributes Reason: FilterPolicyScope: Invalid value [\(value)]. Please use either MessageBody or MessageAttributes")
            }
        case "RedrivePolicy":
            if value.isEmpty { return }
            guard case .object(let o)? = try? JSONParser.parse(value), o["deadLetterTargetArn"]?.stringValue != nil else {
                throw Self.invalid("RedrivePolicy: Redrive policy is not a valid JSON map.")
            }
        default:
            break
        }
    }

    func subscription(_ arn: String) async throws(ServiceError) -> (String, JSONObject) {
        _ = try Self.arnParts(arn, member: "SubscriptionArn")
        guard let id = arn.split(separator: ":").last.map(String.init), arn.hasPrefix("arn:aws:sns:"),
              let s = await subscriptions.get(id) else {
            throw Self.notFound("Subscription does not exist")
        }
        return (id, s)
    }

    func confirmSubscription(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let arn = try request.required("TopicArn")
        let token = try request.required("Token")
        guard let (id, _) = await subscriptions.all.first(where: { $0.value["TopicArn"]?.stringValue == arn && $0.value["Token"]?.stringValue == token })
            .map({ ($0.key, $0.value) }) else {
            // AWS: a token that is not a token is "Invalid token"; one that names nothing, "Token".
            if !(token.count >= 32 && token.allSatisfy(\.isHexDigit)), (try? await topic(arn)) != nil {
                throw ServiceError("InvalidParameterException", "Invalid token")
            }
            throw Self.invalid("Token")
        }
        let confirmed = try await subscriptions.update(id) { (v: inout JSONObject?) throws(ServiceError) -> JSON in
            guard var s = v else { throw Self.notFound("Subscription does not exist") }
            s["Confirmed"] = .bool(true)
            v = s
            return s["SubscriptionArn"] ?? .null
        }
        await reindex()
        return ["SubscriptionArn": confirmed]
    }

    func unsubscribe(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        guard let arn = try request.string("SubscriptionArn") else {
            throw Self.invalid("SubscriptionArn Reason: no value for required parameter")
        }
        let parts = try Self.arnParts(arn, member: "SubscriptionArn")
        guard parts.count >= 7 else { throw Self.invalid("SubscriptionId") }
        guard let (id, _) = try? await subscription(arn) else { return [:] }
        try await subscriptions.update(id) { (v: inout JSONObject?) throws(ServiceError) in v = nil }
        await reindex()
        return [:]
    }

    func listSubscriptions(_ request: JSONRequest, topic: String?) async throws(ServiceError) -> JSON {
        if let topic { _ = try await self.topic(topic) }
        let all = await subscriptions.all.map(\.value).filter { topic == nil || $0["TopicArn"]?.stringValue == topic }
        let start = try request.string("NextToken").flatMap { Int($0) } ?? 0
        let page = Array(all.dropFirst(start).prefix(100))
        var out: JSONObject = ["Subscriptions": .array(page.map { s in
            let confirmed = s["Confirmed"] == .bool(true)
            return ["SubscriptionArn": confirmed ? s["SubscriptionArn"] ?? .null : "PendingConfirmation", "Owner": s["Owner"] ?? .null,
                    "Protocol": s["Protocol"] ?? .null, "Endpoint": s["Endpoint"] ?? .null, "TopicArn": s["TopicArn"] ?? .null]
        })]
        if start + 100 < all.count { out["NextToken"] = .string(String(start + 100)) }
        return .object(out)
    }

    func getSubscriptionAttributes(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let (_, s) = try await subscription(try request.required("SubscriptionArn"))
        let confirmed = s["Confirmed"] == .bool(true)
        var a: JSONObject = [
            "SubscriptionArn": s["SubscriptionArn"] ?? .null, "TopicArn": s["TopicArn"] ?? .null, "Protocol": s["Protocol"] ?? .null,
            "Endpoint": s["Endpoint"] ?? .null, "Owner": s["Owner"] ?? .null,
            "ConfirmationWasAuthenticated": .string(confirmed ? "true" : "false"),
            "PendingConfirmation": .string(confirmed ? "false" : "true"), "RawMessageDelivery": "false",
            "SubscriptionPrincipal": .string("arn:aws:iam::\(account):user/baton"),
        ]
        for (k, v) in s["Attributes"]?.objectValue ?? [:] { a[k] = v }
        // The scope shows only beside a policy.
        if a["FilterPolicy"] == nil { a["FilterPolicyScope"] = nil } else if a["FilterPolicyScope"] == nil { a["FilterPolicyScope"] = "MessageAttributes" }
        return ["Attributes": .object(a)]
    }

    func setSubscriptionAttributes(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let (id, existing) = try await subscription(try request.required("SubscriptionArn"))
        let name = try request.required("AttributeName")
        let value = try request.string("AttributeValue") ?? ""
        guard Self.subscriptionAttributes.contains(name) else { throw Self.invalid("AttributeName") }
        let scope = existing["Attributes"]?["FilterPolicyScope"]?.stringValue ?? "MessageAttributes"
        try checkSubscriptionAttribute(name, value, scope: scope)
        try await subscriptions.update(id) { (v: inout JSONObject?) throws(ServiceError) in
            guard var s = v else { throw Self.notFound("Subscription does not exist") }
            var attrs = s["Attributes"]?.objectValue ?? [:]
            attrs[name] = value.isEmpty && name == "FilterPolicy" ? nil : .string(name == "RawMessageDelivery" ? value.lowercased() : value)
            s["Attributes"] = .object(attrs)
            v = s
        }
        await reindex()
        return [:]
    }

    // MARK: tags

    func tagResource(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let (name, _) = try await topic(try request.required("ResourceArn"))
        let tags = request.body["Tags"]?.arrayValue ?? []
        try await updateTopic(name) { (t: inout JSONObject?) throws(ServiceError) in
            guard var topic = t else { throw ServiceError("ResourceNotFoundException", "Resource does not exist", kind: .notFound) }
            var all = topic["Tags"]?.objectValue ?? [:]
            for tag in tags { if let k = tag["Key"]?.stringValue { all[k] = tag["Value"] ?? "" } }
            guard all.count <= 50 else { throw ServiceError("TagLimitExceededException", "Could not complete request: tag quota of per resource exceeded") }
            topic["Tags"] = .object(all)
            t = topic
        }
        return [:]
    }

    func untagResource(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let (name, _) = try await topic(try request.required("ResourceArn"))
        let keys = (request.body["TagKeys"]?.arrayValue ?? []).compactMap(\.stringValue)
        try await updateTopic(name) { (t: inout JSONObject?) throws(ServiceError) in
            guard var topic = t else { throw ServiceError("ResourceNotFoundException", "Resource does not exist", kind: .notFound) }
            var all = topic["Tags"]?.objectValue ?? [:]
            for k in keys { all[k] = nil }
            topic["Tags"] = .object(all)
            t = topic
        }
        return [:]
    }

    func listTagsForResource(_ request: JSONRequest) async throws(ServiceError) -> JSON {
        let arn = try request.required("ResourceArn")
        guard let (_, t) = try? await topic(arn) else { throw ServiceError("ResourceNotFoundException", "Resource does not exist", kind: .notFound) }
        let tags = (t["Tags"]?.objectValue ?? [:]).map { (k, v) -> JSON in ["Key": .string(k), "Value": v] }
        return ["Tags": .array(tags)]
    }
}

extension String {
    var replacingDashes: String { String(filter { $0 != "-" }) }
}
