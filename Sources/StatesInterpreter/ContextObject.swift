import StatesLanguage

/// The `$$` context object: execution, state, state machine, task token and Map item.
struct ContextObject: Sendable {
    var execution: ExecutionContext
    var input: JSON
    var stateName: String
    var enteredTime: Timestamp
    /// Only states that can retry show `RetryCount`, as on AWS.
    var retryCount: Int?
    var token: String?
    var mapItem: (Int, JSON)?

    var json: JSON {
        let c = execution
        var e = JSONObject(minimumCapacity: 6)
        e.appendUnchecked("Id", .string(c.executionArn))
        e.appendUnchecked("Input", input)
        e.appendUnchecked("Name", .string(c.name))
        e.appendUnchecked("RoleArn", .string(c.roleArn))
        e.appendUnchecked("StartTime", .string(c.startTime.iso8601))
        e.appendUnchecked("RedriveCount", .int(Int64(c.redriveCount)))
        var st = JSONObject(minimumCapacity: 3)
        st.appendUnchecked("EnteredTime", .string(enteredTime.iso8601))
        st.appendUnchecked("Name", .string(stateName))
        if let retryCount { st.appendUnchecked("RetryCount", .int(Int64(retryCount))) }
        var m = JSONObject(minimumCapacity: 2)
        m.appendUnchecked("Id", .string(c.stateMachineArn))
        m.appendUnchecked("Name", .string(c.stateMachineName))
        var o = JSONObject(minimumCapacity: 5)
        o.appendUnchecked("Execution", .object(e))
        o.appendUnchecked("State", .object(st))
        o.appendUnchecked("StateMachine", .object(m))
        if let token { o.appendUnchecked("Task", ["Token": .string(token)]) }
        if let (index, value) = mapItem {
            o.appendUnchecked("Map", ["Item": ["Index": .int(Int64(index)), "Value": value]])
        }
        if let text = c.contextOverlay, case .object(let overlay)? = try? JSONParser.parse(text) {
            // Each given section's fields replace the execution's own; other sections stay.
            for (section, fields) in overlay {
                guard case .object(let given) = fields else { continue }
                var merged = o[section]?.objectValue ?? JSONObject()
                for (k, v) in given { merged[k] = v }
                o[section] = .object(merged)
            }
        }
        return .object(o)
    }
}
