/// A compact binary form of Codable values, for the execution snapshot written with every
/// step (Foundation's JSONEncoder/Decoder took a quarter of the CPU of a callback step).
///
/// The format: a value is a byte range. Keyed containers are entries `[key length: varint]
/// [key UTF-8][value length: u32 LE][value]`, unkeyed containers entries `[value length][value]`,
/// a nil value has the length 0xFFFF_FFFF and no bytes. Integers are 8 bytes little-endian,
/// doubles their IEEE bits, strings their UTF-8 bytes, booleans one byte. Keys are kept, so
/// enums with associated values (decoded through `allKeys`) and optionals (absent keys)
/// round-trip as with JSON.
///
/// Writes are appended, so a container must be finished before its parent is written to
/// again: true of synthesised Codable and of the standard library's collections.
package struct BinaryEncoder {
    package init() {}

    package func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let buffer = BinaryBuffer()
        try value.encode(to: BinaryEncoderImpl(buffer, codingPath: []))
        return buffer.bytes
    }
}

/// The bytes being written, shared by every container of one encoding.
final class BinaryBuffer {
    var bytes: [UInt8] = []
    init() { bytes.reserveCapacity(1024) }

    static let nilLength: UInt32 = 0xFFFF_FFFF

    func varint(_ v: Int) {
        var n = UInt(v)
        while n >= 0x80 {
            bytes.append(UInt8(n & 0x7F) | 0x80)
            n >>= 7
        }
        bytes.append(UInt8(n))
    }

    func u32(_ v: UInt32, at offset: Int) {
        bytes[offset] = UInt8(truncatingIfNeeded: v)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: v >> 8)
        bytes[offset + 2] = UInt8(truncatingIfNeeded: v >> 16)
        bytes[offset + 3] = UInt8(truncatingIfNeeded: v >> 24)
    }

    func u64(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    func key(_ k: String) {
        var k = k
        k.withUTF8 { utf8 in
            varint(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    /// Set by a single-value container's encodeNil (an Optional's encode(to:) when nil), so
    /// the enclosing frame records nil rather than an empty value.
    var wroteNil = false

    /// Writes a length-framed value: reserves the length, lets `body` write, patches it.
    func framed(_ body: () throws -> Void) rethrows {
        let at = bytes.count
        bytes.append(contentsOf: [0, 0, 0, 0])
        wroteNil = false
        try body()
        if wroteNil && bytes.count == at + 4 {
            u32(Self.nilLength, at: at)
        } else {
            u32(UInt32(bytes.count - at - 4), at: at)
        }
        wroteNil = false
    }

    func framedNil() { bytes.append(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF]) }

    /// Reserves the length of a nested container, which has no end call: its writes patch it.
    func openFrame() -> Int {
        bytes.append(contentsOf: [0, 0, 0, 0])
        return bytes.count - 4
    }

    /// Brings the lengths of the open nested containers up to date.
    func patch(_ frames: [Int]) {
        for at in frames { u32(UInt32(bytes.count - at - 4), at: at) }
    }

    func string(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }
}

struct BinaryEncoderImpl: Encoder {
    let buffer: BinaryBuffer
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ buffer: BinaryBuffer, codingPath: [any CodingKey]) {
        self.buffer = buffer
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedBinaryEncoding<Key>(buffer: buffer, codingPath: codingPath, frames: []))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer { UnkeyedBinaryEncoding(buffer: buffer, codingPath: codingPath, frames: []) }
    func singleValueContainer() -> any SingleValueEncodingContainer { SingleBinaryEncoding(buffer: buffer, codingPath: codingPath) }
}

/// Primitive writes, shared by the three container kinds.
protocol BinaryPrimitiveWriter {
    var buffer: BinaryBuffer { get }
}

extension BinaryPrimitiveWriter {
    func write(_ v: Bool) { buffer.bytes.append(v ? 1 : 0) }
    func write(_ v: String) { buffer.string(v) }
    func write(_ v: Double) { buffer.u64(v.bitPattern) }
    func write(_ v: Float) { buffer.u64(Double(v).bitPattern) }
    /// Sign-extended to 64 bits; the decoder truncates back.
    func write<I: FixedWidthInteger>(_ v: I) { buffer.u64(UInt64(truncatingIfNeeded: v)) }

    /// Coding paths are not extended on the way down (they only serve error messages, and
    /// building them allocated on every field).
    func write<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
        try value.encode(to: BinaryEncoderImpl(buffer, codingPath: codingPath))
    }
}

struct KeyedBinaryEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol, BinaryPrimitiveWriter {
    let buffer: BinaryBuffer
    let codingPath: [any CodingKey]
    /// The open nested containers this one is inside (their lengths follow its writes).
    let frames: [Int]

