import StatesInterpreter
import StatesLanguage

/// What is kept of a Map Run (a document of the journal's store): its parent, the state
/// machine its children run, its limits, and once it has ended its status and counts.
/// DescribeMapRun and ListMapRuns read it; a running run's counts come from memory.
struct MapRunRecord: Sendable, Equatable {
    var mapRunArn: String
    var executionArn: String
    /// `arn:…:stateMachine:PARENT/LABEL`: what the children are executions of.
    var stateMachineArn: String
    var status = "RUNNING"
    var startMillis: Int64
    var stopMillis: Int64?
    var maxConcurrency: Int
    var toleratedFailureCount: Int?
    var toleratedFailurePercentage: Double?
    /// The children by how they are, and the items in them (more than children when batched).
    var executions = Counts()
    var items = Counts()

    /// Children (executions) or the items in them, by how they are.
    struct Counts: Sendable, Equatable {
        var pending = 0
        var running = 0
        var succeeded = 0
        var failed = 0
        var timedOut = 0
        var aborted = 0
        var resultsWritten = 0
        var total: Int { pending + running + succeeded + failed + timedOut + aborted }

        var json: JSON {
            ["pending": .int(Int64(pending)), "running": .int(Int64(running)), "succeeded": .int(Int64(succeeded)),
             "failed": .int(Int64(failed)), "timedOut": .int(Int64(timedOut)), "aborted": .int(Int64(aborted)),
             "total": .int(Int64(total)), "resultsWritten": .int(Int64(resultsWritten)), "failuresNotRedrivable": 0, "pendingRedrive": 0]
        }

        init() {}

        init(_ json: JSON?) {
            func n(_ k: String) -> Int { Int(json?[k]?.integerValue ?? 0) }
            (pending, running, succeeded, failed) = (n("pending"), n("running"), n("succeeded"), n("failed"))
            (timedOut, aborted, resultsWritten) = (n("timedOut"), n("aborted"), n("resultsWritten"))
        }
    }

    /// The document's owner; its key is the run's ARN.
    static let owner = "states.mapRuns"
    /// The runs of one execution, by run ARN (ListMapRuns).
    static func executionOwner(_ executionArn: String) -> String { "states.mapRuns:" + executionArn }
    /// The run whose children a state machine ARN names (DescribeExecution's mapRunArn).
    static let machineOwner = "states.mapRunMachines"

    /// The children's state machine: `mapRun:PARENT/LABEL:ID` → `stateMachine:PARENT/LABEL`.
    static func childMachine(of mapRunArn: String) -> String? {
        var fields = mapRunArn.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 7, fields[5] == "mapRun", let colon = fields[6].lastIndex(of: ":") else { return nil }
        fields[5] = "stateMachine"
        fields[6] = String(fields[6][..<colon])
        return fields.joined(separator: ":")
    }

    /// A child's name: the run's ID with its last twelve hex digits the item's index, so a
    /// restart finds which items have a child already. `nil` for an index too large.
    static func childName(runArn: String, index: Int) -> String {
        let id = runArn.split(separator: ":").last.map(String.init) ?? ""
        let hex = String(index, radix: 16)
        let suffix = String(repeating: "0", count: max(0, 12 - hex.count)) + hex
        return String(id.prefix(24)) + suffix
    }

    static func index(ofChild name: String) -> Int? {
        guard name.count == 36 else { return nil }
        return Int(name.suffix(12), radix: 16)
    }

    var json: JSON {
        var o: JSONObject = [
            "mapRunArn": .string(mapRunArn), "executionArn": .string(executionArn), "stateMachineArn": .string(stateMachineArn),
            "status": .string(status), "startMillis": .int(startMillis), "maxConcurrency": .int(Int64(maxConcurrency)),
            "executionCounts": executions.json, "itemCounts": items.json,
        ]
        if let stopMillis { o["stopMillis"] = .int(stopMillis) }
        if let toleratedFailureCount { o["toleratedFailureCount"] = .int(Int64(toleratedFailureCount)) }
        if let toleratedFailurePercentage { o["toleratedFailurePercentage"] = .double(toleratedFailurePercentage) }
        return .object(o)
    }

    init(mapRunArn: String, executionArn: String, stateMachineArn: String, startMillis: Int64, maxConcurrency: Int) {
        self.mapRunArn = mapRunArn
        self.executionArn = executionArn
        self.stateMachineArn = stateMachineArn
        self.startMillis = startMillis
        self.maxConcurrency = maxConcurrency
    }

    init?(_ bytes: [UInt8]) {
        guard let j = try? JSONParser.parse(bytes), let run = j["mapRunArn"]?.stringValue, let exec = j["executionArn"]?.stringValue,
              let machine = j["stateMachineArn"]?.stringValue, let start = j["startMillis"]?.integerValue else { return nil }
        self.init(mapRunArn: run, executionArn: exec, stateMachineArn: machine, startMillis: start,
                  maxConcurrency: Int(j["maxConcurrency"]?.integerValue ?? 0))
        status = j["status"]?.stringValue ?? "RUNNING"
        stopMillis = j["stopMillis"]?.integerValue
        toleratedFailureCount = j["toleratedFailureCount"]?.integerValue.map { Int($0) }
        toleratedFailurePercentage = j["toleratedFailurePercentage"]?.doubleValue
        executions = Counts(j["executionCounts"])
        items = Counts(j["itemCounts"])
    }
}
