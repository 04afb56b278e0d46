import StatesLanguage

// The execution state's snapshot, written by hand: every field in a fixed order, integers as
// zig-zag varints, JSON values as their text (which keeps key order and `1` versus `1.0`).
// The Codable form it replaces spent its time in the runtime's generic-metadata lookups (the
// containers are generic over each type's CodingKeys, across modules): 27 µs to encode the
// state of a run parked on a Wait, a tenth of a routed event's cost. Codable stays for
// snapshots written before (the codec reads both) and as the reference the round-trip test
// compares against, so a field added to the state and not here fails that test.

package struct SnapshotWriter {
    package private(set) var bytes: [UInt8]

    package init(prefix: [UInt8] = []) {
        bytes = prefix
        bytes.reserveCapacity(1024)
    }

    mutating func int(_ v: Int) { uvarint(UInt64(bitPattern: Int64((v << 1) ^ (v >> 63)))) }

    mutating func uvarint(_ v: UInt64) { bytes.appendVarint(v) }

    mutating func uint64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { u in
            uvarint(UInt64(u.count))
            bytes.append(contentsOf: u)
        }
    }

    mutating func json(_ v: JSON) {
        let text = v.serializedBytes
        uvarint(UInt64(text.count))
        bytes.append(contentsOf: text)
    }

    mutating func timestamp(_ t: Timestamp) {
        int(Int(t.seconds))
        int(Int(t.nanoseconds))
    }

    mutating func optional<T>(_ v: T?, _ write: (inout SnapshotWriter, T) -> Void) {
        if let v {
            bytes.append(1)
            write(&self, v)
        } else {
            bytes.append(0)
        }
    }
}

package struct SnapshotReader {
    let bytes: [UInt8]
    var at: Int

    package struct Truncated: Error {}

    package init(_ bytes: [UInt8], from start: Int) {
        self.bytes = bytes
        at = start
    }

    mutating func byte() throws(Truncated) -> UInt8 {
        guard at < bytes.count else { throw Truncated() }
        defer { at += 1 }
        return bytes[at]
    }

    mutating func uvarint() throws(Truncated) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
            guard shift < 64 else { throw Truncated() }
        }
    }

    mutating func int() throws(Truncated) -> Int {
        let u = try uvarint()
        return Int(Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1))))
    }

    mutating func uint64() throws(Truncated) -> UInt64 {
        guard at + 8 <= bytes.count else { throw Truncated() }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
        at += 8
        return v
    }

    mutating func bool() throws(Truncated) -> Bool { try byte() != 0 }

    /// A count of elements that follow: never negative, never more than the bytes left.
    mutating func count() throws(Truncated) -> Int {
        let n = try int()
        guard n >= 0, n <= bytes.count - at else { throw Truncated() }
        return n
    }

    mutating func raw() throws(Truncated) -> ArraySlice<UInt8> {
        let n = Int(try uvarint())
        guard n >= 0, at + n <= bytes.count else { throw Truncated() }
        defer { at += n }
        return bytes[at..<(at + n)]
    }

    mutating func string() throws(Truncated) -> String { String(decoding: try raw(), as: UTF8.self) }

    mutating func json() throws -> JSON { try JSONParser.parse(Array(try raw())) }

    mutating func timestamp() throws(Truncated) -> Timestamp {
        let s = try int()
        return Timestamp(seconds: Int64(s), nanoseconds: Int32(truncatingIfNeeded: try int()))
    }

    mutating func optional<T>(_ read: (inout SnapshotReader) throws -> T) throws -> T? {
        try byte() == 0 ? nil : try read(&self)
    }
}

