/// A problem found while parsing JSON text: where it is, and what is wrong.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset into the input.
    public var offset: Int
    public var message: String
    public var description: String { "\(message) at offset \(offset)" }

    /// Where the problem is in `text`, counted as an editor does: lines and columns from 1,
    /// a column being a character (not a byte) of its line.
    public func position(in text: String) -> (line: Int, column: Int) {
        var line = 1, column = 1
        let utf8 = text.utf8
        var i = utf8.startIndex
        var consumed = 0
        while i != utf8.endIndex, consumed < offset {
            let b = utf8[i]
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                // Continuation bytes of a multi-byte character do not start a column.
                column += 1
            }
            consumed += 1
            i = utf8.index(after: i)
        }
        return (line, column)
    }

    /// The message with its line and column in `text` (AWS words JSON errors with both).
    public func describe(in text: String) -> String {
        let (line, column) = position(in: text)
        return "\(message) at line \(line), column \(column)"
    }
}

/// A byte-level JSON parser.
///
/// Written by hand rather than on Foundation: JSONSerialization loses key order, cannot
/// tell `1` from `1.0`, and is several times slower on the payloads a workflow moves.
public struct JSONParser {
    /// Deeper documents are refused rather than risking the stack.
    public static let maximumDepth = 512

    /// Parses JSON text. Definitions are read with `rejectingDuplicateKeys`, as AWS refuses
    /// a definition that names a field twice.
    public static func parse(_ text: String, rejectingDuplicateKeys: Bool = false) throws(JSONParseError) -> JSON {
        var text = text
        let result: Result<JSON, JSONParseError> = text.withUTF8 { buffer in
            Result { () throws(JSONParseError) -> JSON in try parse(bytes: buffer, rejectingDuplicateKeys: rejectingDuplicateKeys) }
        }
        return try result.get()
    }

    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSON {
        let result: Result<JSON, JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONParseError) -> JSON in try parse(bytes: buffer) }
        }
        return try result.get()
    }

    public static func parse(bytes: UnsafeBufferPointer<UInt8>, rejectingDuplicateKeys: Bool = false) throws(JSONParseError) -> JSON {
        var reader = Reader(bytes: bytes)
        reader.rejectDuplicates = rejectingDuplicateKeys
        reader.skipWhitespace()
        let value = try reader.parseValue(depth: 0)
        reader.skipWhitespace()
        guard reader.position == bytes.count else {
            throw reader.error("Unexpected content after the JSON value")
        }
        return value
    }
}

private struct Reader {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0
    var rejectDuplicates = false

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    func error(_ message: String) -> JSONParseError { JSONParseError(offset: position, message: message) }

