extension DefinitionParser {
    static let common: Set<String> = ["Type", "Comment", "QueryLanguage", "Assign"]
    static let io: Set<String> = ["InputPath", "OutputPath"]
    static let flow: Set<String> = ["Next", "End"]
    /// Fields only JSONPath states have, and fields only JSONata states have (AWS refuses
    /// each in the other language).
    static let jsonPathOnly: Set<String> = [
        "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Result", "ItemsPath",
        "SecondsPath", "TimestampPath", "TimeoutSecondsPath", "HeartbeatSecondsPath", "MaxConcurrencyPath",
        "ToleratedFailureCountPath", "ToleratedFailurePercentagePath", "ErrorPath", "CausePath", "Iterator",
    ]
    static let jsonataOnly: Set<String> = ["Arguments", "Output", "Items"]
    static let allowedFields: [String: Set<String>] = [
        "Pass": common.union(io).union(flow).union(["Parameters", "ResultPath", "Result", "Output"]),
        "Task": common.union(io).union(flow).union(["Arguments", "Output",
            "Parameters", "ResultSelector", "ResultPath", "Resource", "TimeoutSeconds", "TimeoutSecondsPath",
            "HeartbeatSeconds", "HeartbeatSecondsPath", "Retry", "Catch", "Credentials",
        ]),
        "Choice": common.union(io).union(["Choices", "Default", "Output"]),
        "Wait": common.union(io).union(flow).union(["Seconds", "SecondsPath", "Timestamp", "TimestampPath", "Output"]),
        "Succeed": common.union(io).union(["Output"]),
        "Fail": ["Type", "Comment", "QueryLanguage", "Error", "ErrorPath", "Cause", "CausePath"],
        "Parallel": common.union(io).union(flow).union(["Parameters", "ResultSelector", "ResultPath", "Branches", "Retry", "Catch",
                                                          "Arguments", "Output"]),
        "Map": common.union(io).union(flow).union(["Items", "Output",
            "ItemsPath", "ItemSelector", "Parameters", "ResultSelector", "ResultPath", "ItemProcessor", "Iterator",
            "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath",
            "ToleratedFailureCount", "ToleratedFailureCountPath", "ItemReader", "ItemBatcher", "ResultWriter", "Label",
            "Retry", "Catch",
        ]),
    ]

