import Foundation

/// `$formatInteger` / `$parseInteger` pictures (XPath fn:format-integer): decimal digit
/// patterns with grouping and any Unicode digit family, roman numerals, letters, words, ordinals.
struct IntegerPicture {
    enum Kind { case decimal, roman(upper: Bool), letters(upper: Bool), words(WordCase) }
    enum WordCase { case lower, upper, title }

    var kind: Kind
    var ordinal = false
    /// Decimal pictures: the zero of the digit family, the mandatory digit count, separators
    /// (position from the right, character) and whether they repeat regularly.
    var zero: UInt32 = 48
    var mandatory = 0
    var separators: [(Int, Character)] = []
    var regular = 0

    init(_ picture: String) throws(JSONataError) {
        var primary = picture
        if let semi = picture.lastIndex(of: ";") {
            let modifier = picture[picture.index(after: semi)...]
            ordinal = modifier.hasPrefix("o")
            primary = String(picture[..<semi])
        }
        switch primary {
        case "I": kind = .roman(upper: true)
        case "i": kind = .roman(upper: false)
        case "A": kind = .letters(upper: true)
        case "a": kind = .letters(upper: false)
        case "W": kind = .words(.upper)
        case "w": kind = .words(.lower)
        case "Ww": kind = .words(.title)
        default:
            kind = .decimal
            var family: UInt32?
            var digitsSeen = 0
            var seps: [(Int, Character)] = []
            for c in primary.unicodeScalars.reversed() {
                if c == "#" {
                    digitsSeen += 1
                } else if let z = Self.zeroOf(c) {
                    if let f = family, f != z {
                        throw JSONataError("D3131", "In a decimal digit pattern, all digits must be from the same decimal group", token: "formatInteger")
                    }
                    family = z
                    digitsSeen += 1
                    mandatory += 1
                } else if c.properties.isAlphabetic {
                    throw JSONataError("D3130", "Formatting or parsing an integer as a sequence starting with \(c) is not supported by this implementation",
                                       token: "formatInteger")
                } else {
                    seps.append((digitsSeen, Character(c)))
                }
            }
            guard mandatory > 0 else {
                throw JSONataError("D3130", "A decimal digit pattern must contain at least one mandatory digit: \(primary)", token: "formatInteger")
            }
            zero = family ?? 48
            separators = seps
            if let first = seps.first, seps.allSatisfy({ $0.1 == first.1 }), seps.enumerated().allSatisfy({ $0.element.0 == first.0 * ($0.offset + 1) }) {
                regular = first.0
            }
        }
    }

    /// The zero of the Unicode decimal digit family `c` belongs to.
    static func zeroOf(_ c: Unicode.Scalar) -> UInt32? {
        guard c.properties.numericType == .decimal, let v = c.properties.numericValue else { return nil }
        return c.value - UInt32(v)
    }

