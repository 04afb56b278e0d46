import Foundation
import StatesLanguage

/// What AWS adds to JSONata in Step Functions.
extension Library {
    static let extras: [(String, Builtin)] = [
        def("partition", "<an:a>") { a, _ in
            guard a[0] != nil, let size = num(a[1]) else { return nil }
            guard size >= 1 else { throw JSONataError("D3020", "The size of a partition must be a positive integer", token: "partition") }
            let items = Functions.items(a[0])
            let n = size.clampedInt
            return .arr(stride(from: 0, to: items.count, by: n).map { .arr(Array(items[$0..<min($0 + n, items.count)])) })
        },
        def("range", "<nnn?:a>") { a, _ in
            guard let start = num(a[0]), let end = num(a[1]) else { return nil }
            let step = num(a.count > 2 ? a[2] : nil) ?? 1
            guard step != 0 else { throw JSONataError("D3020", "The step of $range must not be zero", token: "range") }
            var out: [JValue] = []
            var v = start
            while (step > 0 ? v <= end : v >= end) && out.count <= 1_000_000 {
                out.append(.number(v))
                v += step
            }
            // A sequence, as JSONata's own array builders give: one value is that value
            // (`$range(0, 0, 1)` is 0, not [0]).
            return out.count == 1 ? out[0] : .arr(out)
        },
        // A version-4 UUID from the evaluation's generator: its seed is an input, so a replay
        // gives the same id.
        def("uuid", "<:s>") { _, call in
            var bytes: [UInt8] = []
            for _ in 0..<2 {
                let v = call.evaluator.ctx.random.next()
                for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
            }
            bytes[6] = (bytes[6] & 0x0F) | 0x40
            bytes[8] = (bytes[8] & 0x3F) | 0x80
            let hex = bytes.map { String(format: "%02x", $0) }.joined()
            let c = Array(hex)
            return .string(String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32]))
        },
        // $hash(value, algorithm): the digests States.Hash offers, as lowercase hex.
        def("hash", "<s-s?:s>") { a, _ in
            guard let s = str(a[0]) else { return nil }
            let algorithm = str(a.count > 1 ? a[1] : nil) ?? "SHA-256"
            guard let digest = Hashing.digest(Array(s.utf8), algorithm: algorithm) else {
                throw JSONataError("D3137", "The hash algorithm \(algorithm) is not supported: use MD5, SHA-1, SHA-256, SHA-384 or SHA-512", token: "hash")
            }
            return .string(digest.map { String(format: "%02x", $0) }.joined())
        },
        def("parse", "<s-:x>") { a, _ in
            guard let s = str(a[0]) else { return nil }
            guard let v = try? JSONata.parseJSON(s) else {
                throw JSONataError("D3030", "Unable to parse \"\(s)\" as JSON", token: "parse")
            }
            return v
        },
    ]
}
