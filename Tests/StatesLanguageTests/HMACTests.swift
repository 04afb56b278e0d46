import StatesLanguage
import Testing


/// RFC 4231's HMAC-SHA256 test vectors.
@Suite struct HMACTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var key: [UInt8]
        var data: [UInt8]
        var mac: String
        var testDescription: String { String(mac.prefix(12)) }
    }

    static let vectors: [Vector] = [
        Vector(key: [UInt8](repeating: 0x0b, count: 20), data: Array("Hi There".utf8),
               mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        Vector(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8),
               mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        Vector(key: [UInt8](repeating: 0xaa, count: 20), data: [UInt8](repeating: 0xdd, count: 50),
               mac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        // A key longer than the block is hashed first.
        Vector(key: [UInt8](repeating: 0xaa, count: 131), data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
               mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ]

    @Test(arguments: vectors)
    func matchesRFC4231(_ v: Vector) {
        #expect(HMAC.hex(HMAC.sha256(key: v.key, message: v.data)) == v.mac)
    }

    @Test func constantTimeEqualityComparesWholeValues() {
        #expect(HMAC.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!HMAC.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!HMAC.constantTimeEqual([1, 2, 3], [1, 2]))
    }
}
