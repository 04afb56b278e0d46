/// Builds an XML document as bytes: markup written as given, text escaped. AWS escapes the
/// carriage return too (`&#xD;`), so that a parser's line-end normalisation cannot change a
/// message body a client gets back.
package struct XMLWriter: Sendable {
    package private(set) var bytes: [UInt8] = []

    package init() { bytes.reserveCapacity(512) }

    package mutating func raw(_ markup: String) { bytes.append(contentsOf: markup.utf8) }

    package mutating func text(_ s: String) {
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "&"): bytes.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): bytes.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): bytes.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): bytes.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): bytes.append(contentsOf: "&apos;".utf8)
            case 13: bytes.append(contentsOf: "&#xD;".utf8)
            default: bytes.append(b)
            }
        }
    }

    /// `<name>text</name>`.
    package mutating func element(_ name: String, _ text: String) {
        raw("<\(name)>")
        self.text(text)
        raw("</\(name)>")
    }
}
