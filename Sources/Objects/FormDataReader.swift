import ServiceKit

/// Reads a `multipart/form-data` body (RFC 7578) as it streams in: each part's headers, then
/// its content whole (a form field) or chunk by chunk (the file of a browser's POST upload),
/// with no more of the body in memory than the chunk at hand and one delimiter's length.
final class FormDataReader {
    struct Part {
        var name: String
        var filename: String?
        var contentType: String?
    }

    private let next: () async throws -> [UInt8]?
    private let delimiter: [UInt8]
    private var buffer: [UInt8] = []
    private var position = 0
    private var ended = false
    /// Inside a part's content (between its headers and the next delimiter).
    private var inContent = false

    init(boundary: String, next: @escaping () async throws -> [UInt8]?) {
        self.next = next
        // The first delimiter follows the (usually empty) preamble without a CRLF before it:
        // one is put in front so every delimiter looks the same.
        delimiter = Array("\r\n--\(boundary)".utf8)
        buffer = [13, 10]
    }

    /// `multipart/form-data; boundary=…` → the boundary.
    static func boundary(_ contentType: String) -> String? {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for piece in contentType.split(separator: ";").dropFirst() {
            let kv = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if kv.count == 2, kv[0].lowercased() == "boundary" {
                let b = kv[1].hasPrefix("\"") && kv[1].hasSuffix("\"") && kv[1].count >= 2 ? String(kv[1].dropFirst().dropLast()) : kv[1]
                return b.isEmpty ? nil : b
            }
        }
        return nil
    }

    static var malformed: ServiceError {
        ServiceError("MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.")
    }

    /// Reads more of the body; false at its end.
    private func fill() async throws -> Bool {
        guard !ended else { return false }
        guard let chunk = try await next() else {
            ended = true
            return false
        }
        if position > 65536 {
            buffer.removeFirst(position)
            position = 0
        }
        buffer += chunk
        return true
    }

    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard needle.count <= buffer.count - start, let first = needle.first else { return nil }
        var i = start
        let last = buffer.count - needle.count
        while i <= last {
            if buffer[i] == first {
                var j = 1
                while j < needle.count && buffer[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    /// The next part's headers, after skipping what is left of the current one; nil after the last.
    func nextPart() async throws -> Part? {
        while try await nextChunk() != nil {}
        // At a delimiter: find it (the preamble or an unread content before it is skipped).
        var at: Int?
        while true {
            at = find(delimiter, from: position)
            if at != nil { break }
            guard try await fill() else { throw Self.malformed }
        }
        guard let start = at else { throw Self.malformed }
        position = start + delimiter.count
        while buffer.count - position < 2 { guard try await fill() else { throw Self.malformed } }
        if buffer[position] == UInt8(ascii: "-") && buffer[position + 1] == UInt8(ascii: "-") { return nil }
        // The rest of the delimiter's line, then headers up to an empty line.
        var end: Int?
        while true {
            end = find([13, 10, 13, 10], from: position)
            if end != nil { break }
            guard buffer.count - position < 16 * 1024, try await fill() else { throw Self.malformed }
        }
        guard let headerEnd = end else { throw Self.malformed }
        let text = String(decoding: buffer[position..<headerEnd], as: UTF8.self)
        position = headerEnd + 4
        var part = Part(name: "")
        for line in text.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "content-type" { part.contentType = value }
            if name == "content-disposition" {
                for p in value.split(separator: ";").dropFirst() {
                    let kv = p.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard kv.count == 2 else { continue }
                    let v = kv[1].hasPrefix("\"") && kv[1].hasSuffix("\"") && kv[1].count >= 2 ? String(kv[1].dropFirst().dropLast()) : kv[1]
                    if kv[0].lowercased() == "name" { part.name = v }
                    if kv[0].lowercased() == "filename" { part.filename = v }
                }
            }
        }
        inContent = true
        return part
    }

    /// The next piece of the current part's content; nil at its end.
    func nextChunk() async throws -> [UInt8]? {
        guard inContent else { return nil }
        while true {
            if let d = find(delimiter, from: position) {
                inContent = false
                let out = Array(buffer[position..<d])
                position = d
                return out.isEmpty ? nil : out
            }
            // What cannot be the start of a delimiter can go.
            let safe = buffer.count - (delimiter.count - 1)
            if safe > position {
                let out = Array(buffer[position..<safe])
                position = safe
                return out
            }
            guard try await fill() else { throw Self.malformed }
        }
    }

    /// The current part's content whole, refused past `limit` bytes.
    func value(limit: Int) async throws -> [UInt8] {
        var out: [UInt8] = []
        while let chunk = try await nextChunk() {
            out += chunk
            if out.count > limit { throw ServiceError("MaxPostPreDataLengthExceeded", "Your POST request fields preceeding the upload file were too large.") }
        }
        return out
    }
}
