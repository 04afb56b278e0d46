import StatesLanguage
import Testing

@Suite struct TimestampTests {
    @Test(arguments: [
        ("2016-03-14T01:59:00Z", Int64(1_457_920_740_000)),
        ("2016-03-14T01:59:00.123Z", Int64(1_457_920_740_123)),
        ("2016-03-14T03:59:00+02:00", Int64(1_457_920_740_000)),
        ("2016-03-13T23:59:00-0200", Int64(1_457_920_740_000)),
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2024-02-29T12:00:00Z", Int64(1_709_208_000_000)),
    ])
    func parses(_ text: String, _ millis: Int64) {
        #expect(Timestamp(iso8601: text)?.milliseconds == millis)
    }

    @Test(arguments: [
        "2016-03-14T01:59:00", "2016-13-05T21:29:29Z", "2016-12-05T25:29:29Z", "2023-02-29T00:00:00Z", "2016-03-14 01:59:00Z",
        "2016-03-14", "", "2016-03-14T01:59:00.Z", "2016-03-14T01:59:00Zjunk",
    ])
    func rejects(_ text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }

    @Test func printsWithMilliseconds() {
        #expect(Timestamp(milliseconds: 1_457_920_740_123).iso8601 == "2016-03-14T01:59:00.123Z")
    }
}
