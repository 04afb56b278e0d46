import StatesLanguage
import Testing

/// The digests States.Hash and derived span ids use, against Python's hashlib on inputs whose
/// lengths fall at and around the block and padding boundaries (55/56 bytes leave no room for
/// the length in the last block; 64 fills one exactly). Input byte i is (7i + 3) mod 256.
@Suite struct HashingTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var length: Int
        var sha256: String
        var sha1: String
        var md5: String
        var testDescription: String { "\(length) bytes" }
    }

    static let vectors: [Vector] = [
        Vector(length: 0, sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               sha1: "da39a3ee5e6b4b0d3255bfef95601890afd80709", md5: "d41d8cd98f00b204e9800998ecf8427e"),
        Vector(length: 1, sha256: "084fed08b978af4d7d196a7446a86b58009e636b611db16211b65a9aadff29c5",
               sha1: "9842926af7ca0a8cca12604f945414f07b01e13d", md5: "8666683506aacd900bbd5a74ac4edf68"),
        Vector(length: 55, sha256: "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b",
               sha1: "ddf57317ef34bfee3b6df83d359098930eb278bc", md5: "52c0e574e1198de5fe3f8f11440dcb1b"),
        Vector(length: 56, sha256: "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27",
               sha1: "a0d492bb0fc889d0eca3bc137066ab6f4f74f369", md5: "46c9907fc908ee68b1e7b8e71286a518"),
        Vector(length: 63, sha256: "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055",
               sha1: "c55856749bef509bdfe6bfebfc7bf4e793e82132", md5: "a62f6d59e837867693f042f5b8f5a236"),
        Vector(length: 64, sha256: "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241",
               sha1: "bede92be29c3874e1b54ddc77988d606fc857a8e", md5: "7160b8fb5e9e4023d549c3971fbaeead"),
        Vector(length: 65, sha256: "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e",
               sha1: "b05a80522b053d6dc7e0a517d0e70212c7dad11f", md5: "70bd662e7aefbda85a0f7244167b7897"),
        Vector(length: 119, sha256: "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e",
               sha1: "504e27376a6e0f0dba8295b85cb25dc4dfa17d23", md5: "e84905d4214f4d1ca56c2cdcc152b143"),
        Vector(length: 120, sha256: "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5",
               sha1: "82134b02fb3f702491be9bed581eeab59334acb2", md5: "e3eb5a6c8669ea01a8c185b8abc8a5dc"),
        Vector(length: 1000, sha256: "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371",
               sha1: "4231a8a50a10fa9758db8ec71fdef855b751048a", md5: "10046f077f2082ac19676b8079f1cb1a"),
    ]

    static func hex(_ bytes: [UInt8]?) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: (bytes ?? []).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }

    @Test(arguments: vectors)
    func digestsMatchTheReference(_ v: Vector) {
        let input = (0..<v.length).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
        #expect(Self.hex(Hashing.sha256(input)) == v.sha256)
        #expect(Self.hex(Hashing.digest(input, algorithm: "SHA-256")) == v.sha256)
        #expect(Self.hex(Hashing.digest(input, algorithm: "SHA-1")) == v.sha1)
        #expect(Self.hex(Hashing.digest(input, algorithm: "MD5")) == v.md5)
    }
}
