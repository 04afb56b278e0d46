extension JSON {
    /// Compact JSON text, as Step Functions prints payloads: no spaces, keys in order,
    /// `/` and non-ASCII left unescaped, doubles in Java's notation (`1.0E10`).
    public var serialized: String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The size of the compact text in bytes (used for the 256 KiB payload limit).
    public var serializedByteCount: Int {
        var out: [UInt8] = []
        write(to: &out)
        return out.count
    }

    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): out.append(contentsOf: JSON.formatDouble(d).utf8)
        case .bigNumber(let s): out.append(contentsOf: s.utf8)
        case .string(let s): JSON.writeString(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for i in 0..<o.count {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.writeString(o.keys[i], to: &out)
                out.append(UInt8(ascii: ":"))
                o.values[i].write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            var runStart = 0
            for i in 0..<bytes.count {
                let c = bytes[i]
                guard c < 0x20 || c == 0x22 || c == 0x5C else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                runStart = i + 1
                switch c {
                case 0x22: out.append(contentsOf: [0x5C, 0x22])
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
                case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
                default:
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30])
                    out.append(hexDigits[Int(c >> 4)])
                    out.append(hexDigits[Int(c & 0xF)])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Formats a double the way Java's `Double.toString` does (AWS's runtime is Java):
    /// plain notation for 1e-3 <= |d| < 1e7 with at least one fractional digit, otherwise
    /// `d.dddE±n`. The digits are the shortest that round-trip, which Swift computes too.
    public static func formatDouble(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        // Decompose Swift's shortest representation into digits and a decimal exponent.
        let text = d.magnitude.description
        var digits: [UInt8] = []
        var exponent = 0  // value = 0.digits × 10^exponent
        var seenPoint = false
        var intDigits = 0
        var explicitExp = 0
        var iterator = text.utf8.makeIterator()
        while let c = iterator.next() {
            if c == UInt8(ascii: ".") {
                seenPoint = true
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                var rest = ""
                while let r = iterator.next() { rest.append(Character(Unicode.Scalar(r))) }
                explicitExp = Int(rest) ?? 0
                break
            } else {
                digits.append(c)
                if !seenPoint { intDigits += 1 }
            }
        }
        // Strip leading zeros (adjusting the exponent) and trailing zeros.
        exponent = intDigits + explicitExp
        while let first = digits.first, first == UInt8(ascii: "0") {
            digits.removeFirst()
            exponent -= 1
        }
        while let last = digits.last, last == UInt8(ascii: "0") { digits.removeLast() }
        if digits.isEmpty { return "0.0" }
        var out = d.sign == .minus ? "-" : ""
        let magnitude = d.magnitude
        if magnitude >= 1e-3 && magnitude < 1e7 {
            if exponent <= 0 {
                out += "0." + String(repeating: "0", count: -exponent) + String(decoding: digits, as: UTF8.self)
            } else if exponent >= digits.count {
                out += String(decoding: digits, as: UTF8.self) + String(repeating: "0", count: exponent - digits.count) + ".0"
            } else {
                out += String(decoding: digits[0..<exponent], as: UTF8.self) + "."
                    + String(decoding: digits[exponent...], as: UTF8.self)
            }
        } else {
            out += String(Character(Unicode.Scalar(digits[0]))) + "."
            out += digits.count > 1 ? String(decoding: digits[1...], as: UTF8.self) : "0"
            out += "E" + String(exponent - 1)
        }
        return out
    }
}

extension JSON: CustomStringConvertible {
    public var description: String { serialized }
}
