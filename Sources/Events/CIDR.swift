/// An IPv4 or IPv6 address block (`10.0.0.0/24`, `2001:db8::/32`), as `cidr` matching uses.
struct CIDR: Sendable {
    let network: [UInt8]
    let bits: Int

    /// AWS's messages for a malformed block.
    init(_ text: String) throws(PatternError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw PatternError("Malformed CIDR, one '/' required") }
        guard let bits = Int(parts[1]) else { throw PatternError("Malformed CIDR, mask bits must be an integer") }
        guard let address = CIDR.parse(String(parts[0])) else { throw PatternError("Nonstandard IP address: \(parts[0])") }
        guard bits >= 0, bits <= address.count * 8 else { throw PatternError("Malformed CIDR, mask bits must be between 0 and \(address.count * 8)") }
        self.network = address
        self.bits = bits
    }

    func contains(_ text: String) -> Bool {
        guard let address = CIDR.parse(text), address.count == network.count else { return false }
        var remaining = bits
        for i in 0..<network.count where remaining > 0 {
            let take = min(8, remaining)
            let mask: UInt8 = take == 8 ? 0xFF : ~(0xFF >> UInt8(take))
            if address[i] & mask != network[i] & mask { return false }
            remaining -= take
        }
        return true
    }

    /// Four bytes for IPv4, sixteen for IPv6; nil when neither.
    static func parse(_ s: String) -> [UInt8]? {
        if s.contains(":") { return parseV6(s) }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), let v = UInt8(p) else { return nil }
            out.append(v)
        }
        return out
    }

    static func parseV6(_ s: String) -> [UInt8]? {
        let halves = s.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            for g in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}
