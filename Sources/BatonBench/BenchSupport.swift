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
