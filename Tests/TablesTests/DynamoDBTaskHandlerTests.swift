import Testing
@testable import Tables

/// The `x-amz-crc32` header the optimised integration's metadata carries: CRC-32 of the body.
@Suite struct DynamoDBTaskHandlerTests {
    @Test(arguments: [("123456789", UInt32(0xCBF4_3926)), ("", 0), ("{}", 0xA3A6_BF43)])
    func theBodyChecksumIsCRC32(_ body: String, _ expected: UInt32) {
        #expect(DynamoDBTaskHandler(actions: [:]).crc32(Array(body.utf8)) == expected)
    }
}
