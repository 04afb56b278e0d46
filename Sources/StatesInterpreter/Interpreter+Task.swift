import StatesLanguage

extension Step {
    mutating func executeTask(_ fid: Int, _ frame: Frame, _ state: State, _ task: TaskState) throws(StatesError) {
        let effective = try select(state.inputPath, from: frame.input, frame)
        let kind = ResourceKind(task.parsedResource, arn: task.resource)
        let taskId = TaskID(s.nextTaskId)
        s.nextTaskId += 1
        let token = kind.waitsForTaskToken || kind == .activity ? newToken(taskId) : nil
        var parameters = effective
        let timeout: Int?, heartbeat: Int?
        if state.isJSONata {
            var states = StatesBinding(input: frame.input, context: contextFacts(frame, token: token))
            if let arguments = state.arguments { parameters = try evaluate(arguments, field: "Arguments", frame, &states) }
            timeout = try integer(task.timeoutSeconds, field: "TimeoutSeconds", frame, &states, minimum: 1)
            heartbeat = try integer(task.heartbeatSeconds, field: "HeartbeatSeconds", frame, &states, minimum: 1)
        } else {
            if let p = state.parameters {
                parameters = try DataFlow.apply(p, scope: scope(frame, input: effective, token: token), random: &s.random)
            }
            timeout = try resolve(task.timeoutSeconds, field: "TimeoutSecondsPath", input: effective, frame)
            heartbeat = try resolve(task.heartbeatSeconds, field: "HeartbeatSecondsPath", input: effective, frame)
        }
        var details = JSONObject()
        switch kind {
        case .lambdaFunction, .activity:
            details.appendUnchecked("resource", .string(task.resource))
            details.appendUnchecked("input", parameters)
            details.appendUnchecked("inputDetails", EventDetails.notTruncated)
        case .service(let type, let resource):
            details.appendUnchecked("resourceType", .string(type))
            details.appendUnchecked("resource", .string(resource))
            details.appendUnchecked("region", .string(interpreter.region))
            details.appendUnchecked("parameters", parameters)
        }
        if let timeout { details.appendUnchecked("timeoutInSeconds", .int(Int64(timeout))) }
        if let heartbeat { details.appendUnchecked("heartbeatInSeconds", .int(Int64(heartbeat))) }
        let scheduledId = emit(fid, eventPrefix(kind) + "Scheduled", detailsKey(kind, "Scheduled"), details)
        var pending = PendingTask(id: taskId, kind: kind, resource: task.resource, token: token, effectiveInput: effective,
                                  heartbeatSeconds: heartbeat)
        var timers: [TimerID] = []
        if let timeout {
            let t = newTimer(.taskTimeout(frame: fid, task: taskId))
            timers.append(t)
            decision.effects.append(.startTimer(t, dueAt: now.adding(seconds: Int64(timeout))))
        }
        if let heartbeat {
            let t = newTimer(.heartbeat(frame: fid, task: taskId))
            timers.append(t)
            pending.heartbeatTimer = t
            decision.effects.append(.startTimer(t, dueAt: now.adding(seconds: Int64(heartbeat))))
        }
        withFrame(fid) { $0.task = pending }
        withFrame(fid) { $0.taskTimers = timers }
        s.tasks[taskId] = fid
        var invocation = TaskInvocation(
            id: taskId, stateName: state.name, resource: task.resource, parameters: parameters, timeoutSeconds: timeout,
            heartbeatSeconds: heartbeat, taskToken: token, idempotencyKey: "\(s.context.executionArn)/\(scheduledId)",
            traceHeader: traceHeader ?? s.context.traceHeader)
        if let testCase = s.context.testCase {
            // Counted in the state, so a replay or a redelivered task takes the same response.
            var counts = s.mockInvocations ?? [:]
            let n = counts[state.name, default: 0]
            counts[state.name] = n + 1
            s.mockInvocations = counts
            invocation.mock = MockCall(stateMachine: s.context.stateMachineName, testCase: testCase, invocation: n)
        }
        decision.effects.append(.invokeTask(invocation))
    }

