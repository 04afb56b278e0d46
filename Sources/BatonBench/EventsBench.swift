import Events
import Foundation
import StatesLanguage

/// Events matched per second against 10, 1,000 and 10,000 rules of mixed kinds (exact,
/// prefix, numeric range, anything-but, exists, wildcard; each rule names its source, as
/// EventBridge rules nearly always do, six rules per source), on one core; then moto's matcher
/// on the same patterns and events, in the same run.
enum EventsBench {
    static func pattern(_ i: Int) -> String {
        let source = #""source":["svc-\#(i / 6)"]"#
        switch i % 6 {
        case 0: return #"{\#(source),"detail-type":["Order Placed"]}"#
        case 1: return #"{\#(source),"detail":{"name":[{"prefix":"n\#(i % 7)"}]}}"#
        case 2: return #"{\#(source),"detail":{"amount":[{"numeric":[">",\#(i % 50),"<=",\#(i % 50 + 40)]}]}}"#
        case 3: return #"{\#(source),"detail":{"state":[{"anything-but":["s\#(i % 3)","s9"]}]}}"#
        case 4: return #"{\#(source),"detail":{"flag":[{"exists":\#(i % 2 == 0)}]}}"#
        default: return #"{\#(source),"detail":{"file":[{"wildcard":"f*.t\#(i % 4)"}]}}"#
        }
    }

    static func events(_ count: Int, sources: Int) -> [JSON] {
        var state: UInt64 = 7
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(max(1, n)))
        }
        return (0..<count).map { _ in
            var detail: JSONObject = ["name": .string("n\(next(7))-item"), "amount": .int(Int64(next(100))), "state": .string("s\(next(4))"),
                                      "file": .string("f\(next(9)).t\(next(5))"), "customer": ["id": .string("c\(next(1000))"), "tier": "gold"]]
            if next(2) == 0 { detail["flag"] = true }
            return ["version": "0", "id": .string(UUID().uuidString), "detail-type": "Order Placed", "source": .string("svc-\(next(sources))"),
                    "account": "123456789012", "time": "2022-07-13T13:48:01Z", "region": "us-east-1", "resources": [], "detail": .object(detail)]
        }
    }

    static func run(seconds: Double) throws {
        var rows: [(rules: Int, rate: Double, matched: Double)] = []
        var mixed: [(rules: Int, patterns: [String], events: [JSON])] = []
        for n in [10, 1_000, 10_000] {
            var index = RuleIndex()
            let patterns = (0..<n).map(pattern)
            for p in patterns { index.add(try EventPattern(text: p)) }
            let sample = events(2_000, sources: max(1, n / 6))
            var done = 0, matched = 0
            let start = Date()
            while Date().timeIntervalSince(start) < seconds {
                for e in sample { matched += index.matches(e).count }
                done += sample.count
            }
            let elapsed = Date().timeIntervalSince(start)
            rows.append((n, Double(done) / elapsed, Double(matched) / Double(done)))
            mixed.append((n, patterns, Array(sample.prefix(n >= 10_000 ? 20 : 200))))
        }
        for r in rows {
            print(String(format: "baton: %6d rules: %9.0f events/s (%.1f rules matched per event)", r.rules, r.rate, r.matched))
        }
        if let ten = rows.first, let most = rows.last {
            print(String(format: "baton: 10,000-rule rate is %.2f× the 10-rule rate", most.rate / ten.rate))
        }
        try moto(mixed, baton: rows.map(\.rate))
    }

    /// moto's EventPattern on the same patterns and a slice of the same events.
    static func moto(_ sets: [(rules: Int, patterns: [String], events: [JSON])], baton: [Double]) throws {
        let file = NSTemporaryDirectory() + "baton-events-bench-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let payload = JSON.array(sets.map { s in
            ["rules": .int(Int64(s.rules)), "patterns": .array(s.patterns.map { .string($0) }), "events": .array(s.events)]
        })
        try payload.serialized.write(toFile: file, atomically: true, encoding: .utf8)
        let script = """
            import json, sys, time
            from moto.events.models import EventPattern
            for s in json.load(open(sys.argv[1])):
                patterns = [EventPattern.load(p) for p in s["patterns"]]
                start = time.perf_counter()
                for e in s["events"]:
                    for p in patterns:
                        p.matches_event(e)
                elapsed = time.perf_counter() - start
                print(s["rules"], len(s["events"]) / elapsed)
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, file]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            print("moto: not measured (python3 with moto is needed)")
            return
        }
        for (i, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let rate = Double(parts[1]), i < baton.count else { continue }
            print(String(format: "moto:  %6@ rules: %9.0f events/s; baton/moto %.0f×", String(parts[0]) as NSString, rate, baton[i] / rate))
        }
    }
}