    mutating func parseState(name: String, json: JSON, location: String, inherited: QueryLanguage) -> State? {
        guard case .object(let o) = json else {
            error(location, "A state must be a JSON object.")
            return nil
        }
        guard let type = o["Type"]?.stringValue else {
            error(location, "These fields are required: [Type]")
            return nil
        }
        guard let allowed = Self.allowedFields[type] else {
            error(location + "/Type", "Unknown state type '\(type)'.")
            return nil
        }
        for k in o.keys where !allowed.contains(k) {
            error(location + "/" + JSONPointer.escape(k), "Field '\(k)' is not supported for state type '\(type)'.")
        }
        let queryLanguage = checkQueryLanguage(o, location: location, inherited: inherited) ?? inherited
        let outer = jsonata
        jsonata = queryLanguage == .jsonata
        defer { jsonata = outer }
        for k in o.keys.sorted() where allowed.contains(k) && (jsonata ? Self.jsonPathOnly : Self.jsonataOnly).contains(k) {
            error(location + "/" + JSONPointer.escape(k),
                  "The field '\(k)' is not supported in a state whose QueryLanguage is \(queryLanguage.rawValue).")
        }
        let assign = assignment(o["Assign"], location + "/Assign")
        let output = o["Output"].map { template($0, location + "/Output") }
        let arguments = o["Arguments"].map { template($0, location + "/Arguments") }
        let comment = optionalString(o, "Comment", location)

        // Next / End.
        var transition = State.Transition.none
        if allowed.contains("Next") {
            let next = optionalString(o, "Next", location)
            let end = o["End"]
            if let end, end.boolValue == nil { error(location + "/End", "The field 'End' must be a boolean.") }
            let isEnd = end?.boolValue == true
            if let next, isEnd {
                error(location, "The fields 'Next' and 'End' are mutually exclusive.")
                transition = .next(next)
            } else if let next {
                transition = .next(next)
            } else if isEnd {
                transition = .end
            } else if o["Next"] == nil {
                error(location, "These fields are required: [Next] (or End: true)", code: Diagnostic.missingTransitionTarget)
            }
        }

        let inputPath = nullablePath(o, "InputPath", location)
        let outputPath = nullablePath(o, "OutputPath", location)
        var parameters: PayloadTemplate? = nil
        if let p = o["Parameters"] {
            if type == "Map" && o["ItemSelector"] != nil {
                error(location, "The fields 'Parameters' and 'ItemSelector' are mutually exclusive.")
            }
            if p.objectValue == nil && type != "Pass" {
                error(location + "/Parameters", "The field 'Parameters' must be an object.")
            }
            parameters = PayloadTemplate.compile(p, location: location + "/Parameters", diagnostics: &diagnostics)
        }
        var resultSelector: PayloadTemplate? = nil
        if let r = o["ResultSelector"] {
            if r.objectValue == nil { error(location + "/ResultSelector", "The field 'ResultSelector' must be an object.") }
            resultSelector = PayloadTemplate.compile(r, location: location + "/ResultSelector", diagnostics: &diagnostics)
        }
        let retry = allowed.contains("Retry") ? parseRetry(o["Retry"], location: location + "/Retry") : []
        let catchers = allowed.contains("Catch") ? parseCatch(o["Catch"], location: location + "/Catch") : []

        let kind: State.Kind
        switch type {
        case "Pass":
            kind = .pass(result: jsonata ? nil : o["Result"])
        case "Task":
            var resource = ""
            if let r = o["Resource"]?.stringValue {
                resource = r
                if let problem = Self.resourceProblem(r) {
                    error(location + "/Resource", problem)
                }
                let templateField = jsonata ? "Arguments" : "Parameters"
                for (field, message) in WebhookWait.problems(resource: r, parameters: o[templateField], field: templateField) {
                    error(field.isEmpty ? location : location + "/" + field, message)
                }
            } else {
                error(location, "These fields are required: [Resource]")
            }
            let timeout = intOrPath(o, "TimeoutSeconds", location)
            let heartbeat = intOrPath(o, "HeartbeatSeconds", location)
            if case .value(let t)? = timeout, case .value(let h)? = heartbeat, h >= t {
                error(location + "/HeartbeatSeconds", "HeartbeatSeconds must be smaller than TimeoutSeconds.")
            }
            if let c = o["Credentials"] { checkCredentials(c, location: location + "/Credentials") }
            kind = .task(TaskState(resource: resource, timeoutSeconds: timeout, heartbeatSeconds: heartbeat, credentials: o["Credentials"]))
        case "Choice":
            kind = .choice(parseChoice(o, location: location))
        case "Wait":
            kind = parseWait(o, location: location)
        case "Succeed":
            kind = .succeed
        case "Fail":
            kind = .fail(FailState(error: failField(o, "Error", location), cause: failField(o, "Cause", location)))
        case "Parallel":
            var branches: [StateMachine] = []
            if case .array(let bs)? = o["Branches"], !bs.isEmpty {
                for (i, b) in bs.enumerated() {
                    if let m = parseMachine(b, location: location + "/Branches/\(i)", isRoot: false,
                                            inherited: jsonata ? .jsonata : .jsonPath) { branches.append(m) }
                }
            } else {
                error(location, "These fields are required: [Branches] (a non-empty array)")
            }
            kind = .parallel(branches: branches)
        case "Map":
            guard let map = parseMap(o, location: location, parameters: parameters) else { return nil }
            parameters = nil
            kind = .map(map)
        default:
            return nil
        }
        return State(name: name, comment: comment, transition: transition,
                     inputPath: inputPath.present ? inputPath.path : .root,
                     outputPath: outputPath.present ? outputPath.path : .root,
                     parameters: parameters, resultSelector: resultSelector,
                     resultPath: allowed.contains("ResultPath") ? resultPath(o, location) : .replace,
                     retry: retry, catchers: catchers, kind: kind, queryLanguage: queryLanguage, assign: assign,
                     output: output, arguments: arguments)
    }

