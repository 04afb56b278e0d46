extension Array where Element == UInt8 {
    /// Appends `v` as a base-128 varint, least significant group first (Protocol Buffers' and
    /// the execution snapshot's unsigned integers).
    @inlinable
    package mutating func appendVarint(_ v: UInt64) {
        var n = v
        while n >= 0x80 {
            append(UInt8(truncatingIfNeeded: n) | 0x80)
            n >>= 7
        }
        append(UInt8(n))
    }
}
