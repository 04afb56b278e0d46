import StatesLanguage
import Testing

@Suite struct JSONTests {
    @Test(arguments: fixtureStrings("json-roundtrip.json"))
    func roundTrips(_ text: String) throws {
        let value = try JSONParser.parse(text)
        #expect(value.serialized == text)
        #expect(try JSONParser.parse(value.serialized) == value)
    }

    @Test(arguments: fixtureStrings("json-invalid.json"))
    func rejectsInvalid(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    /// Lines and columns as an editor counts them (from 1; a column is a character).
    @Test(arguments: [
        ("{\n  \"a\": 1,\n  \"b\": }", 3, 8),
        ("[1, 2,, 3]", 1, 7),
        ("{\"é\": 1 \"x\"}", 1, 9),
    ])
    func errorsSayTheirLineAndColumn(_ text: String, _ line: Int, _ column: Int) throws {
        do {
            _ = try JSONParser.parse(text)
            Issue.record("parsed \(text)")
        } catch {
            #expect(error.position(in: text) == (line, column), "\(error)")
            #expect(error.describe(in: text).hasSuffix("at line \(line), column \(column)"))
        }
    }

    @Test func keepsIntegersApartFromDoubles() throws {
        guard case .int(1) = try JSONParser.parse("1") else { Issue.record("1 is not an int"); return }
        guard case .double(1.0) = try JSONParser.parse("1.0") else { Issue.record("1.0 is not a double"); return }
        #expect(JSON.int(1).serialized == "1")
        #expect(JSON.double(1).serialized == "1.0")
    }

    @Test func keepsBigNumbersAsText() throws {
        let big = try JSONParser.parse("123456789012345678901234567890")
        guard case .bigNumber(let text) = big else { Issue.record("expected a big number"); return }
        #expect(text == "123456789012345678901234567890")
    }

    @Test func keepsKeyOrder() throws {
        let o = try JSONParser.parse(#"{"z":1,"a":2,"m":3}"#).objectValue!
        #expect(o.keys == ["z", "a", "m"])
    }

    @Test func largeObjectsUseTheIndex() throws {
        var text = "{"
        for i in 0..<200 { text += (i > 0 ? "," : "") + "\"k\(i)\":\(i)" }
        text += "}"
        let v = try JSONParser.parse(text)
        #expect(v["k150"] == .int(150))
        #expect(v["k199"] == .int(199))
        #expect(v["missing"] == nil)
        #expect(v.serialized == text)
    }

    @Test func repeatedKeysKeepTheLastValue() throws {
        #expect(try JSONParser.parse(#"{"a":1,"a":2}"#).serialized == #"{"a":2}"#)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"a":1,"a":2}"#, rejectingDuplicateKeys: true) }
    }

    @Test func decodesSurrogatePairs() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONParser.parse(#""\u00e9""#) == .string("é"))
    }

    @Test(arguments: [
        (0.1, "0.1"), (1e7, "1.0E7"), (1e-3, "0.001"), (1e-4, "1.0E-4"), (123.456, "123.456"), (-2.5e-10, "-2.5E-10"),
        (1234567.0, "1234567.0"), (1e21, "1.0E21"), (0.0, "0.0"), (-0.0, "-0.0"),
        (1_764_690_000.123456, "1.764690000123456E9"), (-1e-7, "-1.0E-7"), (10_000_000.5, "1.00000005E7"),
        (9_999_999.999, "9999999.999"), (1.2345678901234568e20, "1.2345678901234568E20"), (1e300, "1.0E300"),
        (2.2250738585072014e-308, "2.2250738585072014E-308"), (.infinity, "Infinity"), (-.infinity, "-Infinity"),
    ])
    func formatsDoublesAsJava(_ value: Double, _ expected: String) {
        #expect(JSON.formatDouble(value) == expected)
        // Serialised in place (no intermediate string) the same way.
        if value.isFinite { #expect(JSON.double(value).serialized == expected) }
    }

    /// Any double in Java's exponent form reads back as itself, with one digit before the point.
    @Test func exponentFormRoundTrips() {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let d = Double(bitPattern: g.next() & ~(0x7FF << 52) | (UInt64.random(in: 0..<0x7FF, using: &g) << 52))
            let text = JSON.formatDouble(d)
            #expect(Double(text) == d, "\(d) written as \(text)")
            if !(d.magnitude >= 1e-3 && d.magnitude < 1e7) && d != 0 {
                let mantissa = text.drop { $0 == "-" }
                #expect(mantissa.dropFirst().first == "." && mantissa.contains("E"), "\(text)")
            }
        }
    }

    @Test func refusesTooDeepDocuments() {
        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
    }

    @Test func equalityIgnoresKeyOrderAndNumberForm() throws {
        #expect(try JSONParser.parse(#"{"a":1,"b":2}"#) == JSONParser.parse(#"{"b":2,"a":1.0}"#))
        #expect(try JSONParser.parse("[1,2]") != JSONParser.parse("[2,1]"))
    }
}

@Suite struct ByteCountMemoTests {
    @Test func rememberedSizesEqualMeasuredOnes() throws {
        let blob = JSON.array((0..<300).map { i in ["i": .int(Int64(i)), "s": .string("é\"\\\u{1}x\(i)"), "d": .double(Double(i) / 3)] })
        let memo = ByteCountMemo()
        var value: JSONObject = ["blob": blob, "last": ["step": 0], "k\"ey": .null]
        for step in 0..<5 {
            value["last"] = ["step": .int(Int64(step))]
            let v = JSON.object(value)
            #expect(v.serializedByteCount(memo: memo) == v.serializedByteCount)
            #expect(v.serializedByteCount(memo: memo) == Array(v.serialized.utf8).count)
        }
        for text in [#"[]"#, #"{}"#, #"[[],{},[1,{"a":[]}]]"#, #"{"a":{"b":{"c":"\u00e9"}}}"#] {
            let v = try JSONParser.parse(text)
            #expect(v.serializedByteCount(memo: memo) == v.serializedByteCount)
        }
    }
}

/// The payload limit's test: a value fits a limit exactly when its serialized size does, at the
/// boundary, whether the quick bound decides or the exact measure does.
@Suite struct PayloadFitTests {
    static let values: [JSON] = [
        .null, .bool(false), .int(.min), .double(-2.2250738585072014e-308), .double(-1.7976931348623157e308),
        .double(-0.0012345678901234567), .double(5e-324), .bigNumber("123456789012345678901234567890"),
        .string(""), .string("\u{1}\u{1f}\"\\"), .string("é😀"), .string(String(repeating: "\u{7}", count: 40)),
        ["k\u{1}": [1, 2.5, "x", nil, true], "": [:]],
        .array((0..<200).map { i in ["i": .int(Int64(i)), "s": .string("é\"\u{1}\(i)")] }),
    ]

    @Test(arguments: values) func fitsExactlyAtItsSize(_ value: JSON) {
        let size = value.serializedByteCount
        #expect(value.serializes(within: size, memo: ByteCountMemo()))
        #expect(!value.serializes(within: size - 1, memo: ByteCountMemo()))
        // With the sizes of its containers remembered from an earlier measure.
        let memo = ByteCountMemo()
        _ = value.serializedByteCount(memo: memo)
        #expect(value.serializes(within: size, memo: memo))
        #expect(!value.serializes(within: size - 1, memo: memo))
    }
}

/// The word-at-a-time scanners against a byte-at-a-time reference: every ASCII character and
/// a few multi-byte ones, at every position of a string longer than two words.
@Suite struct StringScanTests {
    static func reference(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    @Test func everyCharacterAtEveryPositionIsEscapedAndParsedBack() throws {
        var characters = (0..<128).compactMap { Unicode.Scalar($0).map(Character.init) }
        characters += ["é", "€", "😀", "\u{7F}"]
        for c in characters {
            for position in 0..<19 {
                // The character at `position`, and a quote two places on (two in one word).
                var s = String(repeating: "a", count: 19)
                let i = s.index(s.startIndex, offsetBy: position)
                s.replaceSubrange(i...i, with: String(c))
                if position + 2 < 19 {
                    let k = s.index(s.startIndex, offsetBy: position + 2)
                    s.replaceSubrange(k...k, with: "\"")
                }
                let text = JSON.string(s).serialized
                #expect(text == Self.reference(s), "\(c.unicodeScalars.first?.value ?? 0) at \(position)")
                #expect(try JSONParser.parse(text) == .string(s))
                #expect(JSON.string(s).serializedByteCount == text.utf8.count)
            }
        }
    }
}