    static let few = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
                      "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
    static let ordinals = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
                           "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth"]
    static let decades = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    static let magnitudes = ["thousand", "million", "billion", "trillion"]

    func format(_ number: Double) -> String {
        let negative = number < 0
        let n = abs(number).clampedInt
        var out: String
        switch kind {
        case .roman(let upper):
            out = Self.roman(n)
            if !upper { out = out.lowercased() }
        case .letters(let upper):
            out = Self.letters(n, upper: upper)
        case .words(let c):
            let w = Self.words(abs(number).rounded(.down), ordinal: ordinal)
            switch c {
            case .lower: out = w
            case .upper: out = w.uppercased()
            case .title: out = w.split(separator: " ", omittingEmptySubsequences: false).map { word in
                word == "and" ? "and" : word.split(separator: "-", omittingEmptySubsequences: false).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: "-")
            }.joined(separator: " ")
            }
        case .decimal:
            var digits = Array(String(n).unicodeScalars)
            while digits.count < mandatory { digits.insert("0", at: 0) }
            var chars = digits.map { Character(Unicode.Scalar(zero + ($0.value - 48))!) }
            if regular > 0 {
                var i = chars.count - regular
                while i > 0 {
                    chars.insert(separators[0].1, at: i)
                    i -= regular
                }
            } else {
                for (pos, sep) in separators where pos < digits.count {
                    chars.insert(sep, at: chars.count - pos - separators.filter { $0.0 < pos && $0.0 < digits.count }.count)
                }
            }
            out = String(chars)
            if ordinal {
                let last = n % 10, last2 = n % 100
                out += last == 1 && last2 != 11 ? "st" : last == 2 && last2 != 12 ? "nd" : last == 3 && last2 != 13 ? "rd" : "th"
            }
        }
        return negative ? "-" + out : out
    }

    static func roman(_ n: Int) -> String {
        let table: [(Int, String)] = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
                                      (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
        var n = n
        var out = ""
        for (v, s) in table {
            while n >= v {
                out += s
                n -= v
            }
        }
        return out
    }

    static func letters(_ n: Int, upper: Bool) -> String {
        var n = n
        var out: [Character] = []
        let base: UInt32 = upper ? 65 : 97
        while n > 0 {
            n -= 1
            out.insert(Character(Unicode.Scalar(base + UInt32(n % 26))!), at: 0)
            n /= 26
        }
        return String(out)
    }

    /// Words in Double arithmetic: numbers past 10^18 ("ten billion trillion trillion trillion") too.
    static func words(_ n: Double, ordinal: Bool) -> String {
        func lookup(_ num: Double, _ prev: Bool, _ ord: Bool) -> String {
            if num <= 19 { return (prev ? " and " : "") + (ord ? ordinals[Int(num)] : few[Int(num)]) }
            if num < 100 {
                let tens = Int(num) / 10, units = Int(num) % 10
                var w = (prev ? " and " : "") + decades[tens - 2]
                if units > 0 {
                    w += "-" + lookup(Double(units), false, ord)
                } else if ord {
                    w = String(w.dropLast()) + "ieth"
                }
                return w
            }
            if num < 1000 {
                let rest = Double(Int(num) % 100)
                var w = (prev ? ", " : "") + few[Int(num) / 100] + " hundred"
                if rest > 0 { w += lookup(rest, true, ord) } else if ord { w += "th" }
                return w
            }
            var mag = Int((log10(num) / 3).rounded(.down))
            mag = min(mag, magnitudes.count)
            let factor = pow(10, Double(mag * 3))
            let mant = (num / factor).rounded(.down)
            let rest = num - mant * factor
            var w = (prev ? ", " : "") + lookup(mant, false, false) + " " + magnitudes[mag - 1]
            if rest > 0 { w += lookup(rest, true, ord) } else if ord { w += "th" }
            return w
        }
        return lookup(n, false, ordinal)
    }

    func parse(_ text: String) -> Double? {
        switch kind {
        case .roman:
            let values: [Character: Int] = ["I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000]
            let vs = text.uppercased().compactMap { values[$0] }
            var total = 0
            for (i, v) in vs.enumerated() { total += i + 1 < vs.count && vs[i + 1] > v ? -v : v }
            return Double(total)
        case .letters:
            var total = 0.0
            for c in text.lowercased().unicodeScalars where c.value >= 97 && c.value <= 122 { total = total * 26 + Double(c.value - 96) }
            return total
        case .words:
            var values: [String: Double] = [:]
            for (i, w) in Self.few.enumerated() { values[w] = Double(i) }
            for (i, w) in Self.ordinals.enumerated() { values[w] = Double(i) }
            for (i, w) in Self.decades.enumerated() {
                values[w] = Double((i + 2) * 10)
                values[String(w.dropLast()) + "ieth"] = Double((i + 2) * 10)
            }
            values["hundred"] = 100
            values["hundredth"] = 100
            for (i, w) in Self.magnitudes.enumerated() {
                let v = pow(10, Double((i + 1) * 3))
                values[w] = v
                values[w + "th"] = v
            }
            let lowered = text.lowercased().replacingOccurrences(of: ", ", with: " ").replacingOccurrences(of: " and ", with: " ")
            let parts = lowered.split(whereSeparator: { $0 == " " || $0 == "-" }).map(String.init)
            var segs: [Double] = [0]
            for p in parts {
                guard let v = values[p] else { continue }
                if v < 100 {
                    var top = segs.removeLast()
                    if top >= 1000 {
                        segs.append(top)
                        top = 0
                    }
                    segs.append(top + v)
                } else {
                    segs.append(segs.removeLast() * v)
                }
            }
            return segs.reduce(0, +)
        case .decimal:
            var digits = ""
            for c in text.unicodeScalars {
                if let z = Self.zeroOf(c) { digits.unicodeScalars.append(Unicode.Scalar(48 + c.value - z)!) }
            }
            return Double(digits)
        }
    }
}
