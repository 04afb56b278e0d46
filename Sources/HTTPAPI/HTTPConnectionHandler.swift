import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceKit

/// One connection's requests, in order: the request line and headers pick the destination,
/// the body is read up to that destination's limit (or handed to it as it arrives, with
/// backpressure), the `FrontDoor` answers on a Swift task, and the answer is written back on
/// the connection's event loop. NIO's `HTTPServerPipelineHandler` before it holds a pipelined
/// request until the answer before it is written.
///
/// Everything here runs on the connection's event loop; a task reaches the handler only
/// through `NIOLoopBound` and `EventLoop.execute`.
final class HTTPConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    typealias BodySequence = NIOThrowingAsyncSequenceProducer<
        ByteBuffer, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, BodyDelegate
    >

    /// A request read so far, before its body is whole.
    struct Pending {
        var incoming: FrontDoor.Incoming
        /// Nil for a request no route takes: its body is not read into memory.
        var destination: FrontDoor.Destination?
        var id: String
    }

    /// Where the connection is in its current request.
    private enum State {
        case idle
        /// The body is read whole, up to the destination's limit, before the service sees it.
        case collecting(Pending, ByteBuffer?)
        /// The body goes to the service as it arrives.
        case streaming(BodySequence.Source)
        /// The rest of a body nobody reads (its answer, a refusal, went out already).
        case discarding
        /// The request is read; its answer is being made.
        case answering
    }

    private let door: FrontDoor
    private let logger: Logger
    private var state = State.idle
    private var keepAlive = true
    private var isHead = false
    private var version = HTTPVersion.http1_1
    /// Backpressure on a streamed body: reads are held while the service is behind.
    private var readingPaused = false
    private var readPending = false
    private var active = true
    /// Where this connection's requests are answered: its task in the server's task group.
    private let inbox: ConnectionInbox

    init(door: FrontDoor, inbox: ConnectionInbox, logger: Logger) {
        self.door = door
        self.inbox = inbox
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): begin(context, head)
        case .body(let buffer): receive(context, buffer)
        case .end: end(context)
        }
    }

    private func begin(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        keepAlive = head.isKeepAlive
        isHead = head.method == .HEAD
        version = head.version
        var headers: [(String, String)] = []
        headers.reserveCapacity(head.headers.count)
        var expectsContinue = false
        for (name, value) in head.headers {
            let name = Self.lowercased(name)
            if name == "expect", value.lowercased() == "100-continue" { expectsContinue = true }
            headers.append((name, value))
        }
        let (path, query) = Self.split(head.uri)
        let method = head.method.rawValue
        var incoming = FrontDoor.Incoming(method: method, path: path, query: query, headers: headers)
        if expectsContinue {
            // boto3 and the aws CLI send `Expect: 100-continue` with every S3 upload and wait
            // up to a second for this before sending the body anyway. Every request is taken
            // (a refusal comes after the body, as from a server that ignores the header).
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        guard let destination = door.destination(method: method, path: path, target: incoming.header("x-amz-target"), query: query,
                                                 headers: headers) else {
            state = .collecting(Pending(incoming: incoming, destination: nil, id: ""), nil)
            return
        }
        let id = door.requestIds()
        guard destination.streamsBody else {
            state = .collecting(Pending(incoming: incoming, destination: destination, id: id), nil)
            return
        }
        // Read as the service consumes it: an object is never whole in memory.
        let produced = BodySequence.makeSequence(
            backPressureStrategy: .init(lowWatermark: 2, highWatermark: 8), finishOnDeinit: false,
            delegate: BodyDelegate(handler: NIOLoopBound((self, context), eventLoop: context.eventLoop)))
        state = .streaming(produced.source)
        let iterator = BodyIterator(produced.sequence.makeAsyncIterator())
        incoming.bodyStream = BodyStream { try await iterator.next() }
        answer(context) { [incoming] door in
            var out = await door.handle(incoming, at: destination, requestId: id)
            // What the service left unread (it answered an error first) is read and dropped, so
            // the connection's next request starts where it should; past 16 MiB the connection
            // is closed instead.
            if !(await iterator.drain(upTo: 16 * 1024 * 1024)) { out.headers.append(("Connection", "close")) }
            return out
        }
    }

    private func receive(_ context: ChannelHandlerContext, _ buffer: ByteBuffer) {
        switch state {
        case .collecting(let pending, var collected):
            guard let destination = pending.destination else { return }
            // The enum lets go of the buffer first, so appending does not copy it.
            state = .answering
            if (collected?.readableBytes ?? 0) + buffer.readableBytes > destination.maximumBodyBytes {
                state = .discarding
                keepAlive = false
                respond(context, door.render(ServiceError("RequestEntityTooLargeException",
                                                          "Request body is larger than \(destination.maximumBodyBytes) bytes", kind: .tooLarge),
                                             destination.wireProtocol, pending.id))
                return
            }
            if collected == nil {
                collected = buffer
            } else {
                collected?.writeImmutableBuffer(buffer)
            }
            state = .collecting(pending, collected)
        case .streaming(let source):
            if case .stopProducing = source.yield(buffer) { readingPaused = true }
        case .idle, .discarding, .answering:
            break
        }
    }

    private func end(_ context: ChannelHandlerContext) {
        switch state {
        case .collecting(let pending, let collected):
            state = .answering
            var incoming = pending.incoming
            guard let destination = pending.destination else {
                answer(context) { [incoming] door in await door.handle(incoming) }
                return
            }
            if let collected { incoming.body = Array(collected.readableBytesView) }
            let id = pending.id
            answer(context) { [incoming] door in await door.handle(incoming, at: destination, requestId: id) }
        case .streaming(let source):
            state = .answering
            source.finish()
        case .discarding:
            state = .idle
        case .idle, .answering:
            break
        }
    }

    /// Makes the answer on the connection's task and writes it from the event loop; a body
    /// made as it is sent is written from the task, each piece once the socket took the last.
    private func answer(_ context: ChannelHandlerContext, _ work: @escaping @Sendable (FrontDoor) async -> FrontDoor.Outgoing) {
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let door = self.door
        let channel = context.channel
        inbox.put {
            let out = await work(door)
            guard let stream = out.stream else {
                // The task runs on this loop (`EventLoopTaskExecutor`): answered at once.
                if loop.inEventLoop {
                    let (handler, context) = bound.value
                    handler.respond(context, out)
                } else {
                    loop.execute {
                        let (handler, context) = bound.value
                        handler.respond(context, out)
                    }
                }
                return
            }
            let closing = try? await loop.submit {
                let (handler, context) = bound.value
                return handler.respond(context, out)
            }.get()
            // Nil: the connection had closed; true: a HEAD, answered without its body.
            guard let closing, let closing else { return }
            do {
                try await stream { bytes in
                    try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: bytes))))
                }
                try await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
                if closing { try? await channel.close() }
            } catch {
                try? await channel.close()
            }
        }
    }

    /// Writes the answer, or for a body made as it is sent its head only, and then tells whether
    /// the connection closes after that body (nil when there is none to send).
    @discardableResult
    private func respond(_ context: ChannelHandlerContext, _ out: FrontDoor.Outgoing) -> Bool?? {
        guard active else { return nil }
        if case .streaming(let source) = state { source.finish() }
        // Idle before the end is written: a pipelined request may be read as it goes.
        if case .discarding = state {} else { state = .idle }
        resumeReading(context)
        var headers = HTTPHeaders()
        var hasLength = false
        var closing = !keepAlive
        for (name, value) in out.headers {
            headers.add(name: name, value: value)
            if name.utf8.count == 14, name.lowercased() == "content-length" { hasLength = true }
            if name.utf8.count == 10, name.lowercased() == "connection", value.lowercased() == "close" { closing = true }
        }
        headers.add(name: "Date", value: HTTPDate.now())
        headers.add(name: "Server", value: "Baton")
        if closing, !keepAlive { headers.add(name: "Connection", value: "close") }
        if !closing, version.major == 1, version.minor == 0 { headers.add(name: "Connection", value: "keep-alive") }
        let status = HTTPResponseStatus(statusCode: out.status)
        if let file = out.file {
            if !hasLength { headers.add(name: "Content-Length", value: String(file.length)) }
            sendFile(context, file, HTTPResponseHead(version: version, status: status, headers: headers), closing: closing)
            return .some(nil)
        }
        if out.stream != nil {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
            if isHead {
                finish(context, closing: closing)
                return .some(nil)
            }
            return .some(closing)
        }
        if !hasLength, !out.chunked { headers.add(name: "Content-Length", value: String(out.body.count)) }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        if !isHead, !out.body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: out.body.count)
            buffer.writeBytes(out.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        finish(context, closing: closing)
        return .some(nil)
    }

    /// A file's part, sent by the kernel from the page cache to the socket (`sendfile`): no copy
    /// through the process, and NIO writes it as the socket takes it.
    private func sendFile(_ context: ChannelHandlerContext, _ file: FileBody, _ head: HTTPResponseHead, closing: Bool) {
        let descriptor = isHead || file.length == 0 ? -1 : dup(file.handle.fileDescriptor)
        try? file.handle.close()
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if descriptor >= 0 {
            let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
            let region = FileRegion(fileHandle: handle, readerIndex: Int(file.offset), endIndex: Int(file.offset + file.length))
            context.write(wrapOutboundOut(.body(.fileRegion(region)))).whenComplete { _ in try? handle.close() }
        } else if !isHead, file.length > 0 {
            // The descriptor could not be kept: the promised length cannot be sent.
            logger.error("an object's file could not be sent", metadata: ["errno": "\(errno)"])
            context.flush()
            context.close(promise: nil)
            return
        }
        finish(context, closing: closing)
    }

    private func finish(_ context: ChannelHandlerContext, closing: Bool) {
        guard closing else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    // MARK: Backpressure on streamed bodies

    func read(context: ChannelHandlerContext) {
        if readingPaused {
            readPending = true
        } else {
            context.read()
        }
    }

    fileprivate func resumeReading(_ context: ChannelHandlerContext) {
        guard active else { return }
        readingPaused = false
        if readPending {
            readPending = false
            context.read()
        }
    }

    // MARK: The connection's end

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    private func stop() {
        guard active else { return }
        active = false
        if case .streaming(let source) = state { source.finish(ConnectionClosed()) }
        state = .idle
        inbox.close()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A parse error was answered (400) by NIO's handler before this one; a reset is not news.
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    struct ConnectionClosed: Error {}
}

extension HTTPConnectionHandler {
    /// Header names as the front door takes them: lower-cased (most clients send them capitalised).
    static func lowercased(_ name: String) -> String {
        name.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") } ? name.lowercased() : name
    }

    /// The request target's path and query, still percent-encoded; an absolute form
    /// (`http://host/path`, from a proxy) is reduced to its path.
    static func split(_ uri: String) -> (path: String, query: String) {
        var target = Substring(uri)
        if !target.hasPrefix("/"), let scheme = target.firstRange(of: "://") {
            let rest = target[scheme.upperBound...]
            target = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        }
        guard let mark = target.firstIndex(of: "?") else { return (target.isEmpty ? "/" : String(target), "") }
        let path = target[..<mark]
        return (path.isEmpty ? "/" : String(path), String(target[target.index(after: mark)...]))
    }
}

/// Wakes the connection's reads when the service has taken enough of a streamed body, or has
/// stopped reading it.
struct BodyDelegate: NIOAsyncSequenceProducerDelegate {
    let handler: NIOLoopBound<(HTTPConnectionHandler, ChannelHandlerContext)>

    func produceMore() { resume() }
    func didTerminate() { resume() }

    private func resume() {
        let handler = self.handler
        handler.eventLoop.execute {
            let (connection, context) = handler.value
            connection.resumeReading(context)
        }
    }
}

/// A streamed request body's iterator, consumed by one reader (the service) at a time.
final class BodyIterator: @unchecked Sendable {
    // @unchecked Sendable: the one service call that reads the body calls `next` in sequence,
    // and `drain` only after that call has returned.
    private var iterator: HTTPConnectionHandler.BodySequence.AsyncIterator

    init(_ iterator: HTTPConnectionHandler.BodySequence.AsyncIterator) { self.iterator = iterator }

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
