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

extension ScheduleExpression {
    /// The first occurrence strictly after `after` (epoch milliseconds, UTC). A rate counts from
    /// `anchor` (when the rule got its schedule); a cron looks ahead at most five years.
    func next(after: Int64, anchor: Int64) -> Int64? {
        switch self {
        case .rate(let seconds):
            let period = seconds * 1000
            guard after >= anchor else { return anchor + period }
            return anchor + ((after - anchor) / period + 1) * period
        case .cron(let fields):
            return fields.next(after: after)
        }
    }
}

extension CronFields {
    /// Walks minute by minute from the next whole minute (days that cannot match are skipped whole).
    func next(after: Int64) -> Int64? {
        var minute = (after / 60_000 + 1) * 60_000
        let limit = after + 5 * 366 * 86_400_000
        while minute <= limit {
            let c = Civil(millis: minute)
            if !dayMatches(c) {
                minute = (minute / 86_400_000 + 1) * 86_400_000
                continue
            }
            if Self.matches(fields[1], c.hour, 0...23, []) && Self.matches(fields[0], c.minute, 0...59, []) { return minute }
            minute += 60_000
        }
        return nil
    }

    func dayMatches(_ c: Civil) -> Bool {
        guard Self.matches(fields[5], c.year, 1970...2199, []), Self.matches(fields[3], c.month, 1...12, Self.months) else { return false }
        let dom = fields[2], dow = fields[4]
        if dom != "?" { return Self.dayOfMonthMatches(dom, c) }
        return Self.dayOfWeekMatches(dow, c)
    }

    static func matches(_ field: String, _ value: Int, _ range: ClosedRange<Int>, _ names: [String]) -> Bool {
        if field == "*" { return true }
        for item in field.split(separator: ",") {
            var base = Substring(item)
            var step = 1
            if let slash = item.firstIndex(of: "/") {
                step = Int(item[item.index(after: slash)...]) ?? 1
                base = item[..<slash]
            }
            var low = range.lowerBound, high = range.upperBound
            if base != "*" {
                let bounds = base.split(separator: "-")
                guard let a = Self.value(bounds[0], range, names) else { continue }
                low = a
                high = bounds.count == 2 ? (Self.value(bounds[1], range, names) ?? a) : (step > 1 ? range.upperBound : a)
            }
            if value >= low, value <= high, (value - low) % step == 0 { return true }
        }
        return false
    }

    static func dayOfMonthMatches(_ field: String, _ c: Civil) -> Bool {
        let last = Civil.daysIn(month: c.month, year: c.year)
        if field == "L" { return c.day == last }
        if field.hasSuffix("W"), let target = Int(field.dropLast()) {
            // The weekday nearest the given day, within the month.
            let day = min(target, last)
            let weekday = Civil(year: c.year, month: c.month, day: day).weekday
            var nearest = day
            if weekday == 7 { nearest = day == 1 ? 3 : day - 1 }
            if weekday == 1 { nearest = day == last ? day - 2 : day + 1 }
            return c.day == nearest
        }
        return matches(field, c.day, 1...31, [])
    }

    static func dayOfWeekMatches(_ field: String, _ c: Civil) -> Bool {
        let last = Civil.daysIn(month: c.month, year: c.year)
        for item in field.split(separator: ",") {
            if let hash = item.firstIndex(of: "#"), let d = value(item[..<hash], 1...7, days), let n = Int(item[item.index(after: hash)...]) {
                if c.weekday == d && (c.day - 1) / 7 + 1 == n { return true }
                continue
            }
            if item == "L" { if c.weekday == 7 { return true }; continue }
            if item.hasSuffix("L"), let d = value(item.dropLast(), 1...7, days) {
                if c.weekday == d && c.day + 7 > last { return true }
                continue
            }
            if matches(String(item), c.weekday, 1...7, days) { return true }
        }
        return false
    }
}

/// A UTC calendar date and time from epoch milliseconds (weekday 1 = Sunday, as AWS's cron counts).
struct Civil {
    var year: Int, month: Int, day: Int, hour: Int, minute: Int

    init(millis: Int64) {
        let days = Int(millis / 86_400_000)
        let rest = Int(millis % 86_400_000) / 60_000
        (year, month, day) = Civil.fromDays(days)
        hour = rest / 60
        minute = rest % 60
    }

    init(year: Int, month: Int, day: Int) {
        (self.year, self.month, self.day, hour, minute) = (year, month, day, 0, 0)
    }

    var weekday: Int { ((Civil.toDays(year, month, day) % 7) + 11) % 7 + 1 }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Howard Hinnant's civil-from-days.
    static func fromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func toDays(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
