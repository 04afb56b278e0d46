import Journal
import Logging
import NIOConcurrencyHelpers
import ServiceKit
import ServiceLifecycleTestKit
import StatesLanguage
import Telemetry
import Testing

/// A collector that holds its first answer until the test lets it go, and fails a request whose
/// task is cancelled while it waits, as an HTTP client does.
final class HeldCollector: Sendable {
    private struct State {
        var received = 0
        var held = true
        var sending: CheckedContinuation<Void, Never>?
        var isSending = false
        var release: CheckedContinuation<Void, any Error>?
        var cancelled = false
    }
    private let state = NIOLockedValueBox(State())

    var received: Int { state.withLockedValue { $0.received } }
    /// The held request's task was cancelled (its spans lost).
    var cancelled: Bool { state.withLockedValue { $0.cancelled } }

    func send(_ body: [UInt8]) async throws -> OutboundHTTP.Response {
        let spans = (try? OTLPProtobufReader.document(body))?["resourceSpans"]?.arrayValue?.first?["scopeSpans"]?.arrayValue?.first?["spans"]?.arrayValue?.count ?? 0
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (waiter, go) = state.withLockedValue { s -> (CheckedContinuation<Void, Never>?, Bool) in
                    guard s.held else { return (nil, true) }
                    s.held = false
                    s.isSending = true
                    s.release = continuation
                    defer { s.sending = nil }
                    return (s.sending, false)
                }
                waiter?.resume()
                if go { continuation.resume() }
            }
        } onCancel: {
            state.withLockedValue { s in
                s.cancelled = true
                defer { s.release = nil }
                return s.release
            }?.resume(throwing: CancellationError())
        }
        state.withLockedValue { $0.received += spans }
        return OutboundHTTP.Response(status: 200, body: [])
    }

    /// Returns once the first batch is being sent.
    func waitUntilSending() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLockedValue { s -> Bool in
                if s.isSending { return true }
                s.sending = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Answers the held request.
    func answer() {
        state.withLockedValue { s in
            defer { s.release = nil }
            return s.release
        }?.resume()
    }
}

@Suite struct SpanExporterShutdownTests {
    static let everyMillisecond = {
        var b = SpanExporter.Batching()
        b.interval = .milliseconds(1)
        return b
    }()

    static func span(_ n: Int) -> SpanRecord {
        SpanRecord(traceId: Spans.newTraceId(), spanId: Spans.newSpanId(), parentSpanId: nil, name: "span \(n)",
                   kind: .internal, startNanos: 1, endNanos: 2, attributes: [])
    }

    /// "The last batch on shutdown": a batch on its way when the server is told to stop still
    /// arrives, and so do the spans that finished meanwhile.
    @Test func aBatchBeingSentWhenShutdownStartsArrives() async throws {
        let collector = HeldCollector()
        let made = SpanExporter(endpoint: "http://collector.test:4318", logger: Logger(label: "test"), batching: Self.everyMillisecond,
                                transport: { _, _, body in try await collector.send(body) })
        let exporter = try #require(made)
        for n in 0..<3 { exporter.add(Self.span(n)) }
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await exporter.run() }
                await collector.waitUntilSending()
                for n in 3..<5 { exporter.add(Self.span(n)) }
                trigger.triggerGracefulShutdown()
                // The shutdown reaches the exporter's tasks a few hops later: the answer waits
                // until a cancellation would have arrived (it comes within tens of yields).
                for _ in 0..<10_000 where !collector.cancelled { await Task.yield() }
                collector.answer()
                try await group.waitForAll()
            }
        }
        #expect(collector.received == 5)
    }
}
