#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Reads what `BinaryEncoder` wrote.
package struct BinaryDecoder {
    package init() {}

    package func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBufferPointer { buffer in
            try T(from: BinaryDecoderImpl(BinaryInput(buffer), range: 0..<buffer.count, isNil: false, codingPath: []))
        }
    }
}

/// The encoded bytes, borrowed for one decoding (no copies of values' bytes are made).
struct BinaryInput {
    let bytes: UnsafeBufferPointer<UInt8>
    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    func corrupt(_ path: [any CodingKey], _ what: String) -> DecodingError {
        .dataCorrupted(DecodingError.Context(codingPath: path, debugDescription: "binary snapshot: \(what)"))
    }

    func varint(_ at: inout Int, end: Int) throws -> Int {
        var value = 0, shift = 0
        while at < end {
            let b = bytes[at]
            at += 1
            value |= Int(b & 0x7F) << shift
            if b < 0x80 { return value }
            shift += 7
            if shift > 56 { break }
        }
        throw corrupt([], "bad varint")
    }

    func u32(_ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    func u64(_ range: Range<Int>, _ path: [any CodingKey]) throws -> UInt64 {
        guard range.count == 8 else { throw corrupt(path, "expected 8 bytes, found \(range.count)") }
        var v: UInt64 = 0
        for i in (0..<8).reversed() { v = v << 8 | UInt64(bytes[range.lowerBound + i]) }
        return v
    }

    /// One framed value starting at `at`: its range (empty for nil) and whether it is nil.
    func frame(_ at: inout Int, end: Int) throws -> (Range<Int>, Bool) {
        guard at + 4 <= end else { throw corrupt([], "truncated length") }
        let n = u32(at)
        at += 4
        if n == BinaryBuffer.nilLength { return (at..<at, true) }
        let e = at + Int(n)
        guard e <= end else { throw corrupt([], "value past its container") }
        defer { at = e }
        return (at..<e, false)
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}

struct BinaryDecoderImpl: Decoder {
    let input: BinaryInput
    let range: Range<Int>
    let isNil: Bool
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ input: BinaryInput, range: Range<Int>, isNil: Bool, codingPath: [any CodingKey]) {
        self.input = input
        self.range = range
        self.isNil = isNil
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(try KeyedBinaryDecoding<Key>(input, range: range, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try UnkeyedBinaryDecoding(input, range: range, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleBinaryDecoding(input: input, range: range, isNil: isNil, codingPath: codingPath)
    }
}

/// Primitive reads, shared by the three container kinds.
protocol BinaryPrimitiveReader {
    var input: BinaryInput { get }
}

extension BinaryPrimitiveReader {
    func read<T: Decodable>(_ type: T.Type, _ range: Range<Int>, isNil: Bool, _ path: [any CodingKey]) throws -> T {
        try T(from: BinaryDecoderImpl(input, range: range, isNil: isNil, codingPath: path))
    }

    func readBool(_ range: Range<Int>, _ path: [any CodingKey]) throws -> Bool {
        guard range.count == 1 else { throw input.corrupt(path, "expected a boolean") }
        return input.bytes[range.lowerBound] != 0
    }

    func readInteger<I: FixedWidthInteger>(_ range: Range<Int>, _ path: [any CodingKey]) throws -> I {
        I(truncatingIfNeeded: Int64(bitPattern: try input.u64(range, path)))
    }
}

struct KeyedBinaryDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol, BinaryPrimitiveReader {
    let input: BinaryInput
    let codingPath: [any CodingKey]
    /// The entries in encoded order (keys as byte ranges, compared without making strings):
    /// a handful per container, so a linear search is fastest.
    private var entries: [(key: Range<Int>, range: Range<Int>, isNil: Bool)] = []

    init(_ input: BinaryInput, range: Range<Int>, codingPath: [any CodingKey]) throws {
        self.input = input
        self.codingPath = codingPath
        var at = range.lowerBound
        while at < range.upperBound {
            let n = try input.varint(&at, end: range.upperBound)
            guard at + n <= range.upperBound else { throw input.corrupt(codingPath, "key past its container") }
            let key = at..<(at + n)
            at += n
            let (r, isNil) = try input.frame(&at, end: range.upperBound)
            entries.append((key, r, isNil))
        }
    }

    var allKeys: [Key] { entries.compactMap { Key(stringValue: input.string($0.key)) } }

    func find(_ key: Key) -> (key: Range<Int>, range: Range<Int>, isNil: Bool)? {
        var name = key.stringValue
        return name.withUTF8 { utf8 in
            entries.first { e in
                e.key.count == utf8.count && memcmp(input.bytes.baseAddress! + e.key.lowerBound, utf8.baseAddress!, utf8.count) == 0
            }
        }
    }

    func entry(_ key: Key) throws -> (key: Range<Int>, range: Range<Int>, isNil: Bool) {
        guard let e = find(key) else {
            throw DecodingError.keyNotFound(key, DecodingError.Context(codingPath: codingPath, debugDescription: "binary snapshot: no \(key.stringValue)"))
        }
        return e
    }

    func contains(_ key: Key) -> Bool { find(key) != nil }
    func decodeNil(forKey key: Key) throws -> Bool { try entry(key).isNil }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let e = try entry(key)
        return try read(type, e.range, isNil: e.isNil, codingPath)
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try readBool(try entry(key).range, codingPath) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { input.string(try entry(key).range) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try readInteger(try entry(key).range, codingPath) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try readInteger(try entry(key).range, codingPath) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try readInteger(try entry(key).range, codingPath) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        Double(bitPattern: try input.u64(try entry(key).range, codingPath))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(try KeyedBinaryDecoding<NestedKey>(input, range: try entry(key).range, codingPath: codingPath))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try UnkeyedBinaryDecoding(input, range: try entry(key).range, codingPath: codingPath)
    }

    func superDecoder() throws -> any Decoder { throw input.corrupt(codingPath, "superDecoder is not supported") }
    func superDecoder(forKey key: Key) throws -> any Decoder { throw input.corrupt(codingPath, "superDecoder is not supported") }
}

struct UnkeyedBinaryDecoding: UnkeyedDecodingContainer, BinaryPrimitiveReader {
    let input: BinaryInput
    let codingPath: [any CodingKey]
    private var items: [(range: Range<Int>, isNil: Bool)] = []
    var currentIndex = 0
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    init(_ input: BinaryInput, range: Range<Int>, codingPath: [any CodingKey]) throws {
        self.input = input
        self.codingPath = codingPath
        var at = range.lowerBound
        while at < range.upperBound {
            let (r, isNil) = try input.frame(&at, end: range.upperBound)
            items.append((r, isNil))
        }
    }

    mutating func next() throws -> (range: Range<Int>, isNil: Bool) {
        guard !isAtEnd else { throw input.corrupt(codingPath, "read past the end of an array") }
        defer { currentIndex += 1 }
        return items[currentIndex]
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex].isNil else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let item = try next()
        return try read(type, item.range, isNil: item.isNil, codingPath)
    }

    mutating func decode(_ type: String.Type) throws -> String { input.string(try next().range) }
    mutating func decode(_ type: Int.Type) throws -> Int { try readInteger(try next().range, codingPath) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try readInteger(try next().range, codingPath) }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try readBool(try next().range, codingPath) }
    mutating func decode(_ type: Double.Type) throws -> Double { Double(bitPattern: try input.u64(try next().range, codingPath)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(try KeyedBinaryDecoding<NestedKey>(input, range: try next().range, codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try UnkeyedBinaryDecoding(input, range: try next().range, codingPath: codingPath)
    }

    mutating func superDecoder() throws -> any Decoder { throw input.corrupt(codingPath, "superDecoder is not supported") }
}

struct SingleBinaryDecoding: SingleValueDecodingContainer, BinaryPrimitiveReader {
    let input: BinaryInput
    let range: Range<Int>
    let isNil: Bool
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { isNil }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try read(type, range, isNil: isNil, codingPath) }
    func decode(_ type: Bool.Type) throws -> Bool { try readBool(range, codingPath) }
    func decode(_ type: String.Type) throws -> String { input.string(range) }
    func decode(_ type: Double.Type) throws -> Double { Double(bitPattern: try input.u64(range, codingPath)) }
    func decode(_ type: Float.Type) throws -> Float { Float(Double(bitPattern: try input.u64(range, codingPath))) }
    func decode(_ type: Int.Type) throws -> Int { try readInteger(range, codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try readInteger(range, codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try readInteger(range, codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try readInteger(range, codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try readInteger(range, codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try readInteger(range, codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try readInteger(range, codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try readInteger(range, codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try readInteger(range, codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try readInteger(range, codingPath) }
}