extension ExecutionState {
    package func write(to w: inout SnapshotWriter) {
        let c = context
        w.string(c.executionArn)
        w.string(c.name)
        w.string(c.roleArn)
        w.string(c.stateMachineArn)
        w.string(c.stateMachineName)
        w.timestamp(c.startTime)
        w.int(c.redriveCount)
        w.optional(c.traceHeader) { $0.string($1) }
        w.json(input)
        w.string(status.rawValue)
        w.optional(output) { $0.json($1) }
        w.optional(failure) { w, f in
            w.string(f.error)
            w.optional(f.cause) { $0.string($1) }
            w.optional(f.location) { $0.string($1) }
        }
        w.int(nextEventId)
        w.int(frames.slots.count)
        for slot in frames.slots { w.optional(slot) { $1.write(to: &$0) } }
        w.int(nextFrameId)
        w.int(nextTaskId)
        w.int(nextTimerId)
        w.int(tasks.count)
        for (k, v) in tasks.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            w.int(k.rawValue)
            w.int(v)
        }
        w.int(timers.count)
        for (k, v) in timers.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            w.int(k.rawValue)
            v.write(to: &w)
        }
        w.uint64(random.state)
        w.optional(variables) { $0.json($1) }
        w.optional(storedVariableBytes) { $0.int($1) }
        // Since format 0x03 (a mock test case and its invocation counts).
        w.optional(c.testCase) { $0.string($1) }
        w.optional(mockInvocations) { w, counts in
            w.int(counts.count)
            for (k, v) in counts.sorted(by: { $0.key < $1.key }) {
                w.string(k)
                w.int(v)
            }
        }
        // Since format 0x04 (Distributed Map runs in progress).
        w.optional(mapRuns) { w, runs in
            w.int(runs.count)
            for (k, v) in runs.sorted(by: { $0.key < $1.key }) {
                w.int(k)
                w.json(v)
            }
        }
    }

    /// `mockFields`: false for snapshots of format 0x02, written before the mock test case was
    /// kept; `mapRunFields`: false before 0x04, which keeps Distributed Map runs in progress.
    package static func read(from r: inout SnapshotReader, mockFields: Bool = true, mapRunFields: Bool = true) throws -> ExecutionState {
        let context = ExecutionContext(executionArn: try r.string(), name: try r.string(), roleArn: try r.string(),
                                       stateMachineArn: try r.string(), stateMachineName: try r.string(), startTime: try r.timestamp(),
                                       redriveCount: try r.int(), traceHeader: try r.optional { try $0.string() })
        var s = ExecutionState(context: context, input: try r.json(), seed: 0)
        guard let status = ExecutionStatus(rawValue: try r.string()) else { throw SnapshotReader.Truncated() }
        s.status = status
        s.output = try r.optional { try $0.json() }
        s.failure = try r.optional { r in
            StatesError(try r.string(), try r.optional { try $0.string() }, location: try r.optional { try $0.string() })
        }
        s.nextEventId = try r.int()
        let slots = try r.count()
        var table: [Frame?] = []
        table.reserveCapacity(slots)
        for _ in 0..<slots { table.append(try r.optional { try Frame.read(from: &$0) }) }
        s.frames = FrameTable(slots: table)
        s.nextFrameId = try r.int()
        s.nextTaskId = try r.int()
        s.nextTimerId = try r.int()
        for _ in 0..<(try r.count()) { s.tasks[TaskID(try r.int())] = try r.int() }
        for _ in 0..<(try r.count()) { s.timers[TimerID(try r.int())] = try TimerPurpose.read(from: &r) }
        s.random = RandomSource(seed: try r.uint64())
        s.variables = try r.optional { try $0.json() }
        s.storedVariableBytes = try r.optional { try $0.int() }
        if mockFields {
            s.context.testCase = try r.optional { try $0.string() }
            s.mockInvocations = try r.optional { r in
                var counts: [String: Int] = [:]
                for _ in 0..<(try r.count()) { counts[try r.string()] = try r.int() }
                return counts
            }
        }
        if mapRunFields {
            s.mapRuns = try r.optional { r in
                var runs: [Int: JSON] = [:]
                for _ in 0..<(try r.count()) { runs[try r.int()] = try r.json() }
                return runs
            }
        }
        return s
    }
}

extension TimerPurpose {
    func write(to w: inout SnapshotWriter) {
        switch self {
        case .wait(let f):
            w.int(0)
            w.int(f)
        case .retry(let f):
            w.int(1)
            w.int(f)
        case .taskTimeout(let f, let t):
            w.int(2)
            w.int(f)
            w.int(t.rawValue)
        case .heartbeat(let f, let t):
            w.int(3)
            w.int(f)
            w.int(t.rawValue)
        case .executionTimeout:
            w.int(4)
        }
    }

    static func read(from r: inout SnapshotReader) throws -> TimerPurpose {
        switch try r.int() {
        case 0: return .wait(frame: try r.int())
        case 1: return .retry(frame: try r.int())
        case 2: return .taskTimeout(frame: try r.int(), task: TaskID(try r.int()))
        case 3: return .heartbeat(frame: try r.int(), task: TaskID(try r.int()))
        case 4: return .executionTimeout
        default: throw SnapshotReader.Truncated()
        }
    }
}

extension Frame {
    func write(to w: inout SnapshotWriter) {
        w.int(id)
        w.int(machine)
        w.int(state)
        switch phase {
        case .enter: w.int(0)
        case .execute: w.int(1)
        case .blocked: w.int(2)
        }
        w.json(input)
        w.int(lastEventId)
        w.int(enteredEventId)
        w.optional(storedEnteredPreviousId) { $0.int($1) }
        w.timestamp(enteredTime)
        w.int(retryCounts.count)
        for n in retryCounts { w.int(n) }
        w.optional(parent) { $0.int($1) }
        w.int(slot)
        w.bool(silent)
        w.optional(fanOut) { $1.write(to: &$0) }
        w.optional(task) { $1.write(to: &$0) }
        w.int(taskTimers.count)
        for t in taskTimers { w.int(t.rawValue) }
        w.optional(variables) { $0.json($1) }
    }

