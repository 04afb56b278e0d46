@testable import Journal
import Testing

/// The catalogue cache's two rules: a write clears what is kept, and a read that started before
/// a write cannot put what it read back afterwards (it may have read the row before the write).
@Suite struct RecordCacheTests {
    @Test func keepsWhatWasReadIncludingAbsenceUntilAWriteClearsIt() throws {
        let cache = RecordCache<String>()
        let (miss, generation) = cache.lookup("a")
        #expect(miss == nil)
        cache.fill("a", "one", readAt: generation)
        cache.fill("b", nil, readAt: generation)
        #expect(cache.lookup("a").hit == .some("one"))
        // Known absent: a hit whose record is nil, not a miss.
        let absent = try #require(cache.lookup("b").hit)
        #expect(absent == nil)
        cache.clear()
        #expect(cache.lookup("a").hit == nil)
        #expect(cache.lookup("b").hit == nil)
    }

    @Test func aReadThatAWriteOvertookDoesNotFillTheCache() {
        let cache = RecordCache<String>()
        let (_, before) = cache.lookup("a")
        // The write commits and clears while the read is still on its way back with the old row.
        cache.clear()
        cache.fill("a", "old", readAt: before)
        #expect(cache.lookup("a").hit == nil)
        let (_, after) = cache.lookup("a")
        cache.fill("a", "new", readAt: after)
        #expect(cache.lookup("a").hit == .some("new"))
    }

    @Test func startsOverPastItsBound() {
        let cache = RecordCache<Int>(limit: 4)
        let (_, g) = cache.lookup("k0")
        for i in 0..<5 { cache.fill("k\(i)", i, readAt: g) }
        #expect(cache.lookup("k0").hit == nil)
        #expect(cache.lookup("k4").hit == .some(4))
    }
}
