import Engine
import Journal
import ServiceKit
import StatesLanguage

/// DescribeMapRun, ListMapRuns and UpdateMapRun: the Map Runs of Distributed Maps, whose
/// iterations are child executions (`MapRuns`).
extension StepFunctionsAPI {
    func mapRunRecord(_ arn: String) async throws(APIError) -> MapRunRecord {
        guard MapRunRecord.childMachine(of: arn) != nil else { throw APIError.invalidArn(arn) }
        guard let record = await mapRuns?.describe(arn) else { throw APIError("ResourceNotFound", "Resource not found: '\(arn)'") }
        return record
    }

    func describeMapRun(_ r: Request) async throws(APIError) -> JSON {
        let m = try await mapRunRecord(try r.required("mapRunArn"))
        var o: JSONObject = [
            "mapRunArn": .string(m.mapRunArn), "executionArn": .string(m.executionArn), "status": .string(m.status),
            "startDate": Self.date(m.startMillis), "maxConcurrency": .int(Int64(m.maxConcurrency)),
            "toleratedFailurePercentage": .double(m.toleratedFailurePercentage ?? 0),
            "toleratedFailureCount": .int(Int64(m.toleratedFailureCount ?? 0)),
            "itemCounts": m.items.json, "executionCounts": m.executions.json, "redriveCount": 0,
        ]
        if let stop = m.stopMillis { o["stopDate"] = Self.date(stop) }
        return .object(o)
    }

    func listMapRuns(_ r: Request) async throws(APIError) -> JSON {
        let arn = try r.required("executionArn")
        _ = try await execution(arn)
        let keys = await mapRuns?.runArns(ofExecution: arn) ?? []
        var runs: [MapRunRecord] = []
        for key in keys { if let run = await mapRuns?.describe(key) { runs.append(run) } }
        // Newest first, as ListExecutions.
        runs.sort { ($0.startMillis, $0.mapRunArn) > ($1.startMillis, $1.mapRunArn) }
        return try r.paged("mapRuns", runs) { m in
            var o: JSONObject = ["executionArn": .string(m.executionArn), "mapRunArn": .string(m.mapRunArn),
                                 "stateMachineArn": .string(m.stateMachineArn), "startDate": Self.date(m.startMillis)]
            if let stop = m.stopMillis { o["stopDate"] = Self.date(stop) }
            return .object(o)
        }
    }

    func updateMapRun(_ r: Request) async throws(APIError) -> JSON {
        let arn = try r.required("mapRunArn")
        let concurrency = try r.int("maxConcurrency")
        let count = try r.int("toleratedFailureCount")
        var percentage: Double?
        if let v = r.body["toleratedFailurePercentage"], !v.isNull {
            guard v.isNumber, let d = v.doubleValue, d >= 0, d <= 100 else {
                throw APIError.validation("1 validation error detected: Value at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value between 0 and 100")
            }
            percentage = d
        }
        guard concurrency != nil || count != nil || percentage != nil else {
            throw APIError.validation("At least one of the parameters maxConcurrency, toleratedFailurePercentage or toleratedFailureCount must be specified.")
        }
        let run = try await mapRunRecord(arn)
        guard run.status == "RUNNING",
              await mapRuns?.update(arn, maxConcurrency: concurrency, toleratedFailureCount: count, toleratedFailurePercentage: percentage) == true
        else {
            throw APIError.validation("The Map Run \(arn) is not running: it is \(run.status).")
        }
        return [:]
    }

    /// The Map Run whose children a state machine ARN names (`PARENT/LABEL`), if any.
    func mapRunArn(ofChildMachine machine: String) async -> String? {
        // A Map Run's child machine is named PARENT/LABEL: a slash after the ARN's last colon.
        // (Found by index: splitting the ARN on every DescribeExecution showed in its profile.)
        // By bytes: every DescribeExecution asks, and walking the ARN by Characters was half a
        // percent of a callback run's CPU.
        let u = machine.utf8
        let nameStart = u.lastIndex(of: UInt8(ascii: ":")).map { u.index(after: $0) } ?? u.startIndex
        guard u[nameStart...].contains(UInt8(ascii: "/")) else { return nil }
        return await mapRuns?.runArn(ofChildMachine: machine)
    }
}
