extension Array where Element == UInt8 {
    /// Appends a string's UTF-8 bytes, copied whole from its contiguous storage (appending its
    /// `utf8` view goes byte by byte through a generic path).
    @inlinable
    package mutating func appendUTF8(_ s: String) {
        var text = s
        text.withUTF8 { append(contentsOf: $0) }
    }
}
