extension String {
    /// The first occurrence of `needle`, compared byte for byte in UTF-8 (what a host name is),
    /// without Foundation's `range(of:)` and its locale-aware machinery, which every request
    /// paid to learn that its host names no bucket.
    func byteRange(of needle: String) -> Range<String.Index>? {
        let hay = utf8, pattern = Array(needle.utf8)
        guard let first = pattern.first, hay.count >= pattern.count else { return nil }
        var i = hay.startIndex
        while i != hay.endIndex {
            if hay[i] == first {
                var h = i, k = 0
                while k < pattern.count, h != hay.endIndex, hay[h] == pattern[k] {
                    h = hay.index(after: h)
                    k += 1
                }
                if k == pattern.count { return i..<h }
            }
            i = hay.index(after: i)
        }
        return nil
    }
}
