import ServiceKit
import StatesInterpreter
import StatesLanguage

/// `?notification`: PutBucketNotificationConfiguration and GetBucketNotificationConfiguration.
/// A PUT checks every destination unless `x-amz-skip-destination-validation` says not to: a
/// queue or topic gets S3's `s3:TestEvent` (which is how AWS checks them), a function a dry
/// run; what fails is listed in one InvalidArgument, as AWS lists it, and nothing is kept.
extension S3Service {
    func notification(_ bucket: String, _ call: ServiceCall) async throws(ServiceError) -> ServiceReply {
        guard try await store.bucket(bucket) != nil else { throw S3Errors.noSuchBucket(bucket) }
        switch call.method {
        case "GET":
            let configuration = try await notificationConfiguration(bucket)
            return Self.xml("NotificationConfiguration") { w in configuration.write(&w) }
        case "PUT":
            let body = try await Self.document(call, limit: 1024 * 1024)
            guard let root = XMLElementTree.parse(body) else { throw S3Errors.malformedXML() }
            // AWS names a rule sent without an Id: base64 of a UUID's text.
            let configuration = try NotificationConfiguration(xml: root, newId: { Base64.encode(Array(UUIDText.random().utf8)) })
            if call.headers["x-amz-skip-destination-validation"]?.lowercased() != "true" {
                try await validateDestinations(configuration, bucket: bucket, requestId: call.requestId)
            }
            try await store.setConfiguration(bucket, "notification", configuration.isEmpty ? nil : configuration.json.serializedBytes)
            return ServiceReply(status: 200)
        default:
            throw Self.methodNotAllowed(call.method)
        }
    }

    func notificationConfiguration(_ bucket: String) async throws(ServiceError) -> NotificationConfiguration {
        guard let body = try await store.configuration(bucket, "notification"), let json = try? JSONParser.parse(body) else {
            return NotificationConfiguration()
        }
        return NotificationConfiguration(json: json)
    }

    /// Each destination once, in the configuration's order.
    func validateDestinations(_ configuration: NotificationConfiguration, bucket: String, requestId: String) async throws(ServiceError) {
        var seen: Set<String> = []
        var failures: [(String, String)] = []
        let test = ObjectEvent.testEvent(bucket: bucket, requestId: requestId, timeMillis: now)
        for rule in configuration.rules where seen.insert(rule.arn).inserted {
            switch rule.kind {
            case .queue:
                if await !delivered(ObjectNotifier.call(destination: "queue", arn: rule.arn, payload: test), key: requestId + rule.arn) {
                    failures.append((rule.arn, "The destination queue does not exist"))
                }
            case .topic:
                if await !delivered(ObjectNotifier.call(destination: "topic", arn: rule.arn, payload: test), key: requestId + rule.arn) {
                    failures.append((rule.arn, "The destination topic does not exist"))
                }
            case .function:
                let dryRun: JSON = ["FunctionName": .string(rule.arn), "InvocationType": "DryRun"]
                if await !delivered(("arn:aws:states:::lambda:invoke", dryRun), key: requestId + rule.arn) {
                    // AWS's answer when S3 may not invoke it (which is what a missing function looks like).
                    failures.append(("\(rule.arn), null", "Not authorized to invoke function [\(rule.arn)]"))
                }
            }
        }
        guard !failures.isEmpty else { return }
        var details = JSONObject()
        for (i, (name, value)) in failures.enumerated() {
            details.appendUnchecked("ArgumentName\(i + 1)", .string(name))
            details.appendUnchecked("ArgumentValue\(i + 1)", .string(value))
        }
        throw ServiceError("InvalidArgument", "Unable to validate the following destination configurations", kind: .client, details: details)
    }

    private func delivered(_ call: (String, JSON)?, key: String) async -> Bool {
        guard let (resource, parameters) = call,
              let outcome = await engine.call(resource, parameters: parameters, caller: "S3", key: key) else { return false }
        if case .failed = outcome { return false }
        return true
    }
}
