import Foundation
import StatesLanguage

/// $fromMillis / $toMillis: ISO 8601 both ways, and the common picture components.
enum Dates {
    static func iso(_ ms: Double) -> String { Timestamp(milliseconds: Int64(ms.rounded(.down))).iso8601 }

    /// Seconds since the epoch to UTC calendar fields (the civil calendar `Timestamp` uses).
    static func civil(_ secs: Int64) -> (Int, Int, Int, Int, Int, Int) {
        var days = secs / 86_400
        var rem = secs % 86_400
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        let (y, m, d) = Timestamp.civilFromDays(Int(days))
        return (y, m, d, Int(rem / 3600), Int(rem % 3600 / 60), Int(rem % 60))
    }

    static func days(_ y: Int, _ m: Int, _ d: Int) -> Int64 { Int64(Timestamp.daysFromCivil(year: y, month: m, day: d)) }

    static func parseISO(_ s: String) -> Double? {
        let pattern = #"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?)?)?(Z|[+-]\d{2}:?\d{2})?$"#
        guard let re = try? NSRegularExpression(pattern: pattern), let m = re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) else { return nil }
        func group(_ i: Int) -> String? {
            guard let r = Range(m.range(at: i), in: s) else { return nil }
            return String(s[r])
        }
        let y = Int(group(1)!)!
        let mo = Int(group(2) ?? "1")!, d = Int(group(3) ?? "1")!
        let h = Int(group(4) ?? "0")!, mi = Int(group(5) ?? "0")!, sec = Int(group(6) ?? "0")!
        var frac = 0.0
        if let f = group(7) { frac = Double("0." + f) ?? 0 }
        var offset = 0
        if let z = group(8), z != "Z" {
            let sign = z.hasPrefix("-") ? -1 : 1
            let digits = z.dropFirst().replacingOccurrences(of: ":", with: "")
            offset = sign * ((Int(digits.prefix(2)) ?? 0) * 60 + (Int(digits.suffix(2)) ?? 0))
        }
        let secs = days(y, mo, d) * 86_400 + Int64(h * 3600 + mi * 60 + sec) - Int64(offset * 60)
        return Double(secs) * 1000 + (frac * 1000).rounded()
    }

    /// `$toMillis(text, picture)`: reads the components the picture names, in order.
    static func parse(_ s: String, picture: String, now: Double) throws(JSONataError) -> Double? {
        let parts = try DateTimePicture.analyse(picture, function: "toMillis")
        try checkSpecified(parts)
        var regex = "^"
        var markers: [DateTimePicture.Marker] = []
        for (i, part) in parts.enumerated() {
            switch part {
            case .literal(let l):
                regex += NSRegularExpression.escapedPattern(for: l)
            case .marker(let m):
                let adjacent = i + 1 < parts.count && { if case .marker = parts[i + 1] { return true }; return false }()
                regex += "(" + pattern(m, adjacent: adjacent) + ")"
                markers.append(m)
            }
        }
        regex += "$"
        guard !markers.isEmpty else { return nil }
        guard let re = try? NSRegularExpression(pattern: regex),
              let match = re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) else { return nil }
        var v: [Character: Int] = [:]
        var pm: Bool?
        var offset = 0
        for (n, m) in markers.enumerated() {
            guard let r = Range(match.range(at: n + 1), in: s) else { continue }
            let text = String(s[r])
            switch m.component {
            case "P": pm = text.lowercased() == "pm"
            case "f":
                // a fraction of a second, however many digits: truncated to milliseconds
                v["f"] = Int(((Double("0." + text) ?? 0) * 1000).rounded(.down))
            case "Z", "z":
                if text != "Z" {
                    let digits = text.filter(\.isNumber)
                    let hv = digits.count <= 2 ? Int(digits) ?? 0 : Int(digits.prefix(digits.count - 2)) ?? 0
                    let mv = digits.count <= 2 ? 0 : Int(digits.suffix(2)) ?? 0
                    offset = (text.contains("-") ? -1 : 1) * (hv * 60 + mv)
                }
            default:
                let p = m.presentation
                if p.hasPrefix("N") || p.hasPrefix("n") {
                    let names = m.component == "F" ? DateTimePicture.days : DateTimePicture.months
                    if let idx = names.firstIndex(where: { $0.lowercased().hasPrefix(text.lowercased()) }) { v[m.component] = idx + 1 }
                } else {
                    var picture = p
                    if p.count > 1, p.hasSuffix("o") { picture = String(p.dropLast()) + ";o" }
                    if let value = try IntegerPicture(picture).parse(text) { v[m.component] = Int(value) }
                }
            }
        }
        var day: Int64
        if v["Y"] == nil && v["M"] == nil && v["D"] == nil && v["d"] == nil {
            // a time of day alone is today's
            day = Int64((now / 86_400_000).rounded(.down))
        } else {
            let year = v["Y"] ?? 1970
            if let d = v["d"] {
                day = days(year, 1, 1) + Int64(d - 1)
            } else {
                day = days(year, v["M"] ?? 1, v["D"] ?? 1)
            }
        }
        var hour = v["H"] ?? 0
        if let h = v["h"] { hour = h % 12 + (pm == true ? 12 : 0) }
        let minutes: Int = v["m"] ?? 0
        let secs: Int = v["s"] ?? 0
        let clock: Int = hour * 3600 + minutes * 60 + secs - offset * 60
        let seconds = Int64(clock)
        day = day * 86_400 + seconds
        return Double(day) * 1000 + Double(v["f"] ?? 0)
    }

    /// The components must run without gaps from the largest to the smallest (a year and a day
    /// with no month cannot be read), and week-based dates cannot be read at all.
    static func checkSpecified(_ parts: [DateTimePicture.Part]) throws(JSONataError) {
        var present = Set<Character>()
        for case .marker(let m) in parts {
            if m.component == "Y" && (m.presentation.hasPrefix("N") || m.presentation.hasPrefix("n")) {
                throw JSONataError("D3133", "The date/time picture string component [Y\(m.presentation)] is not supported", token: "toMillis")
            }
            present.insert(m.component == "h" ? "H" : m.component)
        }
        let underspecified = JSONataError("D3136", "The date/time picture string is missing specifiers required to parse the timestamp", token: "toMillis")
        if !present.isDisjoint(with: ["X", "x", "W", "w"]) { throw underspecified }
        let order: [Character] = present.contains("d") ? ["Y", "d", "H", "m", "s", "f"] : ["Y", "M", "D", "H", "m", "s", "f"]
        let indexes = order.indices.filter { present.contains(order[$0]) }
        if let first = indexes.first, let last = indexes.last, indexes.count != last - first + 1 { throw underspecified }
    }

    static func pattern(_ m: DateTimePicture.Marker, adjacent: Bool) -> String {
        let p = m.presentation
        switch m.component {
        case "P": return "[aApP][mM]"
        case "Z", "z": return "Z|(?:GMT)?[+-][0-9]{1,2}(?::?[0-9]{2})?"
        default: break
        }
        if p.hasPrefix("N") || p.hasPrefix("n") { return "[A-Za-z]+" }
        switch p {
        case "I", "i": return "[IVXLCDMivxlcdm]+"
        case "A", "a": return "[A-Za-z]+"
        case "w", "W", "Ww", "wo", "Wo", "Wwo": return "[A-Za-z][A-Za-z, -]*?"
        default: break
        }
        let ordinal = p.count > 1 && p.hasSuffix("o")
        let digits = p.filter { $0.isNumber }.count
        var body: String
        if let max = m.maxWidth, !m.singleWidth {
            body = "[0-9]{\(m.minWidth ?? 1),\(max)}"
        } else if adjacent && digits > 0 {
            body = "[0-9]{\(digits)}"
        } else {
            body = "[0-9]+"
        }
        if p.contains(",") { body = "[0-9,]+" }
        return ordinal ? body + "(?:st|nd|rd|th)" : body
    }
}

/// java.util.Random, for AWS's seeded `$random(seed)`.
struct JavaRandom {
    var seed: Int64
    init(seed: Int64) { self.seed = (seed ^ 0x5DEECE66D) & ((1 << 48) - 1) }
    mutating func next(_ bits: Int) -> Int64 {
        seed = (seed &* 0x5DEECE66D &+ 0xB) & ((1 << 48) - 1)
        return Int64(Int32(truncatingIfNeeded: seed >> (48 - bits)))
    }
    mutating func nextDouble() -> Double {
        let hi = next(26) & ((1 << 26) - 1)
        let lo = next(27) & ((1 << 27) - 1)
        return Double((hi << 27) + lo) * 0x1.0p-53
    }
}
