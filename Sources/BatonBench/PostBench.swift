import Foundation
import ServiceKit

/// An exporter's POST alone: `count` bodies of `kilobytes` sent one after another to `url`
/// (a collector that only reads), through `OutboundHTTP` as the span exporter sends its
/// batches. Prints the process's CPU and the wall time per POST.
enum PostBench {
    static func run(url: String, count: Int, kilobytes: Int) async throws {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: kilobytes * 1024)
        // One first, so the connection is open before the clock starts.
        _ = try await OutboundHTTP.send("POST", to: url, headers: [("Content-Type", "application/x-protobuf")], body: body, timeoutSeconds: 10)
        let cpu0 = processCPUSeconds(), wall0 = monotonicSeconds()
        for _ in 0..<count {
            let answer = try await OutboundHTTP.send("POST", to: url, headers: [("Content-Type", "application/x-protobuf")], body: body, timeoutSeconds: 10)
            guard answer.succeeded else { throw CancellationError() }
        }
        let cpu = processCPUSeconds() - cpu0, wall = monotonicSeconds() - wall0
        print(String(format: "post: %d × %d KB, %.1f µs CPU and %.1f µs wall each", count, kilobytes, cpu * 1e6 / Double(count), wall * 1e6 / Double(count)))
    }

    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
