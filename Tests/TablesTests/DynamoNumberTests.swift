import Testing
@testable import Tables

/// DynamoDB's numbers: exact decimals of 38 digits, answered in normal form, ordered by value
/// in their stored key bytes.
@Suite struct DynamoNumberTests {
    @Test(arguments: [
        ("1.50", "1.5"), ("0001", "1"), ("-0.0", "0"), ("1e3", "1000"), ("1.2E-3", "0.0012"), ("+7", "7"), ("-12.340", "-12.34"),
        ("123456789012345678901234567890.12345678", "123456789012345678901234567890.12345678"), (" 5 ", "5"),
        ("9.9999999999999999999999999999999999999E+125", "99999999999999999999999999999999999999" + String(repeating: "0", count: 88)),
        ("1E-130", "0." + String(repeating: "0", count: 129) + "1"),
    ])
    func parsesIntoNormalForm(_ text: String, _ normal: String) throws {
        #expect(try DynamoNumber(parsing: text).description == normal)
    }

    @Test(arguments: [
        ("abc", DynamoNumber.Problem.notANumber), ("", .notANumber), ("1e", .notANumber), ("1.2.3", .notANumber), ("NaN", .notANumber),
        ("1" + String(repeating: "1", count: 38), .tooPrecise), ("1E+126", .overflow), ("1E-131", .underflow),
    ])
    func refusesWhatDynamoDBRefuses(_ text: String, _ problem: DynamoNumber.Problem) {
        #expect(throws: problem) { try DynamoNumber(parsing: text) }
    }

    static let ordered = ["-1E+125", "-1000", "-10.5", "-10", "-9.99", "-1", "-0.5", "-0.05", "-1E-130", "0", "1E-130", "0.05", "0.5",
                          "1", "1.000001", "9.99", "10", "10.5", "11", "1000", "1E+125"]

    @Test func storedKeyBytesSortAsTheNumbers() throws {
        let numbers = try Self.ordered.map { try DynamoNumber(parsing: $0) }
        for (a, b) in zip(numbers, numbers.dropFirst()) {
            #expect(a < b, "\(a) < \(b)")
            #expect(ExpressionEvaluator.bytesOrder(a.orderedBytes, b.orderedBytes) < 0, "bytes of \(a) < bytes of \(b)")
        }
        // Equal values, whatever their text, share their bytes.
        #expect(try DynamoNumber(parsing: "1.50").orderedBytes == DynamoNumber(parsing: "15E-1").orderedBytes)
    }

    @Test(arguments: [("1.5", "2.25", "3.75"), ("10", "-10", "0"), ("-3", "1", "-2"), ("0.1", "0.2", "0.3"),
                      ("99999999999999999999", "1", "100000000000000000000"), ("1E+10", "1E-10", "10000000000.0000000001")])
    func addsExactly(_ a: String, _ b: String, _ sum: String) throws {
        #expect((try DynamoNumber(parsing: a) + DynamoNumber(parsing: b)).description == sum)
        #expect((try DynamoNumber(parsing: sum) - DynamoNumber(parsing: b)).description == (try DynamoNumber(parsing: a)).description)
    }
}
