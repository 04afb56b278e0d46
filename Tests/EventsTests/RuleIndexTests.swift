import StatesLanguage
import Testing
@testable import Events

/// The index answers exactly what checking every rule answers, whatever the rules' kinds.
@Suite struct RuleIndexTests {
    /// A small deterministic generator (tests never depend on the system's randomness).
    struct Generator {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
    }

    static func pattern(_ i: Int, _ g: inout Generator) -> String {
        let source = #""source":["svc-\#(g.next(20))"]"#
        let kinds = [
            #"{\#(source)}"#,
            #"{\#(source),"detail":{"state":["s\#(g.next(5))"]}}"#,
            #"{"detail":{"name":[{"prefix":"n\#(g.next(5))"}]}}"#,
            #"{"detail":{"file":[{"suffix":".t\#(g.next(5))"}]}}"#,
            #"{"detail":{"amount":[{"numeric":[">",\#(g.next(100))]}]}}"#,
            #"{\#(source),"detail":{"state":[{"anything-but":"s\#(g.next(5))"}]}}"#,
            #"{"detail":{"flag":[{"exists":\#(g.next(2) == 0)}]}}"#,
            #"{"detail":{"name":[{"wildcard":"n\#(g.next(5))*x"}]}}"#,
            #"{"detail":{"state":[{"equals-ignore-case":"S\#(g.next(5))"}]}}"#,
            #"{"detail":{"name":[{"prefix":"né"}]}}"#,
            #"{"detail.state":["s\#(g.next(5))"]}"#,
            #"{"$or":[{\#(source)},{"detail":{"state":["s\#(g.next(5))"]}}]}"#,
        ]
        return kinds[i % kinds.count]
    }

    static func event(_ g: inout Generator) -> JSON {
        var detail: JSONObject = ["state": .string("s\(g.next(6))"), "name": .string(g.next(4) == 0 ? "née" : "n\(g.next(6))abcx"), "file": .string("f.t\(g.next(6))"),
                                  "amount": .int(Int64(g.next(120)))]
        if g.next(2) == 0 { detail["flag"] = true }
        return ["id": "1", "source": .string("svc-\(g.next(25))"), "detail-type": "d", "account": "1", "region": "r", "time": "t",
                "detail": .object(detail)]
    }

    @Test func indexedMatchingEqualsCheckingEveryRule() throws {
        var g = Generator(state: 42)
        var index = RuleIndex()
        var all: [EventPattern] = []
        for i in 0..<400 {
            let p = try EventPattern(text: Self.pattern(i, &g))
            index.add(p)
            all.append(p)
        }
        var matched = 0
        for _ in 0..<300 {
            let e = Self.event(&g)
            let expected = all.indices.filter { all[$0].matches(e) }
            #expect(index.matches(e) == expected)
            matched += expected.count
        }
        // The rules and events are built to match often: the comparison is not vacuous.
        #expect(matched > 1000)
    }
}
