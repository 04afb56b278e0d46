import Journal
import ServiceKit
import StatesLanguage

/// The queue attributes SQS accepts, their ranges and defaults, in AWS's words.
enum QueueAttributes {
    /// Settable attributes with integer ranges.
    static let ranges: [String: ClosedRange<Int64>] = [
        "DelaySeconds": 0...900,
        "MaximumMessageSize": 1024...1_048_576,
        "MessageRetentionPeriod": 60...1_209_600,
        "ReceiveMessageWaitTimeSeconds": 0...20,
        "VisibilityTimeout": 0...43_200,
        "KmsDataKeyReusePeriodSeconds": 60...86_400,
    ]
    static let settable: Set<String> = Set(ranges.keys).union([
        "Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId", "SqsManagedSseEnabled",
        "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit",
    ])
    static let fifoOnly: Set<String> = ["ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"]
    /// What GetQueueAttributes can name.
    static let readable: Set<String> = settable.union([
        "All", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed",
        "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn", "FifoQueue",
    ])

    static func defaults(fifo: Bool) -> [String: String] {
        var d: [String: String] = [
            "DelaySeconds": "0", "MaximumMessageSize": "1048576", "MessageRetentionPeriod": "345600",
            "ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "30", "SqsManagedSseEnabled": "true",
        ]
        if fifo {
            d["FifoQueue"] = "true"
            d["ContentBasedDeduplication"] = "false"
            d["DeduplicationScope"] = "queue"
            d["FifoThroughputLimit"] = "perQueue"
        }
        return d
    }

    static func invalidValue(_ name: String) -> ServiceError {
        ServiceError("InvalidAttributeValue", "Invalid value for the parameter \(name).")
    }

    /// Checks attributes given to CreateQueue (`creating`) or SetQueueAttributes for a queue that
    /// is (or will be) FIFO; returns them normalised as SQS stores them.
    static func validate(_ given: [String: String], fifo: Bool, creating: Bool, queues: (String) -> SQSQueue?) throws(ServiceError) -> [String: String] {
        var out: [String: String] = [:]
        for (name, raw) in given.sorted(by: { $0.key < $1.key }) {
            if name == "FifoQueue" {
                guard creating else { throw ServiceError("InvalidAttributeName", "Unknown Attribute FifoQueue.") }
                continue
            }
            guard settable.contains(name) else { throw ServiceError("InvalidAttributeName", "Unknown Attribute \(name).") }
            if fifoOnly.contains(name) && !fifo {
                if name == "ContentBasedDeduplication" { throw ServiceError("InvalidAttributeName", "Unknown Attribute ContentBasedDeduplication.") }
                throw ServiceError("InvalidAttributeName", "You can specify the \(name) only when FifoQueue is set to true.")
            }
            let value = raw.trimmingSpaces
            if let range = ranges[name] {
                if value.isEmpty, !creating { out[name] = value; continue }
                guard let n = Int64(value), range.contains(n) else { throw invalidValue(name) }
                out[name] = String(n)
                continue
            }
            switch name {
            case "ContentBasedDeduplication", "SqsManagedSseEnabled":
                guard let b = Bool(value.lowercased()) else { throw invalidValue(name) }
                out[name] = String(b)
            case "DeduplicationScope":
                guard value == "messageGroup" || value == "queue" else { throw invalidValue(name) }
                out[name] = value
            case "FifoThroughputLimit":
                guard value == "perQueue" || value == "perMessageGroupId" else { throw invalidValue(name) }
                out[name] = value
            case "RedrivePolicy":
                out[name] = try redrivePolicy(value, fifo: fifo, queues: queues)
            case "RedriveAllowPolicy", "Policy":
                if value.isEmpty { out[name] = ""; continue }
                guard case .object? = try? JSONParser.parse(value) else { throw invalidValue(name) }
                out[name] = value
            default:
                out[name] = value
            }
        }
        if out["KmsMasterKeyId"].map({ !$0.isEmpty }) == true, out["SqsManagedSseEnabled"] == "true" {
            throw ServiceError("InvalidAttributeName",
                               "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.")
        }
        return out
    }

    /// `{"deadLetterTargetArn": …, "maxReceiveCount": 1…1000}` naming a queue that exists, of the same kind.
    static func redrivePolicy(_ value: String, fifo: Bool, queues: (String) -> SQSQueue?) throws(ServiceError) -> String {
        if value.isEmpty { return "" }
        guard case .object(let o)? = try? JSONParser.parse(value) else {
            throw ServiceError("InvalidAttributeValue", "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.")
        }
        guard let arn = o["deadLetterTargetArn"]?.stringValue else {
            throw ServiceError("InvalidAttributeValue",
                               "Value \(value) for parameter RedrivePolicy is invalid. Reason: Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
        }
        guard let countValue = o["maxReceiveCount"] else {
            throw ServiceError("InvalidAttributeValue",
                               "Value \(value) for parameter RedrivePolicy is invalid. Reason: Redrive policy does not contain mandatory attribute: maxReceiveCount.")
        }
        let count = countValue.integerValue ?? countValue.stringValue.flatMap { Int64($0) }
        guard let count, (1...1000).contains(count) else {
            throw ServiceError("InvalidAttributeValue",
                               "Value \(value) for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: \(countValue.stringValue ?? countValue.serialized), valid values are from 1 to 1000 both inclusive.")
        }
        guard let name = arn.split(separator: ":").last.map(String.init), let target = queues(name) else {
            throw ServiceError("AWS.SimpleQueueService.NonExistentQueue",
                               "Value \(value) for parameter RedrivePolicy is invalid. Reason: Dead-letter target does not exist.")
        }
        guard target.isFifo == fifo else {
            throw ServiceError("InvalidAttributeValue",
                               "Value \(value) for parameter RedrivePolicy is invalid. Reason: Dead-letter target owner queue type must match the source queue type.")
        }
        return JSON.object(["deadLetterTargetArn": .string(arn), "maxReceiveCount": .int(count)]).serialized
    }
}
