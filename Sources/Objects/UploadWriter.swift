import Crypto
import Foundation
import ServiceKit

/// Streams a request's body into a new blob of the store (`ObjectBytes`): decoded from
/// `aws-chunked` when the SDK sent it so (with the checksum in a trailer), hashed on the way
/// (MD5 for the ETag, the declared SHA-256, any `x-amz-checksum-*`), checked against what the
/// client declared, made durable. Nothing is in memory but the chunk at hand.
struct UploadWriter {
    struct Written {
        var file: String
        var size: Int64
        var md5: [UInt8]
        /// `x-amz-checksum-*` header → value, for the checksums computed.
        var checksums: [String: String]
        /// The bytes, when they are to be written with the object's row (`inline`).
        var inline: [UInt8]? = nil
    }

    /// `defaultChecksum`: the algorithm computed when the request names none (S3 gives every
    /// object a CRC64NVME; a part of a multipart upload gets none).
    /// `inline`: a small object's bytes may come back in `Written.inline`, for the caller to
    /// write in its object's transaction (`ObjectStore.Object.inline`).
    static func write(_ call: ServiceCall, into store: ObjectStore, defaultChecksum: Checksum.Algorithm? = .crc64nvme,
                      part: Bool = false, inline: Bool = false) async throws(ServiceError) -> Written {
        if let stream = call.bodyStream {
            return try await write(headers: call.headers, next: { try await stream.next() }, into: store, defaultChecksum: defaultChecksum,
                                   part: part, inline: inline)
        }
        var body: [UInt8]? = call.body
        return try await write(headers: call.headers, next: { defer { body = nil }; return body }, into: store, defaultChecksum: defaultChecksum,
                               part: part, inline: inline)
    }

    /// The same from any source of chunks (`nil` at the end): a form upload's file part.
    static func write(headers h: [String: String], next: () async throws -> [UInt8]?, into store: ObjectStore,
                      defaultChecksum: Checksum.Algorithm? = .crc64nvme, part: Bool = false, inline: Bool = false) async throws(ServiceError) -> Written {
        let writer = try await store.bytes.create()
        do {
            return try await fill(writer, headers: h, next: next, defaultChecksum: defaultChecksum, part: part, inline: inline)
        } catch {
            await writer.abandon()
            throw error
        }
    }

