import CZlib
import ServiceKit

/// Gzip, as S3 inventory reports are written (`….csv.gz`): inflated through the system zlib.
enum Gzip {
    static func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

    /// The bytes a gzip stream (one member or several, one after another) holds.
    static func decompress(_ input: [UInt8]) throws(ServiceError) -> [UInt8] {
        var out: [UInt8] = []
        var offset = 0
        while offset < input.count {
            var stream = z_stream()
            // 16 + 15: a gzip header and the largest window.
            guard inflateInit2_(&stream, 31, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw ServiceError("InternalError", "cannot start zlib", kind: .server)
            }
            defer { inflateEnd(&stream) }
            var status = Z_OK
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let consumed: Int = input.withUnsafeBufferPointer { inBuf in
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress.map { $0 + offset })
                stream.avail_in = UInt32(input.count - offset)
                while status == Z_OK {
                    chunk.withUnsafeMutableBufferPointer { outBuf in
                        stream.next_out = outBuf.baseAddress
                        stream.avail_out = UInt32(outBuf.count)
                        status = inflate(&stream, Z_NO_FLUSH)
                        out.append(contentsOf: outBuf[0..<(outBuf.count - Int(stream.avail_out))])
                    }
                }
                return input.count - offset - Int(stream.avail_in)
            }
            guard status == Z_STREAM_END else {
                throw ServiceError("InvalidObjectState", "The object is not a valid gzip file (zlib status \(status))")
            }
            offset += consumed
            // Anything after the last member that is not another member is ignored, as gunzip does.
            if !isGzip(Array(input[offset...].prefix(2))) { break }
        }
        return out
    }
}