    @inline(__always) var atEnd: Bool { position >= bytes.count }
    @inline(__always) var current: UInt8 { bytes[position] }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSON {
        guard !atEnd else { throw error("Unexpected end of input") }
        switch current {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("Unexpected character '\(Character(Unicode.Scalar(current)))'")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let n = literal.utf8CodeUnitCount
        guard position + n <= bytes.count else { throw error("Unexpected end of input") }
        let p = literal.utf8Start
        for i in 0..<n where bytes[position + i] != p[i] {
            throw error("Invalid literal")
        }
        position += n
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSON {
        guard depth <= JSONParser.maximumDepth else { throw error("Document nested too deeply") }
        position += 1
        var object = JSONObject()
        skipWhitespace()
        if !atEnd, current == UInt8(ascii: "}") {
            position += 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard !atEnd, current == UInt8(ascii: "\"") else { throw error("Expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard !atEnd, current == UInt8(ascii: ":") else { throw error("Expected ':'") }
            position += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            // A repeated key keeps its first position and its last value, as Jackson does.
            if rejectDuplicates, object[key] != nil { throw error("Duplicate field '\(key)'") }
            object[key] = value
            skipWhitespace()
            guard !atEnd else { throw error("Unexpected end of input in object") }
            if current == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if current == UInt8(ascii: "}") {
                position += 1
                return .object(object)
            }
            throw error("Expected ',' or '}'")
        }
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSON {
        guard depth <= JSONParser.maximumDepth else { throw error("Document nested too deeply") }
        position += 1
        var array: [JSON] = []
        skipWhitespace()
        if !atEnd, current == UInt8(ascii: "]") {
            position += 1
            return .array(array)
        }
        while true {
            skipWhitespace()
            array.append(try parseValue(depth: depth))
            skipWhitespace()
            guard !atEnd else { throw error("Unexpected end of input in array") }
            if current == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if current == UInt8(ascii: "]") {
                position += 1
                return .array(array)
            }
            throw error("Expected ',' or ']'")
        }
    }

    /// Moves past the bytes of a string that need no attention (no quote, backslash or
    /// control character), eight at a time while it can.
    mutating func skipPlainBytes() {
        if let base = bytes.baseAddress {
            while position + 8 <= bytes.count {
                let mask = JSONBytes.escapeMask(UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self)))
                guard mask == 0 else {
                    // Straight to the first byte that needs attention.
                    position += mask.trailingZeroBitCount >> 3
                    return
                }
                position += 8
            }
        }
        while position < bytes.count {
            let c = bytes[position]
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 { return }
            position += 1
        }
    }

    mutating func parseString() throws(JSONParseError) -> String {
        position += 1
        let start = position
        // Fast path: no escapes.
        skipPlainBytes()
        if position < bytes.count {
            let c = bytes[position]
            if c == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                position += 1
                return s
            }
            if c < 0x20 { throw error("Unescaped control character in string") }
        }
        var scratch = [UInt8](UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while true {
            // The run up to the next quote, backslash or control character, copied at once.
            let run = position
            skipPlainBytes()
            if position > run { scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<position])) }
            guard position < bytes.count else { throw error("Unterminated string") }
            let c = bytes[position]
            if c == UInt8(ascii: "\"") {
                position += 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if c < 0x20 { throw error("Unescaped control character in string") }
            position += 1
            guard position < bytes.count else { throw error("Unterminated escape") }
            let e = bytes[position]
            position += 1
            switch e {
            case UInt8(ascii: "\""): scratch.append(0x22)
            case UInt8(ascii: "\\"): scratch.append(0x5C)
            case UInt8(ascii: "/"): scratch.append(0x2F)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try readHex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    if position + 6 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                        bytes[position + 1] == UInt8(ascii: "u")
                    {
                        let save = position
                        position += 2
                        let low = try readHex4()
                        if (0xDC00...0xDFFF).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            position = save
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    scalar = 0xFFFD
                }
                let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                scratch.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                position -= 1
                throw error("Invalid escape character")
            }
        }
    }

    mutating func readHex4() throws(JSONParseError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("Truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - 55)
            default: throw error("Invalid hex digit in \\u escape")
            }
            v = v << 4 | d
            position += 1
        }
        return v
    }

    mutating func parseNumber() throws(JSONParseError) -> JSON {
        let start = position
        var negative = false
        if current == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        guard !atEnd, isDigit(current) else { throw error("Invalid number") }
        var magnitude: UInt64 = 0
        var overflow = false
        var significantDigits = 0
        if current == UInt8(ascii: "0") {
            position += 1
            if !atEnd, isDigit(current) { throw error("Leading zeros are not allowed") }
        } else {
            while !atEnd, isDigit(current) {
                let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (m2, o2) = m1.addingReportingOverflow(UInt64(current - 48))
                overflow = overflow || o1 || o2
                magnitude = m2
                significantDigits += 1
                position += 1
            }
        }
        var isInteger = true
        if !atEnd, current == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard !atEnd, isDigit(current) else { throw error("Invalid number: digits expected after '.'") }
            while !atEnd, isDigit(current) {
                significantDigits += 1
                position += 1
            }
        }
        if !atEnd, current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if !atEnd, current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard !atEnd, isDigit(current) else { throw error("Invalid number: digits expected in exponent") }
            while !atEnd, isDigit(current) { position += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if isInteger {
            if !overflow {
                if negative {
                    if magnitude <= UInt64(Int64.max) { return .int(-Int64(magnitude)) }
                    if magnitude == UInt64(Int64.max) + 1 { return .int(Int64.min) }
                } else if magnitude <= UInt64(Int64.max) {
                    return .int(Int64(magnitude))
                }
            }
            return .bigNumber(text)
        }
        // More significant digits than a Double holds: keep the text rather than round silently.
        guard significantDigits <= 17, let d = Double(text), d.isFinite else { return .bigNumber(text) }
        return .double(d)
    }

    @inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
}
