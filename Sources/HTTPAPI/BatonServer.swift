import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceKit
import StatesLanguage

/// The front door on Hummingbird: the request line and headers pick the destination, the
/// body is read up to that destination's limit, and the `FrontDoor` does the rest. Every
/// request goes through here: there is no other route to register.
package struct BatonResponder: HTTPResponder {
    package typealias Context = BasicRequestContext
    package let door: FrontDoor

    package init(door: FrontDoor) { self.door = door }

    package func respond(to request: Request, context: Context) async throws -> Response {
        var request = request
        var headers: [(String, String)] = request.headers.map { ($0.name.canonicalName, $0.value) }
        if let authority = request.head.authority, !headers.contains(where: { $0.0 == "host" }) { headers.append(("host", authority)) }
        let path = request.uri.path
        let query = request.uri.query ?? ""
        let method = request.method.rawValue
        var incoming = FrontDoor.Incoming(method: method, path: path, query: query, headers: headers)
        guard let destination = door.destination(method: method, path: path, target: incoming.header("x-amz-target"), query: query,
                                                 headers: headers) else {
            return Self.response(await door.handle(incoming))
        }
        let id = door.requestIds()
        if destination.streamsBody {
            // Read as the service consumes it: an object is never whole in memory.
            let iterator = BodyIterator(request.body.makeAsyncIterator())
            incoming.bodyStream = BodyStream { try await iterator.next() }
            var out = await door.handle(incoming, at: destination, requestId: id)
            // What the service left unread (it answered an error first) is read and dropped, so
            // the connection's next request starts where it should; past 16 MiB the connection
            // is closed instead.
            if !(await iterator.drain(upTo: 16 * 1024 * 1024)) { out.headers.append(("Connection", "close")) }
            return Self.response(out)
        }
        do {
            let buffer = try await request.collectBody(upTo: destination.maximumBodyBytes)
            incoming.body = Array(buffer.readableBytesView)
        } catch {
            return Self.response(door.render(ServiceError("RequestEntityTooLargeException",
                                                          "Request body is larger than \(destination.maximumBodyBytes) bytes", kind: .tooLarge),
                                             destination.wireProtocol, id))
        }
        return Self.response(await door.handle(incoming, at: destination, requestId: id))
    }

    static func response(_ out: FrontDoor.Outgoing) -> Response {
        var fields = HTTPFields()
        for (name, value) in out.headers {
            if let n = HTTPField.Name(name) { fields.append(HTTPField(name: n, value: value)) }
        }
        if let file = out.file {
            return Response(status: HTTPResponse.Status(code: out.status), headers: fields, body: Self.body(file))
        }
        if let stream = out.stream {
            // A body of known length (an object's bytes from the database) says so; an event stream does not.
            let length = out.headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) }
            return Response(status: HTTPResponse.Status(code: out.status), headers: fields, body: ResponseBody(contentLength: length) { writer in
                // The producer runs beside the writer: when the client leaves, a write throws,
                // and the producer (waiting for its next event) is cancelled.
                let (pieces, sink) = AsyncStream<[UInt8]>.makeStream()
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        defer { sink.finish() }
                        try? await stream { bytes in
                            try Task.checkCancellation()
                            sink.yield(bytes)
                        }
                    }
                    do {
                        for await piece in pieces { try await writer.write(ByteBuffer(bytes: piece)) }
                    } catch {}
                    group.cancelAll()
                }
                try await writer.finish(nil)
            })
        }
        if out.chunked {
            let bytes = out.body
            return Response(status: HTTPResponse.Status(code: out.status), headers: fields, body: ResponseBody { writer in
                try await writer.write(ByteBuffer(bytes: bytes))
                try await writer.finish(nil)
            })
        }
        return Response(status: HTTPResponse.Status(code: out.status), headers: fields,
                        body: .init(byteBuffer: ByteBuffer(bytes: out.body)))
    }

    /// A file's part, sent in 1 MiB chunks read as the client takes them, each read straight
    /// into the buffer that is sent (no copy between the page cache's and the socket's).
    static func body(_ file: FileBody) -> ResponseBody {
        ResponseBody(contentLength: Int(file.length)) { writer in
            defer { try? file.handle.close() }
            let fd = file.handle.fileDescriptor
            var offset = file.offset
            var left = file.length
            let allocator = ByteBufferAllocator()
            while left > 0 {
                let n = Int(min(left, 1 << 20))
                var buffer = allocator.buffer(capacity: n)
                let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: n) { raw -> Int in
                    while true {
                        let r = pread(fd, raw.baseAddress, n, off_t(offset))
                        if r >= 0 { return r }
                        if errno != EINTR { throw FileReadError(errno: errno) }
                    }
                }
                if got == 0 { break }
                try await writer.write(buffer)
                offset += UInt64(got)
                left -= UInt64(got)
            }
            try await writer.finish(nil)
        }
    }

    struct FileReadError: Error { var errno: Int32 }
}

/// The request body's iterator, consumed by one reader (the service) at a time.
final class BodyIterator: @unchecked Sendable {
    // @unchecked Sendable: the one service call that reads the body calls `next` in sequence.
    private var iterator: RequestBody.AsyncIterator

    init(_ iterator: RequestBody.AsyncIterator) { self.iterator = iterator }

    func next() async throws -> [UInt8]? {
        guard let buffer = try await iterator.next() else { return nil }
        return Array(buffer.readableBytesView)
    }

    /// Reads the rest of the body; false when more than `limit` bytes were left.
    func drain(upTo limit: Int) async -> Bool {
        var read = 0
        do {
            while let buffer = try await iterator.next() {
                read += buffer.readableBytes
                if read > limit { return false }
            }
            return true
        } catch {
            return false
        }
    }
}
