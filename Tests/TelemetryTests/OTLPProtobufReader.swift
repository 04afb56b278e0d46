import StatesLanguage

/// Reads an OTLP protobuf ExportTraceServiceRequest back into the tree OTLP/JSON spells it as
/// (`SpanExporter.document`), so the protobuf writer is checked against the JSON model and not
/// against itself: every length it counts ahead must land where the reader expects it.
struct OTLPProtobufReader {
    enum Failure: Error { case truncated, wireType(Int, Int), unknownField(String, Int) }

    var bytes: [UInt8]
    var at = 0
    let end: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.end = bytes.count
    }

    init(_ bytes: [UInt8], from: Int, to: Int) {
        self.bytes = bytes
        self.at = from
        self.end = to
    }

    static func document(_ body: [UInt8]) throws -> JSON {
        var r = OTLPProtobufReader(body)
        var resourceSpans: [JSON] = []
        while let (field, wire) = try r.key() {
            guard field == 1 else { throw Failure.unknownField("request", field) }
            resourceSpans.append(try r.message(wire) { try $0.resourceSpans() })
        }
        return ["resourceSpans": .array(resourceSpans)]
    }

    var done: Bool { at >= end }

    mutating func varint() throws -> UInt64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard at < end else { throw Failure.truncated }
            let b = bytes[at]
            at += 1
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }

    mutating func key() throws -> (Int, Int)? {
        if done { return nil }
        let k = try varint()
        return (Int(k >> 3), Int(k & 7))
    }

    mutating func lengthDelimited(_ wire: Int) throws -> Range<Int> {
        guard wire == 2 else { throw Failure.wireType(wire, 2) }
        let n = Int(try varint())
        guard at + n <= end else { throw Failure.truncated }
        defer { at += n }
        return at..<(at + n)
    }

    mutating func message<T>(_ wire: Int, _ read: (inout OTLPProtobufReader) throws -> T) throws -> T {
        let range = try lengthDelimited(wire)
        var inner = OTLPProtobufReader(bytes, from: range.lowerBound, to: range.upperBound)
        return try read(&inner)
    }

    mutating func string(_ wire: Int) throws -> String {
        String(decoding: bytes[try lengthDelimited(wire)], as: UTF8.self)
    }

    mutating func hex(_ wire: Int) throws -> String {
        bytes[try lengthDelimited(wire)].map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    mutating func fixed64(_ wire: Int) throws -> UInt64 {
        guard wire == 1 else { throw Failure.wireType(wire, 1) }
        guard at + 8 <= end else { throw Failure.truncated }
        defer { at += 8 }
        return (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
    }

    mutating func resourceSpans() throws -> JSON {
        var o: JSONObject = [:]
        var scopeSpans: [JSON] = []
        while let (field, wire) = try key() {
            switch field {
            case 1: o["resource"] = try message(wire) { r in
                var attributes: [JSON] = []
                while let (f, w) = try r.key() {
                    guard f == 1 else { throw Failure.unknownField("resource", f) }
                    attributes.append(try r.message(w) { try $0.keyValue() })
                }
                return ["attributes": .array(attributes)]
            }
            case 2: scopeSpans.append(try message(wire) { try $0.scopeSpans() })
            default: throw Failure.unknownField("resourceSpans", field)
            }
        }
        o["scopeSpans"] = .array(scopeSpans)
        return .object(o)
    }

    mutating func scopeSpans() throws -> JSON {
        var o: JSONObject = [:]
        var spans: [JSON] = []
        while let (field, wire) = try key() {
            switch field {
            case 1: o["scope"] = try message(wire) { r in
                var scope: JSONObject = [:]
                while let (f, w) = try r.key() {
                    switch f {
                    case 1: scope["name"] = .string(try r.string(w))
                    case 2: scope["version"] = .string(try r.string(w))
                    default: throw Failure.unknownField("scope", f)
                    }
                }
                return .object(scope)
            }
            case 2: spans.append(try message(wire) { try $0.span() })
            default: throw Failure.unknownField("scopeSpans", field)
            }
        }
        o["spans"] = .array(spans)
        return .object(o)
    }

    mutating func span() throws -> JSON {
        var o: JSONObject = [:]
        var attributes: [JSON] = []
        while let (field, wire) = try key() {
            switch field {
            case 1: o["traceId"] = .string(try hex(wire))
            case 2: o["spanId"] = .string(try hex(wire))
            case 4: o["parentSpanId"] = .string(try hex(wire))
            case 5: o["name"] = .string(try string(wire))
            case 6: o["kind"] = .int(Int64(try varint()))
            case 7: o["startTimeUnixNano"] = .string(String(try fixed64(wire)))
            case 8: o["endTimeUnixNano"] = .string(String(try fixed64(wire)))
            case 9: attributes.append(try message(wire) { try $0.keyValue() })
            case 15: o["status"] = try message(wire) { r in
                var status: JSONObject = [:]
                while let (f, w) = try r.key() {
                    switch f {
                    case 2: status["message"] = .string(try r.string(w))
                    case 3: status["code"] = .int(Int64(try r.varint()))
                    default: throw Failure.unknownField("status", f)
                    }
                }
                return .object(status)
            }
            default: throw Failure.unknownField("span", field)
            }
        }
        o["attributes"] = .array(attributes)
        return .object(o)
    }

    mutating func keyValue() throws -> JSON {
        var name = "", value: JSON = .null
        while let (field, wire) = try key() {
            switch field {
            case 1: name = try string(wire)
            case 2: value = try message(wire) { r in
                var any: JSONObject = [:]
                while let (f, w) = try r.key() {
                    switch f {
                    case 1: any["stringValue"] = .string(try r.string(w))
                    case 2: any["boolValue"] = .bool(try r.varint() != 0)
                    case 3: any["intValue"] = .string(String(Int64(bitPattern: try r.varint())))
                    default: throw Failure.unknownField("anyValue", f)
                    }
                }
                return .object(any)
            }
            default: throw Failure.unknownField("keyValue", field)
            }
        }
        return ["key": .string(name), "value": value]
    }
}
