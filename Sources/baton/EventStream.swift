import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Reads a server-sent event stream (the console's live history) as it arrives: URLSession
/// hands the body over chunk by chunk to a delegate, which cuts it into events.
final class EventStream: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // @unchecked Sendable: `buffer` is touched only on the session's serial delegate queue.
    struct Event: Sendable {
        var name: String
        var data: String
    }

    private var buffer: [UInt8] = []
    private let sink: AsyncThrowingStream<Event, Error>.Continuation
    private var status = 0
    private var errorBody: [UInt8] = []

    private init(sink: AsyncThrowingStream<Event, Error>.Continuation) { self.sink = sink }

    /// The events of `request`'s answer, until the server ends the stream. A status other than
    /// 200 ends it with `Failure`.
    static func open(_ request: URLRequest) -> AsyncThrowingStream<Event, Error> {
        let (events, sink) = AsyncThrowingStream<Event, Error>.makeStream()
        let delegate = EventStream(sink: sink)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: .default, delegate: delegate, delegateQueue: queue)
        var request = request
        request.timeoutInterval = 24 * 3600
        let task = session.dataTask(with: request)
        sink.onTermination = { _ in
            task.cancel()
            session.invalidateAndCancel()
        }
        task.resume()
        return events
    }

    struct Failure: Error, CustomStringConvertible {
        var status: Int
        var body: String
        var description: String { "HTTP \(status): \(body)" }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        status = (response as? HTTPURLResponse)?.statusCode ?? 0
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        if status != 200 {
            errorBody += data
            return
        }
        buffer += data
        // Events end with a blank line.
        while let end = Self.blankLine(in: buffer) {
            let block = String(decoding: buffer[..<end.start], as: UTF8.self)
            buffer.removeSubrange(..<end.next)
            var name = "message", data: [String] = []
            for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("event:") { name = line.dropFirst(6).trimmingCharacters(in: .whitespaces) }
                if line.hasPrefix("data:") { data.append(String(line.dropFirst(5).drop { $0 == " " })) }
            }
            // A comment line alone (the server's heartbeat) is no event.
            if !data.isEmpty { sink.yield(Event(name: name, data: data.joined(separator: "\n"))) }
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if status != 200 && status != 0 {
            sink.finish(throwing: Failure(status: status, body: String(decoding: errorBody, as: UTF8.self)))
        } else if let error {
            sink.finish(throwing: error)
        } else {
            sink.finish()
        }
        session.finishTasksAndInvalidate()
    }

    static func blankLine(in bytes: [UInt8]) -> (start: Int, next: Int)? {
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 10 && bytes[i + 1] == 10 { return (i, i + 2) }
            i += 1
        }
        return nil
    }
}