    mutating func encodeNil(forKey key: Key) throws {
        buffer.key(key.stringValue)
        buffer.framedNil()
        buffer.patch(frames)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        buffer.key(key.stringValue)
        try buffer.framed { try write(value, codingPath: codingPath) }
        buffer.patch(frames)
    }

    mutating func encode(_ value: String, forKey key: Key) throws { try primitive(key) { write(value) } }
    mutating func encode(_ value: Int, forKey key: Key) throws { try primitive(key) { write(value) } }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try primitive(key) { write(value) } }
    mutating func encode(_ value: Bool, forKey key: Key) throws { try primitive(key) { write(value) } }
    mutating func encode(_ value: Double, forKey key: Key) throws { try primitive(key) { write(value) } }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try primitive(key) { write(value) } }

    private func primitive(_ key: Key, _ body: () -> Void) throws {
        buffer.key(key.stringValue)
        buffer.framed(body)
        buffer.patch(frames)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        buffer.key(key.stringValue)
        let at = buffer.openFrame()
        buffer.patch(frames)
        return KeyedEncodingContainer(KeyedBinaryEncoding<NestedKey>(buffer: buffer, codingPath: codingPath, frames: frames + [at]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        buffer.key(key.stringValue)
        let at = buffer.openFrame()
        buffer.patch(frames)
        return UnkeyedBinaryEncoding(buffer: buffer, codingPath: codingPath, frames: frames + [at])
    }

    mutating func superEncoder() -> any Encoder { preconditionFailure("BinaryEncoder: superEncoder is not supported") }
    mutating func superEncoder(forKey key: Key) -> any Encoder { preconditionFailure("BinaryEncoder: superEncoder is not supported") }
}

struct UnkeyedBinaryEncoding: UnkeyedEncodingContainer, BinaryPrimitiveWriter {
    let buffer: BinaryBuffer
    let codingPath: [any CodingKey]
    let frames: [Int]
    var count = 0

    mutating func encodeNil() throws {
        buffer.framedNil()
        buffer.patch(frames)
        count += 1
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try buffer.framed { try write(value, codingPath: codingPath) }
        buffer.patch(frames)
        count += 1
    }

    mutating func encode(_ value: String) throws { primitive { $0.write(value) } }
    mutating func encode(_ value: Int) throws { primitive { $0.write(value) } }
    mutating func encode(_ value: Int64) throws { primitive { $0.write(value) } }
    mutating func encode(_ value: Bool) throws { primitive { $0.write(value) } }
    mutating func encode(_ value: Double) throws { primitive { $0.write(value) } }

    private mutating func primitive(_ body: (Self) -> Void) {
        let me = self
        buffer.framed { body(me) }
        buffer.patch(frames)
        count += 1
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let at = buffer.openFrame()
        buffer.patch(frames)
        count += 1
        return KeyedEncodingContainer(KeyedBinaryEncoding<NestedKey>(buffer: buffer, codingPath: codingPath, frames: frames + [at]))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let at = buffer.openFrame()
        buffer.patch(frames)
        count += 1
        return UnkeyedBinaryEncoding(buffer: buffer, codingPath: codingPath, frames: frames + [at])
    }

    mutating func superEncoder() -> any Encoder { preconditionFailure("BinaryEncoder: superEncoder is not supported") }
}

struct SingleBinaryEncoding: SingleValueEncodingContainer, BinaryPrimitiveWriter {
    let buffer: BinaryBuffer
    let codingPath: [any CodingKey]

    /// A nil single value is marked by its parent's frame (the length 0xFFFF_FFFF).
    mutating func encodeNil() throws { buffer.wroteNil = true }
    mutating func encode<T: Encodable>(_ value: T) throws { try write(value, codingPath: codingPath) }
    // The protocol's primitive requirements, written without the generic path's dynamic casts.
    mutating func encode(_ value: Bool) throws { write(value) }
    mutating func encode(_ value: String) throws { write(value) }
    mutating func encode(_ value: Double) throws { write(value) }
    mutating func encode(_ value: Float) throws { write(value) }
    mutating func encode(_ value: Int) throws { write(value) }
    mutating func encode(_ value: Int8) throws { write(value) }
    mutating func encode(_ value: Int16) throws { write(value) }
    mutating func encode(_ value: Int32) throws { write(value) }
    mutating func encode(_ value: Int64) throws { write(value) }
    mutating func encode(_ value: UInt) throws { write(value) }
    mutating func encode(_ value: UInt8) throws { write(value) }
    mutating func encode(_ value: UInt16) throws { write(value) }
    mutating func encode(_ value: UInt32) throws { write(value) }
    mutating func encode(_ value: UInt64) throws { write(value) }
}