    /// Why a Task's Resource is not acceptable, or nil.
    static func resourceProblem(_ r: String) -> String? {
        guard r.hasPrefix("arn:"), let arn = ARN(r) else { return "The value for the field 'Resource' must be a valid ARN." }
        let fields = arn.resourceFields
        if arn.service == "lambda", fields[0] == "function" {
            // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
            func valid(_ s: String, extra: Set<Character>) -> Bool {
                !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || extra.contains($0)) }
            }
            guard fields.count == 2 || fields.count == 3, valid(fields[1], extra: []),
                  fields.count == 2 || valid(fields[2], extra: ["$"])
            else { return "The value for the field 'Resource' must be a valid Lambda function ARN." }
        }
        return nil
    }

    /// AWS: a Map's Label "can't exceed 40 characters, must be unique within a state machine
    /// definition, and can't contain any of the following characters: whitespace, brackets
    /// < > { } [ ], question mark ?, asterisk *, double quote ", hash #, percent %,
    /// backslash \\, caret ^, vertical bar |, tilde ~, backtick `, dollar sign $, ampersand &,
    /// comma ,, semicolon ;, colon :, forward slash /, control characters".
    mutating func label(_ o: JSONObject, _ location: String) -> String? {
        guard let label = optionalString(o, "Label", location) else { return nil }
        let refused: Set<Character> = ["<", ">", "{", "}", "[", "]", "?", "*", "\"", "#", "%", "\\", "^", "|", "~", "`", "$", "&", ",", ";", ":", "/"]
        if label.count > 40 {
            error(location + "/Label", "The value for the field 'Label' must be at most 40 characters long.")
        } else if label.unicodeScalars.contains(where: { $0.properties.isWhitespace || (0...0x1F).contains($0.value) || (0x7F...0x9F).contains($0.value) })
                    || label.contains(where: { refused.contains($0) }) {
            error(location + "/Label", "The value for the field 'Label' must not contain whitespace, control characters or any of < > { } [ ] ? * \" # % \\ ^ | ~ ` $ & , ; : /.")
        } else if !labels.insert(label).inserted {
            error(location + "/Label", "The value for the field 'Label' must be unique within the state machine: '\(label)' is used more than once.")
        }
        return label
    }

    /// Credentials: a payload template (AWS reads RoleArn from it at run time).
    /// AWS's shape: `{"RoleArn": …}` (or `"RoleArn.$"` in JSONPath), nothing else.
    mutating func checkCredentials(_ json: JSON, location: String) {
        guard let o = json.objectValue else {
            error(location, "The field 'Credentials' must be an object.")
            return
        }
        for k in o.keys where k != "RoleArn" && !(k == "RoleArn.$" && !jsonata) {
            error(location + "/" + JSONPointer.escape(k), "Field '\(k)' is not supported in 'Credentials'.")
        }
        if o["RoleArn"] == nil && o["RoleArn.$"] == nil {
            error(location, "These fields are required: [RoleArn]")
        } else if let v = o["RoleArn"], v.stringValue == nil {
            error(location + "/RoleArn", "The value for the field 'RoleArn' must be a string.")
        }
        _ = PayloadTemplate.compile(json, location: location, diagnostics: &diagnostics)
    }

    mutating func failField(_ o: JSONObject, _ key: String, _ location: String) -> FailState.Field? {
        if o[key] != nil && o[key + "Path"] != nil {
            error(location, "The fields '\(key)' and '\(key)Path' are mutually exclusive.")
        }
        if let e = expression(o[key], location + "/" + key) { return .expression(e) }
        if let s = optionalString(o, key, location) { return .value(s) }
        guard let v = o[key + "Path"] else { return nil }
        guard case .string(let text) = v else {
            error(location + "/\(key)Path", "The value for the field '\(key)Path' must be a valid JSONPath or intrinsic function.")
            return nil
        }
        if text.hasPrefix("$") {
            if let p = try? JSONPath(text) { return .path(p) }
        } else if let c = try? IntrinsicCall.parse(text) {
            return .intrinsic(c)
        }
        error(location + "/\(key)Path", "The value for the field '\(key)Path' must be a valid JSONPath or intrinsic function.")
        return nil
    }

    mutating func parseWait(_ o: JSONObject, location: String) -> State.Kind {
        let fields = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"].filter { o[$0] != nil }
        if fields.count != 1 {
            error(location, "A Wait state must have exactly one of Seconds, SecondsPath, Timestamp or TimestampPath.")
        }
        if let e = expression(o["Seconds"], location + "/Seconds") { return .wait(WaitState(duration: .secondsExpression(e))) }
        if let e = expression(o["Timestamp"], location + "/Timestamp") { return .wait(WaitState(duration: .timestampExpression(e))) }
        if let s = positiveInt(o, "Seconds", location, min: 0) { return .wait(WaitState(duration: .seconds(s))) }
        if let p = path(o, "SecondsPath", location, definite: true) { return .wait(WaitState(duration: .secondsPath(p))) }
        if let t = optionalString(o, "Timestamp", location) {
            if Timestamp(iso8601: t) == nil {
                error(location + "/Timestamp", "The value for the field 'Timestamp' must be a valid ISO-8601 date-time.")
            }
            return .wait(WaitState(duration: .timestamp(t)))
        }
        if let p = path(o, "TimestampPath", location, definite: true) { return .wait(WaitState(duration: .timestampPath(p))) }
        return .wait(WaitState(duration: .seconds(0)))
    }

    mutating func parseMap(_ o: JSONObject, location: String, parameters: PayloadTemplate?) -> MapState? {
        var processorJSON = o["ItemProcessor"]
        var processorLocation = location + "/ItemProcessor"
        if processorJSON == nil {
            processorJSON = o["Iterator"]
            processorLocation = location + "/Iterator"
        } else if o["Iterator"] != nil {
            error(location, "The fields 'ItemProcessor' and 'Iterator' are mutually exclusive.")
        }
        guard let processorJSON else {
            error(location, "These fields are required: [ItemProcessor]")
            return nil
        }
        guard var processor = parseMachine(processorJSON, location: processorLocation, isRoot: false, processor: true,
                                           inherited: jsonata ? .jsonata : .jsonPath) else { return nil }
        if processor.processorMode == .distributed, case .object(var definition) = processorJSON {
            definition["ProcessorConfig"] = nil
            if jsonata && definition["QueryLanguage"] == nil { definition["QueryLanguage"] = "JSONata" }
            processor.source = .object(definition)
        }
        var itemSelector = parameters
        var jsonataItemSelector: JSONataTemplate? = nil
        var items: JSONataTemplate? = nil
        if jsonata, let s = o["ItemSelector"] {
            jsonataItemSelector = template(s, location + "/ItemSelector")
        } else if let s = o["ItemSelector"] {
            if s.objectValue == nil { error(location + "/ItemSelector", "The field 'ItemSelector' must be an object.") }
            itemSelector = PayloadTemplate.compile(s, location: location + "/ItemSelector", diagnostics: &diagnostics)
        }
        let distributed = processor.processorMode == .distributed
        for f in ["ItemReader", "ItemBatcher", "ResultWriter"] where o[f] != nil && !distributed {
            error(location + "/" + f, "The field '\(f)' is supported only for a Map whose ProcessorConfig Mode is DISTRIBUTED.")
        }
        let itemReader = o["ItemReader"].flatMap { parseItemReader($0, location + "/ItemReader") }
        let itemBatcher = o["ItemBatcher"].flatMap { parseItemBatcher($0, location + "/ItemBatcher") }
        let resultWriter = o["ResultWriter"].flatMap { parseResultWriter($0, location + "/ResultWriter") }
        if jsonata, let v = o["Items"] {
            if case .string(let s) = v, JSONataTemplate.classify(s) == .literal {
                error(location + "/Items", "The field 'Items' must be an array or a JSONata expression.")
            } else if v.arrayValue == nil && v.stringValue == nil {
                error(location + "/Items", "The field 'Items' must be an array or a JSONata expression.")
            }
            items = template(v, location + "/Items")
        }
        var percentage: NumberOrPath? = nil
        if let e = expression(o["ToleratedFailurePercentage"], location + "/ToleratedFailurePercentage") {
            percentage = .expression(e)
        } else if let v = o["ToleratedFailurePercentage"] {
            if let d = v.doubleValue, d >= 0, d <= 100 { percentage = .value(d) } else {
                error(location + "/ToleratedFailurePercentage", "ToleratedFailurePercentage must be a number between 0 and 100.")
            }
        }
        if let p = path(o, "ToleratedFailurePercentagePath", location, definite: true) {
            if percentage != nil { error(location, "The fields 'ToleratedFailurePercentage' and 'ToleratedFailurePercentagePath' are mutually exclusive.") }
            percentage = .path(p)
        }
        return MapState(
            processor: processor,
            itemsPath: path(o, "ItemsPath", location, definite: true),
            itemSelector: itemSelector, items: items, jsonataItemSelector: jsonataItemSelector,
            maxConcurrency: intOrPath(o, "MaxConcurrency", location, min: 0) ?? .value(0),
            toleratedFailurePercentage: percentage,
            toleratedFailureCount: intOrPath(o, "ToleratedFailureCount", location, min: 0),
            label: label(o, location),
            itemReader: itemReader, itemBatcher: itemBatcher, resultWriter: resultWriter)
    }

    // MARK: Retry and Catch

    mutating func errorEquals(_ o: JSONObject, location: String) -> [String] {
        guard case .array(let a)? = o["ErrorEquals"], !a.isEmpty else {
            error(location, "These fields are required: [ErrorEquals] (a non-empty array of strings)")
            return []
        }
        var names: [String] = []
        for (i, v) in a.enumerated() {
            guard let s = v.stringValue else {
                error(location + "/ErrorEquals/\(i)", "ErrorEquals entries must be strings.")
                continue
            }
            names.append(s)
        }
        // ASL spec: "The reserved name States.ALL ... must appear alone in its ErrorEquals array."
        if names.contains("States.ALL") && names.count > 1 {
            error(location + "/ErrorEquals", "States.ALL must appear alone in ErrorEquals.")
        }
        return names
    }

    /// ASL spec: "States.ALL ... must appear in the last Retrier/Catcher."
    mutating func checkAllIsLast(_ lists: [[String]], location: String) {
        for (i, names) in lists.enumerated() where names.contains("States.ALL") && i != lists.count - 1 {
            error(location + "/\(i)", "States.ALL must appear in the last entry.")
        }
    }

    /// The objects of a Retry or Catch array, each with its location; problems reported.
    mutating func entries(_ json: JSON?, field: String, entry: String, allowed: Set<String>, location: String) -> [(JSONObject, String)] {
        guard let json else { return [] }
        guard case .array(let a) = json else {
            error(location, "The field '\(field)' must be an array.")
            return []
        }
        var out: [(JSONObject, String)] = []
        for (i, v) in a.enumerated() {
            let loc = location + "/\(i)"
            guard case .object(let o) = v else {
                error(loc, "A \(entry) must be an object.")
                continue
            }
            for k in o.keys where !allowed.contains(k) { error(loc + "/" + k, "Field '\(k)' is not supported in a \(entry).") }
            out.append((o, loc))
        }
        return out
    }

    mutating func parseRetry(_ json: JSON?, location: String) -> [Retrier] {
        var result: [Retrier] = []
        let allowed: Set<String> = ["ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"]
        for (o, loc) in entries(json, field: "Retry", entry: "Retrier", allowed: allowed, location: location) {
            let names = errorEquals(o, location: loc)
            let interval = positiveInt(o, "IntervalSeconds", loc, min: 1) ?? 1
            let attempts = positiveInt(o, "MaxAttempts", loc, min: 0) ?? 3
            var backoff = 2.0
            if let b = o["BackoffRate"] {
                if let d = b.doubleValue, b.isNumber, d >= 1.0 { backoff = d } else {
                    error(loc + "/BackoffRate", "BackoffRate must be a number greater than or equal to 1.0.")
                }
            }
            let maxDelay = positiveInt(o, "MaxDelaySeconds", loc, min: 1, max: 31_622_401)
            var jitter = false
            if let j = o["JitterStrategy"] {
                switch j.stringValue {
                case "FULL": jitter = true
                case "NONE": jitter = false
                default: error(loc + "/JitterStrategy", "JitterStrategy must be FULL or NONE.")
                }
            }
            result.append(Retrier(errorEquals: names, intervalSeconds: interval, maxAttempts: attempts, backoffRate: backoff,
                                  maxDelaySeconds: maxDelay, jitterFull: jitter))
        }
        checkAllIsLast(result.map(\.errorEquals), location: location)
        return result
    }

    mutating func parseCatch(_ json: JSON?, location: String) -> [Catcher] {
        var result: [Catcher] = []
        let allowed: Set<String> = ["ErrorEquals", "Next", "ResultPath", "Comment", "Assign", "Output"]
        for (o, loc) in entries(json, field: "Catch", entry: "Catcher", allowed: allowed, location: location) {
            let names = errorEquals(o, location: loc)
            guard let next = o["Next"]?.stringValue else {
                error(loc, "These fields are required: [Next]")
                continue
            }
            if jsonata, o["ResultPath"] != nil {
                error(loc + "/ResultPath", "The field 'ResultPath' is not supported in a state whose QueryLanguage is JSONata.")
            }
            if !jsonata, o["Output"] != nil {
                error(loc + "/Output", "The field 'Output' is not supported in a state whose QueryLanguage is JSONPath.")
            }
            result.append(Catcher(errorEquals: names, next: next, resultPath: resultPath(o, loc),
                                  output: jsonata ? o["Output"].map { template($0, loc + "/Output") } : nil,
                                  assign: assignment(o["Assign"], loc + "/Assign")))
        }
        checkAllIsLast(result.map(\.errorEquals), location: location)
        return result
    }
}
