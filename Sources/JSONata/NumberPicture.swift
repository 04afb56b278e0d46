import Foundation

/// `$formatNumber(value, picture, options)`: XPath fn:format-number, as the reference
/// implementation ports it (F&O 4.7: sub-pictures, grouping, fraction sizes, exponent,
/// percent and per-mille, another digit family through `zero-digit`).
enum NumberPicture {
    struct Parts {
        var prefix: [Character], suffix: [Character], active: [Character], mantissa: [Character]
        var exponent: [Character]?, integer: [Character], fraction: [Character], sub: [Character]
    }

    struct Analysis {
        var integerGroups: [Int], regular: Int, minInteger: Int, scaling: Int, prefix: [Character]
        var fractionGroups: [Int], minFraction: Int, maxFraction: Int, minExponent: Int, suffix: [Character], picture: [Character]
    }

    static func format(_ value: Double, _ picture: String, options: JObject?) throws(JSONataError) -> String {
        var p: [String: String] = ["decimal-separator": ".", "grouping-separator": ",", "exponent-separator": "e", "infinity": "Infinity",
                                   "minus-sign": "-", "NaN": "NaN", "percent": "%", "per-mille": "\u{2030}", "zero-digit": "0",
                                   "digit": "#", "pattern-separator": ";"]
        for (k, v) in options?.entries ?? [] { if case .string(let s) = v { p[k] = s } }
        func ch(_ k: String) -> Character { p[k]!.first ?? " " }
        let zeroScalar = p["zero-digit"]!.unicodeScalars.first!.value
        let family: [Character] = (0..<10).map { Character(Unicode.Scalar(zeroScalar + UInt32($0))!) }
        let decimal = ch("decimal-separator"), grouping = ch("grouping-separator"), exponentSep = ch("exponent-separator")
        let digit = ch("digit"), patternSep = ch("pattern-separator"), percent = p["percent"]!, permille = p["per-mille"]!
        let active = Set(family + [decimal, exponentSep, grouping, digit, patternSep])
        let pic = Array(picture)
        let subs = pic.split(separator: patternSep, omittingEmptySubsequences: false).map(Array.init)
        if subs.count > 2 { throw JSONataError("D3080", "The sub-picture must not contain more than one instance of the 'pattern-separator' character", token: "formatNumber") }

        func split(_ sub: [Character]) -> Parts {
            // no active character at all: the whole sub-picture is the active part (and invalid)
            let first = sub.firstIndex { active.contains($0) && $0 != exponentSep } ?? 0
            let last = sub.lastIndex { active.contains($0) && $0 != exponentSep }
            let prefix = Array(sub[..<first])
            let suffix = last.map { Array(sub[($0 + 1)...]) } ?? []
            let activePart = Array(sub[prefix.count..<max(prefix.count, sub.count - suffix.count)])
            var mantissa = activePart
            var exponent: [Character]?
            if let e = sub[prefix.count...].firstIndex(of: exponentSep), e <= sub.count - suffix.count {
                let ei = e - prefix.count
                if ei <= activePart.count {
                    mantissa = Array(activePart[..<ei])
                    exponent = ei + 1 <= activePart.count ? Array(activePart[(ei + 1)...]) : []
                }
            }
            let integer: [Character], fraction: [Character]
            if let d = mantissa.firstIndex(of: decimal) {
                integer = Array(mantissa[..<d])
                fraction = Array(mantissa[(d + 1)...])
            } else {
                integer = mantissa
                fraction = suffix
            }
            return Parts(prefix: prefix, suffix: suffix, active: activePart, mantissa: mantissa, exponent: exponent, integer: integer, fraction: fraction, sub: sub)
        }

        func contains(_ a: [Character], _ s: String) -> Int { String(a).components(separatedBy: s).count - 1 }

        func validate(_ parts: Parts) throws(JSONataError) {
            var error: String?
            let sub = parts.sub
            if sub.filter({ $0 == decimal }).count > 1 { error = "D3081" }
            if contains(sub, percent) > 1 { error = "D3082" }
            if contains(sub, permille) > 1 { error = "D3083" }
            if contains(sub, percent) > 0 && contains(sub, permille) > 0 { error = "D3084" }
            if !parts.mantissa.contains(where: { family.contains($0) || $0 == digit }) { error = "D3085" }
            if parts.active.contains(where: { !active.contains($0) }) { error = "D3086" }
            if let d = sub.firstIndex(of: decimal) {
                if (d > 0 && sub[d - 1] == grouping) || (d + 1 < sub.count && sub[d + 1] == grouping) { error = "D3087" }
            } else if parts.integer.last == grouping {
                error = "D3088"
            }
            if String(sub).contains(String([grouping, grouping])) { error = "D3089" }
            if let o = parts.integer.firstIndex(of: digit), parts.integer[..<o].contains(where: { family.contains($0) }) { error = "D3090" }
            if let o = parts.fraction.lastIndex(of: digit), parts.fraction[o...].contains(where: { family.contains($0) }) { error = "D3091" }
            if let e = parts.exponent {
                if !e.isEmpty && (contains(sub, percent) > 0 || contains(sub, permille) > 0) { error = "D3092" }
                if e.isEmpty || e.contains(where: { !family.contains($0) }) { error = "D3093" }
            }
            if let error { throw JSONataError(error, "Invalid picture string for $formatNumber: \(picture)", token: "formatNumber") }
        }

        func groups(_ part: [Character], toLeft: Bool, of integer: [Character]) -> [Int] {
            var out: [Int] = []
            for (i, c) in part.enumerated() where c == grouping {
                let side = toLeft ? part[..<i] : part[i...]
                out.append(side.filter { family.contains($0) || $0 == digit }.count)
            }
            return out
        }

        func analyse(_ parts: Parts) -> Analysis {
            let integerGroups = groups(parts.integer, toLeft: false, of: parts.integer)
            var regular = 0
            if !integerGroups.isEmpty {
                func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
                let factor = integerGroups.reduce(integerGroups[0], gcd)
                regular = factor
                for i in 1...integerGroups.count where !integerGroups.contains(i * factor) { regular = 0 }
            }
            var minInteger = parts.integer.filter { family.contains($0) }.count
            let scaling = minInteger
            var minFraction = parts.fraction.filter { family.contains($0) }.count
            var maxFraction = parts.fraction.filter { family.contains($0) || $0 == digit }.count
            let exponentPresent = parts.exponent != nil
            if minInteger == 0 && maxFraction == 0 {
                if exponentPresent {
                    minFraction = 1
                    maxFraction = 1
                } else {
                    minInteger = 1
                }
            }
            if exponentPresent && minInteger == 0 && parts.integer.contains(digit) { minInteger = 1 }
            if minInteger == 0 && minFraction == 0 { minFraction = 1 }
            let minExponent = parts.exponent.map { $0.filter { family.contains($0) }.count } ?? 0
            return Analysis(integerGroups: integerGroups, regular: regular, minInteger: minInteger, scaling: scaling, prefix: parts.prefix,
                            fractionGroups: groups(parts.fraction, toLeft: true, of: parts.integer), minFraction: minFraction, maxFraction: maxFraction,
                            minExponent: minExponent, suffix: parts.suffix, picture: parts.sub)
        }

        let parts = subs.map(split)
        for part in parts { try validate(part) }
        var analyses = parts.map(analyse)
        if analyses.count == 1 {
            var negative = analyses[0]
            negative.prefix = Array(p["minus-sign"]!) + negative.prefix
            analyses.append(negative)
        }
        let a = value >= 0 ? analyses[0] : analyses[1]
        var adjusted = value
        if contains(a.picture, percent) > 0 { adjusted = value * 100 } else if contains(a.picture, permille) > 0 { adjusted = value * 1000 }
        var mantissa = adjusted
        var exponent: Int?
        if a.minExponent > 0 {
            let maxM = pow(10, Double(a.scaling)), minM = pow(10, Double(a.scaling - 1))
            var e = 0
            if mantissa != 0 {
                while abs(mantissa) < minM { mantissa *= 10; e -= 1 }
                while abs(mantissa) > maxM { mantissa /= 10; e += 1 }
            }
            exponent = e
        }
        let rounded = Library.roundHalfEven(mantissa, a.maxFraction)
        func digits(_ v: Double, _ dp: Int) -> [Character] {
            let s = String(format: "%.\(dp)f", abs(v))
            return s.map { c in c.isASCII && c.isNumber ? family[Int(c.asciiValue! - 48)] : c }
        }
        var s = digits(rounded, a.maxFraction)
        if let d = s.firstIndex(of: ".") { s[d] = decimal } else { s.append(decimal) }
        let zero = family[0]
        while s.first == zero { s.removeFirst() }
        while s.last == zero { s.removeLast() }
        var dpos = s.firstIndex(of: decimal)!
        let padLeft = a.minInteger - dpos
        let padRight = a.minFraction - (s.count - dpos - 1)
        if padLeft > 0 { s = Array(repeating: zero, count: padLeft) + s }
        if padRight > 0 { s += Array(repeating: zero, count: padRight) }
        dpos = s.firstIndex(of: decimal)!
        if a.regular > 0 {
            let groupCount = (dpos - 1) / a.regular
            if groupCount >= 1 {
                for g in 1...groupCount { s.insert(grouping, at: dpos - g * a.regular) }
            }
        } else {
            for pos in a.integerGroups where dpos - pos >= 0 {
                s.insert(grouping, at: dpos - pos)
                dpos += 1
            }
        }
        dpos = s.firstIndex(of: decimal)!
        for pos in a.fractionGroups where pos + dpos + 1 <= s.count { s.insert(grouping, at: pos + dpos + 1) }
        dpos = s.firstIndex(of: decimal)!
        if a.maxFraction == 0 || dpos == s.count - 1 { s.removeLast() }
        if let exponent {
            var e = digits(Double(exponent), 0)
            if a.minExponent > e.count { e = Array(repeating: zero, count: a.minExponent - e.count) + e }
            s += [exponentSep] + (exponent < 0 ? Array(p["minus-sign"]!) : []) + e
        }
        return String(a.prefix + s + a.suffix)
    }
}
