import Foundation
import ServiceKit
import StatesLanguage
import Testing
@testable import Objects

/// Browser form uploads (S3's PostObject): the multipart reader at every chunk size, so a
/// delimiter split across chunks is still found, and the policy's checks as AWS words them.
@Suite struct FormUploadTests {
    static let body = Array(("preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nup/${filename}\r\n"
        + "--XyZ\r\nContent-Disposition: form-data; name=\"empty\"\r\n\r\n\r\n"
        + "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n"
        + "line one\r\n--XyA is no delimiter\r\n--Xy\r\n--XyZ--\r\n").utf8)

    @Test(arguments: [1, 2, 3, 7, 16, 1000])
    func aFormIsReadAtAnyChunkSize(_ size: Int) async throws {
        var chunks = stride(from: 0, to: Self.body.count, by: size).map { Array(Self.body[$0..<min($0 + size, Self.body.count)]) }
        let reader = FormDataReader(boundary: "XyZ", next: { chunks.isEmpty ? nil : chunks.removeFirst() })
        let key = try #require(try await reader.nextPart())
        #expect(key.name == "key")
        let keyValue = try await reader.value(limit: 100)
        #expect(String(decoding: keyValue, as: UTF8.self) == "up/${filename}")
        let empty = try #require(try await reader.nextPart())
        let emptyValue = try await reader.value(limit: 100)
        #expect(empty.name == "empty" && emptyValue.isEmpty)
        let file = try #require(try await reader.nextPart())
        #expect(file.name == "file" && file.filename == "a.txt" && file.contentType == "text/plain")
        var content: [UInt8] = []
        while let c = try await reader.nextChunk() { content += c }
        #expect(String(decoding: content, as: UTF8.self) == "line one\r\n--XyA is no delimiter\r\n--Xy")
        let after = try await reader.nextPart()
        #expect(after == nil)
    }

    @Test func aBodyCutShortIsMalformed() async throws {
        var chunks = [Array(Self.body.prefix(150))]
        let reader = FormDataReader(boundary: "XyZ", next: { chunks.isEmpty ? nil : chunks.removeFirst() })
        await #expect(throws: ServiceError("MalformedPOSTRequest", "")) {
            while try await reader.nextPart() != nil { _ = try await reader.value(limit: 1000) }
        }
    }

    @Test(arguments: [("multipart/form-data; boundary=abc", "abc"), ("multipart/form-data; boundary=\"a b\"", "a b"),
                      ("application/x-www-form-urlencoded", nil), ("multipart/form-data", nil)] as [(String, String?)])
    func theBoundaryIsTakenFromTheContentType(_ contentType: String, _ boundary: String?) {
        #expect(FormDataReader.boundary(contentType) == boundary)
    }
}
