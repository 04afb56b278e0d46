import StatesLanguage

/// What a Distributed Map's ResultWriter writes, as AWS lays it out: under
/// `PREFIX/MAP_RUN_ID/`, the iterations' results in `SUCCEEDED_0.json` and a `manifest.json`
/// naming the result files; with a WriterConfig, the results transformed (COMPACT: the
/// outputs alone; FLATTEN: array outputs spread) and written as JSON or JSON Lines.
struct ResultFiles {
    var runArn: String
    var bucket: String
    var prefix: String
    var stateMachineArn: String
    var now: Timestamp

    /// The run's id: the first UUID after the state machine's name in its ARN.
    var runId: String {
        let tail = runArn.components(separatedBy: ":mapRun:").last ?? runArn
        let afterName = tail.split(separator: "/", maxSplits: 1).last.map(String.init) ?? tail
        return afterName.split(separator: ":").first.map(String.init) ?? afterName
    }

    var base: String {
        guard !prefix.isEmpty else { return runId + "/" }
        return (prefix.hasSuffix("/") ? prefix : prefix + "/") + runId + "/"
    }

    var manifestKey: String { base + "manifest.json" }

    static func transformed(_ outputs: [JSON], _ transformation: String?) -> JSON {
        guard transformation == "FLATTEN" else { return .array(outputs) }
        return .array(outputs.flatMap { $0.arrayValue ?? [$0] })
    }

    /// One iteration's entry as AWS's result files record a child execution.
    func entry(_ index: Int, input: JSON, output: JSON) -> JSON {
        let executionArn = runArn.replacingOccurrences(of: ":mapRun:", with: ":execution:")
            .split(separator: ":").dropLast().joined(separator: ":") + ":\(index)"
        var o = JSONObject()
        o.appendUnchecked("ExecutionArn", .string(executionArn))
        o.appendUnchecked("Input", .string(input.serialized))
        o.appendUnchecked("InputDetails", ["Included": true])
        o.appendUnchecked("Name", .string(String(index)))
        o.appendUnchecked("Output", .string(output.serialized))
        o.appendUnchecked("OutputDetails", ["Included": true])
        o.appendUnchecked("RedriveCount", 0)
        o.appendUnchecked("RedriveStatus", "NOT_REDRIVABLE")
        o.appendUnchecked("RedriveStatusReason", "Execution is SUCCEEDED and cannot be redriven")
        o.appendUnchecked("StartDate", .string(now.iso8601))
        o.appendUnchecked("StateMachineArn", .string(stateMachineArn))
        o.appendUnchecked("Status", "SUCCEEDED")
        o.appendUnchecked("StopDate", .string(now.iso8601))
        return .object(o)
    }

    /// The objects to write, `{"Key", "Body"}` each: the results, then the manifest.
    func objects(inputs: [JSON], outputs: [JSON], writer: ResultWriter) -> [JSON] {
        let values: [JSON]
        if let t = writer.transformation, t != "NONE" {
            values = Self.transformed(outputs, t).arrayValue ?? []
        } else {
            values = outputs.enumerated().map { entry($0.offset, input: $0.offset < inputs.count ? inputs[$0.offset] : .null, output: $0.element) }
        }
        let jsonl = writer.outputType == "JSONL"
        let body = jsonl ? values.map(\.serialized).joined(separator: "\n") : JSON.array(values).serialized
        let resultsKey = base + (jsonl ? "SUCCEEDED_0.jsonl" : "SUCCEEDED_0.json")
        var manifest = JSONObject()
        manifest.appendUnchecked("DestinationBucket", .string(bucket))
        manifest.appendUnchecked("MapRunArn", .string(runArn))
        manifest.appendUnchecked("ResultFiles", ["FAILED": [], "PENDING": [],
                                                 "SUCCEEDED": [["Key": .string(resultsKey), "Size": .int(Int64(body.utf8.count))]]])
        return [["Key": .string(resultsKey), "Body": .string(body)], ["Key": .string(manifestKey), "Body": .string(JSON.object(manifest).serialized)]]
    }
}
