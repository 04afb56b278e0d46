import StatesLanguage
import Testing

/// Random and mutated documents must never crash the parser; valid ones must round-trip.
@Suite struct JSONFuzzTests {
    /// A small deterministic generator, so a failure reproduces.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

        mutating func value(depth: Int) -> JSON {
            switch below(depth > 3 ? 6 : 8) {
            case 0: return .null
            case 1: return .bool(below(2) == 0)
            case 2: return .int(Int64(bitPattern: next()) >> Int64(below(60)))
            case 3: return .double(Double(Int64(bitPattern: next()) >> 20) / Double(1 << below(40)))
            case 4, 5:
                let alphabet = Array("ab\"\\/\n\t\u{1}é☃😀 {}[]:,")
                return .string(String((0..<below(12)).map { _ in alphabet[below(alphabet.count)] }))
            case 6: return .array((0..<below(5)).map { _ in value(depth: depth + 1) })
            default:
                var o = JSONObject()
                for i in 0..<below(5) { o["k\(i)\(below(3))"] = value(depth: depth + 1) }
                return .object(o)
            }
        }
    }

    @Test func randomDocumentsRoundTrip() throws {
        var g = Generator(state: 7)
        for _ in 0..<2000 {
            let v = g.value(depth: 0)
            let text = v.serialized
            let parsed = try JSONParser.parse(text)
            #expect(parsed.serialized == text)
        }
    }

    @Test func mutatedDocumentsNeverCrash() {
        var g = Generator(state: 11)
        var parsedCount = 0
        for _ in 0..<5000 {
            var bytes = Array(g.value(depth: 0).serialized.utf8)
            for _ in 0..<(1 + g.below(4)) {
                guard !bytes.isEmpty else { break }
                let i = g.below(bytes.count)
                switch g.below(3) {
                case 0: bytes[i] = UInt8(truncatingIfNeeded: g.next())
                case 1: bytes.remove(at: i)
                default:
                    let insertable = Array("{}[]\",:\\0e-".utf8)
                    bytes.insert(insertable[g.below(insertable.count)], at: i)
                }
            }
            if let v = try? JSONParser.parse(bytes) {
                parsedCount += 1
                // Whatever parses must print to text that parses to the same value.
                #expect((try? JSONParser.parse(v.serialized)) == v)
            }
        }
        #expect(parsedCount > 0)
    }
}
