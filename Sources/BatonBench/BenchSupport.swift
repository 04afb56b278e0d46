import Glibc

/// A chain of n Pass states, each with Parameters.
func passChain(_ n: Int) -> String {
    var states: [String] = []
    for i in 0..<n {
        let next = i == n - 1 ? "\"End\": true" : "\"Next\": \"P\(i + 1)\""
        states.append("\"P\(i)\": {\"Type\": \"Pass\", \"Parameters\": {\"step\": \(i), \"order.$\": \"$.order\"}, \(next)}")
    }
    return "{\"StartAt\": \"P0\", \"States\": {\(states.joined(separator: ", "))}}"
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// One benchmark client: calls `body` with its call's number (1, 2, …) until `deadline`, and
/// returns each call's time in milliseconds. A call that throws ends the client (its error
/// printed), so a broken run shows instead of counting failures as work.
func timedCalls(until deadline: Double, _ body: (Int) async throws -> Void) async -> [Double] {
    var latencies: [Double] = []
    var n = 0
    while monotonicSeconds() < deadline {
        n += 1
        let t0 = monotonicSeconds()
        do { try await body(n) } catch {
            print("bench error: \(error)")
            break
        }
        latencies.append((monotonicSeconds() - t0) * 1000)
    }
    return latencies
}
