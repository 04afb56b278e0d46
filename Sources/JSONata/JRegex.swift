/// A regular expression literal (`/pattern/flags`), run by Swift's Regex engine.
final class JRegex {
    let regex: Regex<AnyRegexOutput>
    let pattern: String

    init(_ token: String, position: Int) throws(JSONataError) {
        let parts = token.split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
        pattern = String(parts[0])
        let flags = parts.count > 1 ? String(parts[1]) : ""
        do {
            var r = try Regex(pattern)
            if flags.contains("i") { r = r.ignoresCase() }
            if flags.contains("m") { r = r.anchorsMatchLineEndings() }
            regex = r
        } catch {
            throw JSONataError("S0302", "Invalid regular expression /\(pattern)/: \(error)", position: position)
        }
    }

    struct Match {
        var text: String
        var start: Int
        var end: Int
        var groups: [String]
        var range: Range<String.Index>
    }

    /// Every non-overlapping match, positions in Unicode scalars.
    func matches(_ s: String) throws(JSONataError) -> [Match] {
        var out: [Match] = []
        for m in s.matches(of: regex) {
            if m.range.isEmpty {
                throw JSONataError("D1004", "Regular expression matches zero length string", token: pattern)
            }
            var groups: [String] = []
            for i in 1..<max(1, m.output.count) {
                groups.append(m.output[i].substring.map(String.init) ?? "")
            }
            let start = s.unicodeScalars.distance(from: s.unicodeScalars.startIndex, to: m.range.lowerBound)
            let text = String(s[m.range])
            out.append(Match(text: text, start: start, end: start + text.unicodeScalars.count, groups: groups, range: m.range))
        }
        return out
    }

    /// What calling the regex directly returns: `{match, start, end, groups, next()}`.
    func matchObject(_ s: String, from: Int) -> JValue? {
        guard let all = try? matches(s) else { return nil }
        let rest = all.filter { $0.start >= from }
        return Self.object(rest[...], in: s, regex: self)
    }

    static func object(_ ms: ArraySlice<Match>, in s: String, regex: JRegex) -> JValue? {
        guard let m = ms.first else { return nil }
        let o = JObject()
        o["match"] = .string(m.text)
        o["start"] = .number(Double(m.start))
        o["end"] = .number(Double(m.end))
        o["groups"] = .arr(m.groups.map { .string($0) })
        let remaining = ms.dropFirst()
        o["next"] = .function(JFunction(.native(name: "next", arity: 0) { (_, _) in
            object(remaining, in: s, regex: regex)
        }))
        return .object(o)
    }
}
