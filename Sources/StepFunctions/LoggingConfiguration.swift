import ServiceKit
import StatesLanguage

/// A state machine's `loggingConfiguration`, as CreateStateMachine and UpdateStateMachine take
/// it: which history events are logged, whether with their data, and the log group. Baton
/// writes the log group's events to a rotating NDJSON file of its own (see `ExecutionLogs`).
///
/// AWS: "ALL: log all event types. ERROR: log only error events. FATAL: log only the events
/// for executions that fail (ExecutionFailed, ExecutionAborted, ExecutionTimedOut). OFF: log
/// nothing."
package struct LoggingConfiguration: Sendable, Equatable {
    package enum Level: String, Sendable {
        case all = "ALL", error = "ERROR", fatal = "FATAL", off = "OFF"
    }

    package var level: Level
    package var includeExecutionData: Bool
    /// The CloudWatch Logs log group's ARN (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*`).
    package var logGroupArn: String?

    package static let off = LoggingConfiguration(level: .off, includeExecutionData: false, logGroupArn: nil)

    package init(level: Level, includeExecutionData: Bool, logGroupArn: String?) {
        self.level = level
        self.includeExecutionData = includeExecutionData
        self.logGroupArn = logGroupArn
    }

    /// Parses and checks a request's member, with AWS's error (`InvalidLoggingConfiguration`).
    package init(_ json: JSON) throws(ServiceError) {
        guard case .object(let o) = json else { throw Self.invalid("the configuration must be an object") }
        let levelText = o["level"]?.stringValue ?? "OFF"
        guard let level = Level(rawValue: levelText) else {
            throw ServiceError.validation("1 validation error detected: Value '\(levelText)' at 'loggingConfiguration.level' failed to satisfy constraint: Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]")
        }
        if let include = o["includeExecutionData"], include.boolValue == nil { throw Self.invalid("includeExecutionData must be a boolean") }
        let destinations = o["destinations"]?.arrayValue ?? []
        if level != .off && destinations.count != 1 { throw Self.invalid("Must specify exactly one Log Destination.") }
        if destinations.count > 1 { throw Self.invalid("Must specify exactly one Log Destination.") }
        var group: String?
        if let first = destinations.first {
            guard let arn = first["cloudWatchLogsLogGroup"]?["logGroupArn"]?.stringValue else {
                throw Self.invalid("A Log Destination must name cloudWatchLogsLogGroup.logGroupArn.")
            }
            // AWS: "The ARN must end with `:*`."
            let fields = arn.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 8, fields[0] == "arn", fields[2] == "logs", fields[5] == "log-group", arn.hasSuffix(":*") else {
                throw Self.invalid("Invalid Log Group ARN: '\(arn)'. It must be arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*")
            }
            group = arn
        }
        self.init(level: level, includeExecutionData: o["includeExecutionData"]?.boolValue ?? false, logGroupArn: group)
    }

    /// A request's optional member.
    static func from(_ json: JSON?) throws(ServiceError) -> LoggingConfiguration? {
        guard let json else { return nil }
        return try LoggingConfiguration(json)
    }

    static func invalid(_ message: String) -> ServiceError { ServiceError("InvalidLoggingConfiguration", "Invalid Logging Configuration: \(message)") }

    /// As DescribeStateMachine answers it.
    package var json: JSON {
        var o: JSONObject = ["level": .string(level.rawValue), "includeExecutionData": .bool(includeExecutionData)]
        if let logGroupArn { o["destinations"] = [["cloudWatchLogsLogGroup": ["logGroupArn": .string(logGroupArn)]]] }
        return .object(o)
    }

    /// The log group's name: the ARN's sixth field onwards, without the trailing `:*`.
    package var logGroupName: String? {
        guard let arn = logGroupArn else { return nil }
        let fields = arn.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
        guard fields.count == 7 else { return nil }
        var name = String(fields[6])
        if name.hasSuffix(":*") { name.removeLast(2) }
        return name
    }

    /// Whether an event of this type is logged at this level.
    package func logs(_ type: String) -> Bool {
        switch level {
        case .off: return false
        case .all: return true
        case .fatal: return type == "ExecutionFailed" || type == "ExecutionAborted" || type == "ExecutionTimedOut"
        case .error:
            return type == "FailStateEntered" || type.hasSuffix("Failed") || type.hasSuffix("TimedOut") || type.hasSuffix("Aborted")
        }
    }
}