    private static func fill(_ writer: any BlobWriter, headers h: [String: String], next: () async throws -> [UInt8]?,
                             defaultChecksum: Checksum.Algorithm?, part: Bool, inline: Bool) async throws(ServiceError) -> Written {
        let declaredSHA = h["x-amz-content-sha256"].flatMap { $0.count == 64 ? $0.lowercased() : nil }
        let chunked = (h["content-encoding"] ?? "").contains("aws-chunked") || (h["x-amz-content-sha256"] ?? "").hasPrefix("STREAMING-")
        var algorithm = Checksum.Algorithm.allCases.first { h[$0.header] != nil }
        if algorithm == nil, let trailer = h["x-amz-trailer"] { algorithm = Checksum.Algorithm.allCases.first { $0.header == trailer.lowercased() } }
        if algorithm == nil, let named = h["x-amz-sdk-checksum-algorithm"] { algorithm = Checksum.Algorithm(rawValue: named.uppercased()) }
        // A Content-MD5 that is not an MD5 in base64 is refused before any byte is read.
        if let given = h["content-md5"], Data(base64Encoded: given)?.count != 16 {
            throw ServiceError("InvalidDigest", "The Content-MD5 you specified was invalid.", details: ["Content-MD5": .string(given)])
        }
        // AWS: one checksum per object.
        if Checksum.Algorithm.allCases.filter({ h[$0.header] != nil }).count > 1 {
            throw ServiceError("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
        }
        // A declared value that is not a digest of its algorithm's length is refused before any byte is read.
        for a in Checksum.Algorithm.allCases {
            if let v = h[a.header], Data(base64Encoded: v)?.count != a.length {
                throw ServiceError("InvalidRequest", "Value for \(a.header) header is invalid.")
            }
        }
        var checksum = (algorithm ?? defaultChecksum).map(Checksum.init)
        var md5 = Insecure.MD5()
        var sha = declaredSHA == nil ? nil : SHA256()
        var size: Int64 = 0
        var decoder = chunked ? AWSChunkedDecoder() : nil
        func consume(_ bytes: [UInt8]) async throws(ServiceError) {
            guard !bytes.isEmpty else { return }
            md5.update(data: bytes)
            sha?.update(data: bytes)
            checksum?.update(bytes)
            try await writer.write(bytes)
            size += Int64(bytes.count)
        }
        do {
            while let chunk = try await next() {
                if decoder != nil {
                    for piece in try decoder!.feed(chunk) { try await consume(piece) }
                } else {
                    try await consume(chunk)
                }
            }
            if let d = decoder, !d.finished {
                throw ServiceError("IncompleteBody", "The request body terminated unexpectedly")
            }
        } catch let e as ServiceError {
            throw e
        } catch {
            throw ServiceError("IncompleteBody", "The request body could not be read: \(error)")
        }
        let digest = Array(md5.finalize())
        if let given = h["content-md5"], given != Data(digest).base64EncodedString() {
            // AWS gives the expected digest in hex for an object, in base64 for a part.
            let expected = part ? given : (Data(base64Encoded: given) ?? Data()).map { String(format: "%02x", $0) }.joined()
            throw ServiceError("BadDigest", "The Content-MD5 you specified did not match what we received.",
                               details: ["CalculatedDigest": .string(Data(digest).base64EncodedString()), "ExpectedDigest": .string(expected)])
        }
        if let declaredSHA, let sha, declaredSHA != sha.finalize().map({ String(format: "%02x", $0) }).joined() {
            throw ServiceError("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
        }
        var checksums: [String: String] = [:]
        if let checksum {
            let value = checksum.value()
            let header = checksum.algorithm.header
            if let given = h[header] ?? decoder?.trailers[header], given != value {
                throw ServiceError("BadDigest", "The \(checksum.algorithm.rawValue) you specified did not match the calculated checksum.")
            }
            checksums[header] = value
        }
        // Durable before its row names it (or, inline, with it).
        if inline {
            let kept = try await writer.finishKeepingSmall()
            return Written(file: writer.name, size: size, md5: digest, checksums: checksums, inline: kept)
        }
        try await writer.finish()
        return Written(file: writer.name, size: size, md5: digest, checksums: checksums)
    }

}

/// `Content-Encoding: aws-chunked`: `hex-size[;chunk-signature=…]\r\n` + bytes + `\r\n`, …,
/// `0[;…]\r\n`, then trailers (`x-amz-checksum-crc32:…\r\n`) and an empty line.
struct AWSChunkedDecoder {
    enum Phase { case size, data(Int), dataEnd, trailers, done }
    var phase = Phase.size
    var pending: [UInt8] = []
    var trailers: [String: String] = [:]
    /// At the end (a stream whose last empty line never came is taken as ended after its last chunk).
    var finished: Bool {
        switch phase {
        case .done, .trailers: return true
        default: return false
        }
    }

    mutating func feed(_ bytes: [UInt8]) throws(ServiceError) -> [[UInt8]] {
        pending.append(contentsOf: bytes)
        var out: [[UInt8]] = []
        var i = 0
        func line() -> String? {
            guard let end = pending[i...].firstIndex(of: 10) else { return nil }
            var text = pending[i..<end]
            if text.last == 13 { text = text.dropLast() }
            i = end + 1
            return String(decoding: text, as: UTF8.self)
        }
        loop: while true {
            switch phase {
            case .size:
                guard let l = line() else { break loop }
                let hex = l.split(separator: ";").first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
                guard let n = Int(hex, radix: 16) else { throw ServiceError("IncompleteBody", "Malformed aws-chunked body: '\(l)'") }
                phase = n == 0 ? .trailers : .data(n)
            case .data(let n):
                let available = pending.count - i
                if available == 0 { break loop }
                let take = min(n, available)
                out.append(Array(pending[i..<(i + take)]))
                i += take
                phase = take == n ? .dataEnd : .data(n - take)
            case .dataEnd:
                guard let l = line() else { break loop }
                guard l.isEmpty else { throw ServiceError("IncompleteBody", "Malformed aws-chunked body: a chunk is longer than its size") }
                phase = .size
            case .trailers:
                guard let l = line() else { break loop }
                if l.isEmpty { phase = .done; continue }
                if let colon = l.firstIndex(of: ":") {
                    trailers[l[..<colon].lowercased()] = String(l[l.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                }
            case .done:
                break loop
            }
        }
        pending.removeFirst(i)
        return out
    }
}
