import Foundation

/// `$fromMillis(ms, picture, timezone)`: XPath date-time pictures (fn:format-dateTime) as the
/// reference implementation reads them.
enum DateTimePicture {
    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
    static let days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    static let defaults: [Character: String] = ["Y": "1", "M": "1", "D": "1", "d": "1", "F": "n", "W": "1", "w": "1", "X": "1", "x": "1",
                                                "H": "1", "h": "1", "P": "n", "m": "01", "s": "01", "f": "1", "Z": "01:01", "z": "01:01", "C": "n", "E": "n"]

    struct Marker {
        var component: Character
        var presentation: String
        var minWidth: Int?
        var maxWidth: Int?
        /// `,2` rather than `,2-2`: a maximum only where the picture itself has fewer digits.
        var singleWidth = false
    }

    enum Part { case literal(String), marker(Marker) }

    static func analyse(_ picture: String, function: String) throws(JSONataError) -> [Part] {
        var parts: [Part] = []
        var literal = ""
        let cs = Array(picture)
        var i = 0
        while i < cs.count {
            if cs[i] == "[" {
                if i + 1 < cs.count && cs[i + 1] == "[" {
                    literal.append("[")
                    i += 2
                    continue
                }
                guard let close = cs[i...].firstIndex(of: "]") else {
                    throw JSONataError("D3135", "No matching closing bracket ']' in date/time picture string", token: function)
                }
                if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
                let spec = String(cs[(i + 1)..<close]).filter { !$0.isWhitespace }
                guard let comp = spec.first, defaults[comp] != nil else {
                    throw JSONataError("D3132", "Unknown component specifier \(spec.first.map(String.init) ?? "") in date/time picture string", token: function)
                }
                var rest = String(spec.dropFirst())
                var minW: Int?, maxW: Int?
                var single = false
                if let comma = rest.lastIndex(of: ",") {
                    let widths = rest[rest.index(after: comma)...].split(separator: "-", omittingEmptySubsequences: false)
                    rest = String(rest[..<comma])
                    if let a = widths.first, a != "*" { minW = Int(a) }
                    if widths.count > 1 {
                        if widths[1] != "*" { maxW = Int(widths[1]) }
                    } else {
                        maxW = minW
                        single = true
                    }
                }
                if rest.isEmpty { rest = defaults[comp]! }
                parts.append(.marker(Marker(component: comp, presentation: rest, minWidth: minW, maxWidth: maxW, singleWidth: single)))
                i = close + 1
            } else if cs[i] == "]" && i + 1 < cs.count && cs[i + 1] == "]" {
                literal.append("]")
                i += 2
            } else {
                literal.append(cs[i])
                i += 1
            }
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        return parts
    }

    /// Calendar fields of an instant (UTC shifted by the offset).
    struct Fields {
        var year, month, day, hour, minute, second, milli, dayOfWeek, dayOfYear: Int  // dayOfWeek: 1 = Monday
        init(_ ms: Double) {
            let total = Int64(ms.rounded(.down))
            var secs = total / 1000
            var m = total % 1000
            if m < 0 { m += 1000; secs -= 1 }
            (year, month, day, hour, minute, second) = Dates.civil(secs)
            milli = Int(m)
            let dayNumber = Int((Double(secs) / 86_400).rounded(.down))
            dayOfWeek = ((dayNumber % 7) + 7 + 3) % 7 + 1
            dayOfYear = Int(Dates.days(year, month, day) - Dates.days(year, 1, 1)) + 1
        }
    }

    /// ISO week-numbering year and week of a date.
    static func isoWeek(_ y: Int, _ m: Int, _ d: Int) -> (year: Int, week: Int) {
        let dayNumber = Dates.days(y, m, d)
        let dow = Int(((dayNumber % 7) + 7 + 3) % 7) + 1  // Monday 1
        let thursday = dayNumber - Int64(dow) + 4
        let (ty, _, _, _, _, _) = Dates.civil(thursday * 86_400)
        let week = Int((thursday - Dates.days(ty, 1, 1)) / 7) + 1
        return (ty, week)
    }

    /// Week of the month (weeks start on Monday; a week belongs to the month holding its Thursday).
    static func monthWeek(_ y: Int, _ m: Int, _ d: Int) -> (month: Int, year: Int, week: Int) {
        let dayNumber = Dates.days(y, m, d)
        let dow = Int(((dayNumber % 7) + 7 + 3) % 7) + 1
        let thursday = dayNumber - Int64(dow) + 4
        let (ty, tm, _, _, _, _) = Dates.civil(thursday * 86_400)
        let first = Dates.days(ty, tm, 1)
        let firstDow = Int(((first % 7) + 7 + 3) % 7) + 1
        let firstThursday = first + Int64((4 - firstDow + 7) % 7)
        return (tm, ty, Int((thursday - firstThursday) / 7) + 1)
    }

    static func format(_ ms: Double, picture: String, timezone: String?) throws(JSONataError) -> String {
        var offset = 0
        if let tz = timezone, !tz.isEmpty {
            let digits = tz.filter(\.isNumber)
            let v = Int(digits) ?? 0
            offset = (tz.hasPrefix("-") ? -1 : 1) * ((v / 100) * 60 + v % 100)
        }
        let f = Fields(ms + Double(offset) * 60_000)
        var out = ""
        for part in try analyse(picture, function: "fromMillis") {
            switch part {
            case .literal(let s): out += s
            case .marker(let m): out += try render(m, f, offset: offset)
            }
        }
        return out
    }

    static func render(_ m: Marker, _ f: Fields, offset: Int) throws(JSONataError) -> String {
        let value: Int
        switch m.component {
        case "Y": value = f.year
        case "M": value = f.month
        case "D": value = f.day
        case "d": value = f.dayOfYear
        case "F": value = f.dayOfWeek
        case "W": value = isoWeek(f.year, f.month, f.day).week
        case "X": value = isoWeek(f.year, f.month, f.day).year
        case "w": value = monthWeek(f.year, f.month, f.day).week
        case "x": value = monthWeek(f.year, f.month, f.day).month
        case "H": value = f.hour
        case "h": value = f.hour % 12 == 0 ? 12 : f.hour % 12
        case "m": value = f.minute
        case "s": value = f.second
        case "f": value = f.milli
        case "P":
            let s = f.hour < 12 ? "am" : "pm"
            return m.presentation == "N" ? s.uppercased() : s
        case "C", "E": return "ISO"
        case "Z", "z": return try zone(m, offset: offset)
        default: value = 0
        }
        let p = m.presentation
        // names
        if p.hasPrefix("N") || p.hasPrefix("n") {
            var name: String
            switch m.component {
            case "M", "x": name = months[value - 1]
            case "F": name = days[value - 1]
            default: throw JSONataError("D3133", "The date/time picture string component [\(m.component)\(p)] is not supported", token: "fromMillis")
            }
            if p == "n" { name = name.lowercased() } else if p == "N" { name = name.uppercased() }
            if let max = m.maxWidth, name.count > max { name = String(name.prefix(max)) }
            return name
        }
        if m.component == "f" {
            // fractional seconds: digits after the point, as many as the picture has
            let width = max(p.filter { $0.isNumber || $0 == "#" }.count, m.minWidth ?? 1)
            var s = String(format: "%03d", value)
            if width < 3 { s = String(s.prefix(width)) } else if width > 3 { s += String(repeating: "0", count: width - 3) }
            return s
        }
        var picture = p
        // a trailing `o` asks for an ordinal (1st, first)
        if p.count > 1, p.hasSuffix("o") { picture = String(p.dropLast()) + ";o" }
        if let min = m.minWidth, picture.allSatisfy({ $0.isNumber || $0 == "#" }) {
            let digits = picture.filter(\.isNumber).count
            if digits < min { picture = String(repeating: "0", count: min - digits) + picture }
        }
        var s = try IntegerPicture(picture).format(Double(value))
        let pictureDigits = p.filter { $0.isNumber }.count
        if m.component == "Y", let max = m.maxWidth, !(m.singleWidth && pictureDigits > max), s.count > max {
            s = String(s.suffix(max))
        }
        return s
    }

    static func zone(_ m: Marker, offset: Int) throws(JSONataError) -> String {
        var p = m.presentation
        let t = p.hasSuffix("t")
        if t { p.removeLast() }
        if t && offset == 0 { return "Z" }
        let sign = offset < 0 ? "-" : "+"
        let h = abs(offset) / 60, mm = abs(offset) % 60
        var body: String
        let digits = p.filter(\.isNumber).count
        guard digits <= 4 else { throw JSONataError("D3134", "The timezone integer format specifier cannot have more than four digits", token: "fromMillis") }
        if p.contains(":") {
            let hw = p.split(separator: ":").first.map { $0.count } ?? 2
            body = String(format: "%0\(hw)d", h) + ":" + String(format: "%02d", mm)
        } else if digits > 2 {
            body = String(format: "%0\(digits - 2)d%02d", h, mm)
        } else {
            body = String(format: "%0\(max(1, digits))d", h) + (mm != 0 ? String(format: ":%02d", mm) : "")
        }
        return (m.component == "z" ? "GMT" : "") + sign + body
    }
}