    static func read(from r: inout SnapshotReader) throws -> Frame {
        let id = try r.int(), machine = try r.int(), state = try r.int()
        let phase: Phase
        switch try r.int() {
        case 0: phase = .enter
        case 1: phase = .execute
        case 2: phase = .blocked
        default: throw SnapshotReader.Truncated()
        }
        var f = Frame(id: id, machine: machine, state: state, phase: phase, input: try r.json(), lastEventId: try r.int(),
                      enteredEventId: try r.int(), storedEnteredPreviousId: try r.optional { try $0.int() }, enteredTime: try r.timestamp())
        for _ in 0..<(try r.count()) { f.retryCounts.append(try r.int()) }
        f.parent = try r.optional { try $0.int() }
        f.slot = try r.int()
        f.silent = try r.bool()
        f.fanOut = try r.optional { try FanOut.read(from: &$0) }
        f.task = try r.optional { try PendingTask.read(from: &$0) }
        for _ in 0..<(try r.count()) { f.taskTimers.append(TimerID(try r.int())) }
        f.variables = try r.optional { try $0.json() }
        return f
    }
}

extension PendingTask {
    func write(to w: inout SnapshotWriter) {
        w.int(id.rawValue)
        switch kind {
        case .lambdaFunction: w.int(0)
        case .activity: w.int(1)
        case .service(let type, let resource):
            w.int(2)
            w.string(type)
            w.string(resource)
        }
        w.string(resource)
        w.optional(token) { $0.string($1) }
        w.bool(started)
        w.json(effectiveInput)
        w.optional(heartbeatSeconds) { $0.int($1) }
        w.optional(heartbeatTimer) { $0.int($1.rawValue) }
    }

    static func read(from r: inout SnapshotReader) throws -> PendingTask {
        let id = TaskID(try r.int())
        let kind: ResourceKind
        switch try r.int() {
        case 0: kind = .lambdaFunction
        case 1: kind = .activity
        case 2: kind = .service(resourceType: try r.string(), resource: try r.string())
        default: throw SnapshotReader.Truncated()
        }
        return PendingTask(id: id, kind: kind, resource: try r.string(), token: try r.optional { try $0.string() }, started: try r.bool(),
                           effectiveInput: try r.json(), heartbeatSeconds: try r.optional { try $0.int() },
                           heartbeatTimer: try r.optional { TimerID(try $0.int()) })
    }
}

extension FanOut {
    func write(to w: inout SnapshotWriter) {
        w.bool(isMap)
        w.json(effectiveInput)
        w.int(results.count)
        for v in results { w.optional(v) { $0.json($1) } }
        w.int(itemInputs.count)
        for v in itemInputs { w.json(v) }
        w.int(nextToStart)
        w.int(running.count)
        for n in running.sorted() { w.int(n) }
        w.int(children.count)
        for (k, v) in children.sorted(by: { $0.key < $1.key }) {
            w.int(k)
            w.int(v)
        }
        w.int(completed)
        w.int(failures)
        w.int(maxConcurrency)
        w.optional(toleratedCount) { $0.int($1) }
        w.optional(toleratedPercentage) { $0.uint64($1.bitPattern) }
        w.int(lastIterationEndId)
        w.bool(distributed)
    }

    static func read(from r: inout SnapshotReader) throws -> FanOut {
        let isMap = try r.bool()
        let effectiveInput = try r.json()
        var results: [JSON?] = []
        for _ in 0..<(try r.count()) { results.append(try r.optional { try $0.json() }) }
        var f = FanOut(isMap: isMap, effectiveInput: effectiveInput, results: results)
        for _ in 0..<(try r.count()) { f.itemInputs.append(try r.json()) }
        f.nextToStart = try r.int()
        for _ in 0..<(try r.count()) { f.running.insert(try r.int()) }
        for _ in 0..<(try r.count()) { f.children[try r.int()] = try r.int() }
        f.completed = try r.int()
        f.failures = try r.int()
        f.maxConcurrency = try r.int()
        f.toleratedCount = try r.optional { try $0.int() }
        f.toleratedPercentage = try r.optional { Double(bitPattern: try $0.uint64()) }
        f.lastIterationEndId = try r.int()
        f.distributed = try r.bool()
        return f
    }
}
