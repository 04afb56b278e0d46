import ServiceKit
import Testing

/// The ids Baton draws are spelled as AWS's are: lowercase hex in the UUID layout, version and
/// variant bits set; time-ordered ones sort by when they were drawn.
@Suite struct UUIDTextTests {
    static func isUUID(_ s: String, version: Character) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.map(\.count) == [8, 4, 4, 4, 12] else { return false }
        guard s.allSatisfy({ $0 == "-" || ("0"..."9").contains($0) || ("a"..."f").contains($0) }) else { return false }
        return parts[2].first == version && "89ab".contains(parts[3].first ?? "x")
    }

    @Test func randomAndOrderedIdsAreLowercaseUUIDs() {
        for _ in 0..<200 {
            #expect(Self.isUUID(UUIDText.random(), version: "4"))
            #expect(Self.isUUID(UUIDText.ordered(millis: 1_764_000_000_000), version: "7"))
            let nonce = UUIDText.randomHex()
            #expect(nonce.count == 16 && nonce.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) })
        }
        let ids = (0..<100).map { UUIDText.ordered(millis: 1_764_000_000_000 + Int64($0 / 10)) }
        #expect(ids == ids.sorted())
    }
}
