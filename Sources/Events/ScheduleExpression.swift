/// A rule's `ScheduleExpression`: `rate(5 minutes)` or AWS's six-field `cron(...)`, validated
/// as EventBridge does (singular units for 1, plural otherwise; minutes, hours or days; one of
/// day-of-month and day-of-week is `?`).
enum ScheduleExpression: Sendable, Equatable {
    case rate(seconds: Int64)
    case cron(CronFields)

    init?(_ text: String) {
        if text.hasPrefix("rate("), text.hasSuffix(")") {
            let inner = text.dropFirst(5).dropLast()
            let parts = inner.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, let n = Int64(parts[0]), n > 0, parts[0].allSatisfy(\.isNumber) else { return nil }
            let unit = String(parts[1])
            let seconds: Int64
            switch unit {
            case "minute" where n == 1, "minutes" where n > 1: seconds = 60
            case "hour" where n == 1, "hours" where n > 1: seconds = 3600
            case "day" where n == 1, "days" where n > 1: seconds = 86_400
            default: return nil
            }
            self = .rate(seconds: n * seconds)
            return
        }
        if text.hasPrefix("cron("), text.hasSuffix(")"), let fields = CronFields(String(text.dropFirst(5).dropLast())) {
            self = .cron(fields)
            return
        }
        return nil
    }
}

/// AWS's cron: minutes hours day-of-month month day-of-week year.
struct CronFields: Sendable, Equatable {
    var fields: [String]

    static let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let days = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    init?(_ text: String) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6 else { return nil }
        let (dom, dow) = (parts[2], parts[4])
        // One of day-of-month and day-of-week must be '?', not both.
        guard (dom == "?") != (dow == "?") else { return nil }
        guard Self.valid(parts[0], 0...59, names: []),
              Self.valid(parts[1], 0...23, names: []),
              dom == "?" || Self.valid(dom, 1...31, names: [], extras: ["L", "W"]),
              Self.valid(parts[3], 1...12, names: Self.months),
              dow == "?" || Self.valid(dow, 1...7, names: Self.days, extras: ["L", "#"]),
              Self.valid(parts[5], 1970...2199, names: []) else { return nil }
        fields = parts
    }

    /// A field: `*`, or comma-separated values, ranges `a-b` and steps `a/n` (`*/n`), with
    /// names (`JAN`, `MON`) and the extras a field allows (`L`, `W`, `#`).
    static func valid(_ field: String, _ range: ClosedRange<Int>, names: [String], extras: Set<Character> = []) -> Bool {
        if field == "*" { return true }
        for item in field.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { return false }
            var base = Substring(item)
            if let slash = item.firstIndex(of: "/") {
                guard let step = Int(item[item.index(after: slash)...]), step > 0 else { return false }
                base = item[..<slash]
                if base == "*" { continue }
            }
            if extras.contains("#"), let hash = base.firstIndex(of: "#") {
                guard value(base[..<hash], range, names) != nil, let n = Int(base[base.index(after: hash)...]), (1...5).contains(n) else { return false }
                continue
            }
            if extras.contains("L"), base == "L" { continue }
            if extras.contains("L"), base.hasSuffix("L"), value(base.dropLast(), range, names) != nil { continue }
            if extras.contains("W"), base.hasSuffix("W"), value(base.dropLast(), range, names) != nil { continue }
            let bounds = base.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count <= 2 else { return false }
            let values = bounds.map { value($0, range, names) }
            guard !values.contains(where: { $0 == nil }) else { return false }
            if values.count == 2, let a = values[0], let b = values[1], a > b, names.isEmpty { return false }
        }
        return true
    }

    static func value(_ text: Substring, _ range: ClosedRange<Int>, _ names: [String]) -> Int? {
        if let n = Int(text), range.contains(n) { return n }
        if let i = names.firstIndex(of: text.uppercased()) { return range.lowerBound + i }
        return nil
    }
}