    /// A task token: a 192-bit secret and the task it names (`TaskToken`). With the trigger's
    /// entropy (fresh secure randomness from the shell) the secret is SHA-256 of that entropy
    /// and the task id, so it cannot be guessed; without it (local runs) it comes from the
    /// execution's seeded generator.
    mutating func newToken(_ task: TaskID) -> String {
        var bytes: [UInt8] = []
        if entropy.count >= 16 {
            var material = entropy
            for i in 0..<8 { material.append(UInt8(truncatingIfNeeded: task.rawValue >> (8 * i))) }
            bytes = Array(Hashing.sha256(material).prefix(24))
        } else {
            for _ in 0..<3 {
                let v = s.random.next()
                for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
            }
        }
        return TaskToken.make(secret: bytes, task: task, executionArn: s.context.executionArn)
    }

    func eventPrefix(_ kind: ResourceKind) -> String {
        switch kind {
        case .lambdaFunction: return "LambdaFunction"
        case .activity: return "Activity"
        case .service: return "Task"
        }
    }

    func detailsKey(_ kind: ResourceKind, _ suffix: String) -> String {
        let p = eventPrefix(kind)
        return p.prefix(1).lowercased() + p.dropFirst() + suffix + "EventDetails"
    }

    /// The `resourceType`/`resource` pair service-integration events carry.
    func serviceFields(_ kind: ResourceKind) -> JSONObject {
        var d = JSONObject()
        if case .service(let type, let resource) = kind {
            d.appendUnchecked("resourceType", .string(type))
            d.appendUnchecked("resource", .string(resource))
        }
        return d
    }

    mutating func taskStarted(_ fid: Int, _ task: PendingTask, workerName: String?) {
        switch task.kind {
        case .lambdaFunction: emit(fid, "LambdaFunctionStarted")
        case .activity:
            var d = JSONObject()
            if let workerName { d["workerName"] = .string(workerName) }
            emit(fid, "ActivityStarted", "activityStartedEventDetails", d)
        case .service:
            let fields = serviceFields(task.kind)
            emit(fid, "TaskStarted", "taskStartedEventDetails", fields)
        }
    }

    mutating func clearTask(_ fid: Int) -> PendingTask? {
        guard let frame = s.frames[fid], let task = frame.task else { return nil }
        for t in frame.taskTimers where s.timers.removeValue(forKey: t) != nil { decision.effects.append(.cancelTimer(t)) }
        withFrame(fid) { $0.task = nil }
        withFrame(fid) { $0.taskTimers = [] }
        return task
    }

    mutating func taskSucceeded(_ fid: Int, _ output: JSON) {
        if mapRunTaskEnded(fid, .success(output)) { return }
        guard let task = clearTask(fid), let frame = s.frames[fid], let state = state(of: frame) else { return }
        var details = serviceFields(task.kind)
        details.appendUnchecked("output", output)
        details.appendUnchecked("outputDetails", EventDetails.notTruncated)
        emit(fid, eventPrefix(task.kind) + "Succeeded", detailsKey(task.kind, "Succeeded"), details)
        do throws(StatesError) {
            if !output.serializes(within: interpreter.maximumPayloadBytes, memo: sizes) {
                let name: String
                if case .task(let t) = state.kind { name = t.resource } else { name = state.name }
                throw StatesError(StatesError.dataLimitExceeded,
                                  "The state/task '\(name)' returned a result with a size exceeding the maximum number of bytes service limit.")
            }
            var result = output
            if let selector = state.resultSelector {
                result = try DataFlow.apply(selector, scope: scope(frame, input: output), random: &s.random)
            }
            try finishState(fid, frame, state, result: result)
        } catch {
            fail(fid, error)
        }
    }

    mutating func taskFailed(_ fid: Int, _ error: StatesError) {
        if mapRunTaskEnded(fid, .failure(error)) { return }
        guard let task = clearTask(fid) else { return }
        var details = serviceFields(task.kind)
        for (k, v) in EventDetails.failure(error) { details.appendUnchecked(k, v) }
        emit(fid, eventPrefix(task.kind) + "Failed", detailsKey(task.kind, "Failed"), details)
        withFrame(fid) { $0.phase = .blocked }
        fail(fid, error)
    }

    mutating func taskTimedOut(_ fid: Int, _ error: StatesError) {
        guard let task = clearTask(fid) else { return }
        var details = serviceFields(task.kind)
        for (k, v) in EventDetails.failure(error) { details.appendUnchecked(k, v) }
        emit(fid, eventPrefix(task.kind) + "TimedOut", detailsKey(task.kind, "TimedOut"), details)
        fail(fid, error)
    }
}
