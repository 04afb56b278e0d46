import CStackBounds
import Foundation

/// Variable bindings: a frame per block, lambda call and tuple; lambdas keep theirs.
final class Environment {
    /// A name bound to undefined (`$x := nothing`) hides the outer binding: nil values are kept.
    private var bindings: [String: JValue?] = [:]
    let parent: Environment?

    init(parent: Environment?) { self.parent = parent }

    func bind(_ name: String, _ value: JValue?) { bindings.updateValue(value, forKey: name) }

    func lookup(_ name: String) -> JValue? {
        var e: Environment? = self
        while let env = e {
            if let v = env.bindings[name] { return v }
            e = env.parent
        }
        return Library.table[name].map { .function(JFunction(.builtin($0))) }
    }
}

/// One evaluation's limits and shared state.
final class Context {
    let maxDepth: Int
    let deadline: Double?
    var depth = 0
    var random: SplitMix
    let now: Date

    /// The lowest address this thread's stack may reach before evaluation refuses to go deeper.
    let stackFloor: UInt

    /// The largest string (characters) or array (items) an evaluation may build, and the most
    /// nodes its result may have.
    let maxValueSize: Int

    init(maxDepth: Int, timeLimit: Double?, seed: UInt64, now: Date, maxValueSize: Int = 16 * 1024 * 1024) {
        self.maxDepth = maxDepth
        self.maxValueSize = maxValueSize
        stackFloor = Self.stackFloor()
        deadline = timeLimit.map { ProcessInfo.processInfo.systemUptime + $0 }
        random = SplitMix(seed: seed)
        self.now = now
    }

    /// Called on entering every node: a hostile expression stops with an error, never a
    /// stack overflow or a hang.
    func enter(_ position: Int) throws(JSONataError) {
        depth += 1
        var marker: UInt8 = 0
        let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        if depth > maxDepth || here < stackFloor {
            throw JSONataError("U1001", "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive.", position: position)
        }
        try tick(position)
    }

    private var ticks = 0

    /// Checks the time limit every 1,024 steps (reading the clock at every node would cost more
    /// than most nodes).
    func tick(_ position: Int) throws(JSONataError) {
        ticks &+= 1
        if ticks & 1023 == 0, let deadline, ProcessInfo.processInfo.systemUptime > deadline {
            throw JSONataError("U1001", "Expression evaluation timeout: Check for infinite loop", position: position)
        }
    }

    func leave() { depth -= 1 }

    /// This thread's stack bottom plus a reserve: a task on the cooperative pool may have far
    /// less stack than the main thread, so the guard reads the thread's own bounds.
    static func stackFloor() -> UInt {
        let low = UInt(baton_stack_low())
        return low == 0 ? 0 : low + 128 * 1024
    }
}

/// A small, fast generator for $random and $shuffle (AWS's seeded `$random(seed)` uses Java's
/// generator separately).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
