/// A DynamoDB number: a decimal of up to 38 significant digits, magnitude between 1E-130 and
/// 9.9999999999999999999999999999999999999E+125, exact (no binary floating point anywhere).
///
/// Kept normalised: `digits` has no leading or trailing zeros (empty for zero) and the value
/// is 0.d1d2…dn × 10^exponent. AWS answers numbers in this normal form ("1.50" comes back "1.5").
struct DynamoNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    var negative: Bool
    var digits: [UInt8]
    var exponent: Int

    static let zero = DynamoNumber(negative: false, digits: [], exponent: 0)
    static let maximumDigits = 38

    enum Problem: Error, Equatable {
        case notANumber
        case tooPrecise
        case overflow
        case underflow

        /// AWS's wording for each.
        var message: String {
            switch self {
            case .notANumber: "The parameter cannot be converted to a numeric value"
            case .tooPrecise: "Attempting to store more than 38 significant digits in a Number"
            case .overflow: "Number overflow. Attempting to store a number with magnitude larger than supported range"
            case .underflow: "Number underflow. Attempting to store a number with magnitude smaller than supported range"
            }
        }
    }

    init(negative: Bool, digits: [UInt8], exponent: Int) {
        self.negative = negative
        self.digits = digits
        self.exponent = exponent
    }

    /// Parses AWS's number text: an optional sign, digits with an optional point, an optional
    /// exponent. Leading and trailing zeros are not significant.
    init(parsing text: String) throws(Problem) {
        var bytes = Array(text.utf8)[...]
        // DynamoDB accepts surrounding spaces in a number's text.
        while bytes.first == 32 { bytes = bytes.dropFirst() }
        while bytes.last == 32 { bytes = bytes.dropLast() }
        var negative = false
        if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") {
            negative = bytes.first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var mantissa: [UInt8] = []
        var pointAt: Int?
        var sawDigit = false
        var exponent = 0
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let c = bytes[i]
            if c >= 48 && c <= 57 {
                mantissa.append(c - 48)
                sawDigit = true
            } else if c == UInt8(ascii: "."), pointAt == nil {
                pointAt = mantissa.count
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                guard sawDigit else { throw .notANumber }
                var j = bytes.index(after: i)
                var expNegative = false
                if j < bytes.endIndex, bytes[j] == UInt8(ascii: "-") || bytes[j] == UInt8(ascii: "+") {
                    expNegative = bytes[j] == UInt8(ascii: "-")
                    j = bytes.index(after: j)
                }
                guard j < bytes.endIndex else { throw .notANumber }
                var e = 0
                while j < bytes.endIndex {
                    let d = bytes[j]
                    guard d >= 48 && d <= 57 else { throw .notANumber }
                    if e < 100_000 { e = e * 10 + Int(d - 48) }
                    j = bytes.index(after: j)
                }
                exponent = expNegative ? -e : e
                i = bytes.endIndex
                break
            } else {
                throw .notANumber
            }
            i = bytes.index(after: i)
        }
        guard sawDigit else { throw .notANumber }
        // value = 0.mantissa × 10^(pointAt + exponent)
        var e = (pointAt ?? mantissa.count) + exponent
        var start = 0
        while start < mantissa.count && mantissa[start] == 0 {
            start += 1
            e -= 1
        }
        var end = mantissa.count
        while end > start && mantissa[end - 1] == 0 { end -= 1 }
        let significant = Array(mantissa[start..<end])
        if significant.isEmpty {
            self = .zero
            return
        }
        try self.init(checking: DynamoNumber(negative: negative, digits: significant, exponent: e))
    }

    /// The value, refused when outside DynamoDB's precision or range.
    init(checking n: DynamoNumber) throws(Problem) {
        if n.digits.isEmpty {
            self = .zero
            return
        }
        guard n.digits.count <= Self.maximumDigits else { throw .tooPrecise }
        // Largest: 9.99…E+125 = 0.999… × 10^126. Smallest: 1E-130 = 0.1 × 10^-129.
        guard n.exponent <= 126 else { throw .overflow }
        guard n.exponent >= -129 else { throw .underflow }
        self = n
    }

    var isZero: Bool { digits.isEmpty }

    /// Plain decimal text, as DynamoDB answers it (no exponent).
    var description: String {
        if digits.isEmpty { return "0" }
        var out: [UInt8] = negative ? [UInt8(ascii: "-")] : []
        if exponent <= 0 {
            out += [48, UInt8(ascii: ".")]
            out += [UInt8](repeating: 48, count: -exponent)
            out += digits.map { $0 + 48 }
        } else if exponent >= digits.count {
            out += digits.map { $0 + 48 }
            out += [UInt8](repeating: 48, count: exponent - digits.count)
        } else {
            out += digits[..<exponent].map { $0 + 48 }
            out.append(UInt8(ascii: "."))
            out += digits[exponent...].map { $0 + 48 }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes AWS's item size rule counts: one per two significant digits, plus one.
    var storageSize: Int { (digits.count + 1) / 2 + 1 }

    // MARK: order

    static func < (a: DynamoNumber, b: DynamoNumber) -> Bool { compare(a, b) < 0 }

    static func compare(_ a: DynamoNumber, _ b: DynamoNumber) -> Int {
        let sa = a.isZero ? 0 : (a.negative ? -1 : 1)
        let sb = b.isZero ? 0 : (b.negative ? -1 : 1)
        if sa != sb { return sa < sb ? -1 : 1 }
        if sa == 0 { return 0 }
        let magnitude = compareMagnitude(a, b)
        return sa > 0 ? magnitude : -magnitude
    }

    static func compareMagnitude(_ a: DynamoNumber, _ b: DynamoNumber) -> Int {
        if a.exponent != b.exponent { return a.exponent < b.exponent ? -1 : 1 }
        for (x, y) in zip(a.digits, b.digits) where x != y { return x < y ? -1 : 1 }
        if a.digits.count != b.digits.count { return a.digits.count < b.digits.count ? -1 : 1 }
        return 0
    }

    /// Bytes whose memcmp order is the numbers' order: a sort key compared by SQLite.
    /// Negative `0x01`, zero `0x02`, positive `0x03`; then the exponent biased into two bytes
    /// and the digits, both complemented for negatives (with a terminator above any
    /// complemented digit, so that a shorter negative, larger, sorts after its extensions).
    var orderedBytes: [UInt8] {
        if isZero { return [0x02] }
        let biased = UInt16(exponent + 1024)
        if !negative {
            return [0x03, UInt8(biased >> 8), UInt8(biased & 0xFF)] + digits.map { $0 + 1 }
        }
        let inverted = ~biased
        return [0x01, UInt8(inverted >> 8), UInt8(inverted & 0xFF)] + digits.map { 10 - $0 } + [11]
    }

    // MARK: arithmetic (SET a = b + c, ADD)

    /// The digits as an integer times a power of ten: value = integer × 10^scale.
    private var scaled: (digits: [UInt8], scale: Int) { (digits, exponent - digits.count) }

    static func + (a: DynamoNumber, b: DynamoNumber) -> DynamoNumber {
        if a.isZero { return b }
        if b.isZero { return a }
        let (da, sa) = a.scaled
        let (db, sb) = b.scaled
        let scale = min(sa, sb)
        let xa = da + [UInt8](repeating: 0, count: sa - scale)
        let xb = db + [UInt8](repeating: 0, count: sb - scale)
        let sum: [UInt8]
        let negative: Bool
        if a.negative == b.negative {
            sum = addDigits(xa, xb)
            negative = a.negative
        } else if compareDigits(xa, xb) >= 0 {
            sum = subtractDigits(xa, xb)
            negative = a.negative
        } else {
            sum = subtractDigits(xb, xa)
            negative = b.negative
        }
        return normalise(negative: negative, integer: sum, scale: scale)
    }

    static prefix func - (a: DynamoNumber) -> DynamoNumber {
        a.isZero ? a : DynamoNumber(negative: !a.negative, digits: a.digits, exponent: a.exponent)
    }

    static func - (a: DynamoNumber, b: DynamoNumber) -> DynamoNumber { a + (-b) }

    private static func normalise(negative: Bool, integer: [UInt8], scale: Int) -> DynamoNumber {
        var start = 0
        while start < integer.count && integer[start] == 0 { start += 1 }
        var end = integer.count
        while end > start && integer[end - 1] == 0 { end -= 1 }
        if start == end { return .zero }
        // 0.d… × 10^e = integer × 10^scale, the integer having `integer.count - start` digits.
        return DynamoNumber(negative: negative, digits: Array(integer[start..<end]), exponent: integer.count - start + scale)
    }

    private static func compareDigits(_ a: [UInt8], _ b: [UInt8]) -> Int {
        let a = Array(a.drop(while: { $0 == 0 }))
        let b = Array(b.drop(while: { $0 == 0 }))
        if a.count != b.count { return a.count < b.count ? -1 : 1 }
        for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
        return 0
    }

    private static func addDigits(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max(a.count, b.count) + 1)
        var carry: UInt8 = 0
        var i = a.count - 1
        var j = b.count - 1
        var k = out.count - 1
        while k >= 0 {
            var s = carry
            if i >= 0 { s += a[i] }
            if j >= 0 { s += b[j] }
            out[k] = s % 10
            carry = s / 10
            i -= 1
            j -= 1
            k -= 1
        }
        return out
    }

    /// a - b for a ≥ b.
    private static func subtractDigits(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var out = a
        var borrow: Int = 0
        var j = b.count - 1
        var i = out.count - 1
        while i >= 0 {
            var d = Int(out[i]) - borrow - (j >= 0 ? Int(b[j]) : 0)
            if d < 0 {
                d += 10
                borrow = 1
            } else {
                borrow = 0
            }
            out[i] = UInt8(d)
            i -= 1
            j -= 1
        }
        return out
    }
}
