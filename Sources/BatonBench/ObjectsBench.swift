import Engine
import Foundation
import Journal
import Objects
import ServiceKit
import StatesLanguage

/// S3 in process, without HTTP: PutObject of new 4 KB objects and GetObject of stored ones from
/// `workers` concurrent loops (FULL), then a bucket grown to `keys` object rows and pages of
/// ListObjectsV2 (1,000 keys, rendered as S3's XML) from random points, timed one at a time.
/// The grown rows name no files: a listing reads only rows.
enum ObjectsBench {
    static func run(seconds: Double, workers: Int, keys: Int) async throws {
        let dir = NSTemporaryDirectory() + "baton-objects-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try SQLiteJournal(directory: dir, synchronous: .full)
        let s3 = try await S3Service(ServiceContext(engine: Engine(journal: db, clock: SystemEngineClock()), database: db, dataDirectory: dir))
        func call(_ method: String, _ key: String?, query: [String: String] = [:], body: [UInt8] = []) async throws -> ServiceReply {
            var parameters = ["Bucket": "bench"]
            if let key { parameters["Key"] = key }
            var c = ServiceCall(action: "S3", method: method, parameters: parameters, query: query, headers: [:], body: body)
            if !body.isEmpty { c.bodyStream = BodyStream.bytes(body, chunk: body.count) }
            guard let perform = s3.actions["S3"] else { throw ServiceError("Bench", "no S3 action") }
            return try await perform(c)
        }
        func pct(_ sorted: [Double], _ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        _ = try await call("PUT", nil)
        let body = [UInt8](repeating: 120, count: 4096)
        for (action, put) in [("PutObject", true), ("GetObject", false)] {
            let deadline = monotonicSeconds() + seconds
            let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
                for w in 0..<workers {
                    group.addTask {
                        var out: [Double] = []
                        var n = 0
                        while monotonicSeconds() < deadline {
                            let t = monotonicSeconds()
                            if put {
                                _ = try await call("PUT", "w\(w)-\(n)", body: body)
                            } else {
                                let reply = try await call("GET", "w\(w)-\(n % 20)")
                                try? reply.file?.handle.close()
                            }
                            out.append((monotonicSeconds() - t) * 1000)
                            n += 1
                        }
                        return out
                    }
                }
                var all: [Double] = []
                for try await part in group { all += part }
                return all.sorted()
            }
            print(String(format: "%@ of 4 KB objects, %d workers: %.0f/s, p50 %.3f ms, p99 %.3f ms", action, workers,
                         Double(latencies.count) / seconds, pct(latencies, 0.5), pct(latencies, 0.99)))
        }
        // Grow the bucket's rows, then list pages of 1,000 keys.
        let t0 = monotonicSeconds()
        var inserted = 0
        while inserted < keys {
            let batch = min(50_000, keys - inserted)
            let start = inserted
            try await db.write("bench rows") { c throws(ServiceError) in
                do {
                    let s = try c.statement("INSERT OR REPLACE INTO s3_objects (bucket, key, file, size, etag, modified_ms, headers) VALUES ('bench', ?1, 'none', 4096, 'e', 0, '{}')")
                    for i in start..<(start + batch) {
                        s.bind(1, String(format: "data/%08d.json", i))
                        try s.run()
                    }
                } catch { throw ServiceError("Bench", "\(error)") }
            }
            inserted += batch
        }
        print(String(format: "grew the bucket to %d object rows in %.1f s", keys, monotonicSeconds() - t0))
        var pages: [Double] = []
        for _ in 0..<200 {
            let after = String(format: "data/%08d.json", Int.random(in: 0..<max(1, keys - 2000)))
            let t = monotonicSeconds()
            let reply = try await call("GET", nil, query: ["list-type": "2", "start-after": after, "max-keys": "1000", "prefix": "data/"])
            pages.append((monotonicSeconds() - t) * 1000)
            guard String(decoding: reply.body, as: UTF8.self).components(separatedBy: "<Key>").count == 1001 else {
                throw ServiceError("Bench", "a page did not hold 1,000 keys")
            }
        }
        pages.sort()
        print(String(format: "ListObjectsV2 of 1,000 keys out of %d: p50 %.3f ms, p99 %.3f ms", keys, pct(pages, 0.5), pct(pages, 0.99)))
        db.close()
    }
}
