import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPAPI
import Logging
import NIOPosix
import ServiceKit
import StatesLanguage
import Testing

/// A service whose one action tells where it ran: on an event loop of the server's group or
/// not, before and after a suspension.
private struct WhereService: BatonService {
    var name: String { "where" }
    var wireProtocol: WireProtocol { .json(targetPrefix: "Where_1", version: "1.0") }
    var actions: [String: Action] {
        ["Here": { _ in
            let before = MultiThreadedEventLoopGroup.currentEventLoop != nil
            // A suspension that resumes from another thread (the pool's): the task comes back
            // to its preferred executor, the connection's loop.
            await Task.detached { await Task.yield() }.value
            let after = MultiThreadedEventLoopGroup.currentEventLoop != nil
            return .json(.object(["before": .bool(before), "after": .bool(after)]))
        }]
    }
    var browseViews: [BrowseView] { [] }
}

@Suite struct HTTPServerTests {
    /// A connection's requests are answered on its own event loop: the parser, the service and
    /// the writer share a thread, with no hop to the global pool and back per request.
    @Test func requestsRunOnTheirConnectionsEventLoop() async throws {
        let door = FrontDoor(services: [WhereService()], verifier: nil, clock: { Timestamp(seconds: 1_796_000_000) })
        let port = AsyncStream<Int>.makeStream()
        let server = HTTPServer(host: "127.0.0.1", port: 0, door: door, logger: Logger(label: "test"), bound: { port.continuation.yield($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            var ports = port.stream.makeAsyncIterator()
            let bound = try #require(await ports.next())
            var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(bound)/")))
            request.httpMethod = "POST"
            request.setValue("Where_1.Here", forHTTPHeaderField: "X-Amz-Target")
            request.setValue("application/x-amz-json-1.0", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data("{}".utf8)
            for _ in 0..<3 {
                let (data, response) = try await URLSession.shared.data(for: request)
                #expect((response as? HTTPURLResponse)?.statusCode == 200)
                let answer = try JSONParser.parse(Array(data))
                #expect(answer["before"] == .bool(true))
                #expect(answer["after"] == .bool(true))
            }
            group.cancelAll()
        }
    }
}
