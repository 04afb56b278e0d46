import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// An HTTP request Baton makes to someone else's endpoint: a function served over HTTP, an SNS
/// HTTP subscription, an EventBridge API destination, the trace collector. Sent with
/// AsyncHTTPClient on SwiftNIO's event loops (connections pooled and kept alive, redirects
/// followed): FoundationNetworking's URLSession drives libcurl with dispatch timers, and for the
/// span exporter that was most of tracing's cost.
package enum OutboundHTTP {
    package struct Response: Sendable {
        package var status: Int
        package var body: [UInt8]

        package init(status: Int, body: [UInt8]) {
            self.status = status
            self.body = body
        }

        package var succeeded: Bool { (200..<300).contains(status) }
    }

    /// Sends one request and reads its answer: the status and at most `maximumBytes` of the body
    /// (a longer body is an error). Throws when the endpoint cannot be reached or does not answer
    /// within `timeoutSeconds`.
    package static func send(_ method: String, to url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
                             timeoutSeconds: Int64, maximumBytes: Int = 6 * 1024 * 1024) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(timeoutSeconds))
        let answer = try await response.body.collect(upTo: maximumBytes)
        return Response(status: Int(response.status.code), body: Array(answer.readableBytesView))
    }
}
