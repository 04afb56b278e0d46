import Foundation
import StatesLanguage

/// A finished span, as the OTLP exporter sends it: ids in hex, times in nanoseconds.
package struct SpanRecord: Sendable {
    package enum Kind: Int, Sendable {
        case `internal` = 1, server = 2, client = 3
    }

    package enum Value: Sendable, Equatable {
        case string(String), int(Int64), bool(Bool)
    }

    package var traceId: String
    package var spanId: String
    package var parentSpanId: String?
    package var name: String
    package var kind: Kind
    package var startNanos: Int64
    package var endNanos: Int64
    package var attributes: [(String, Value)]
    /// Set when the span's work failed (OTLP's status code ERROR, with this message).
    package var error: String?

    package init(traceId: String, spanId: String, parentSpanId: String?, name: String, kind: Kind, startNanos: Int64, endNanos: Int64,
                 attributes: [(String, Value)] = [], error: String? = nil) {
        self.traceId = traceId
        self.spanId = spanId
        self.parentSpanId = parentSpanId
        self.name = name
        self.kind = kind
        self.startNanos = startNanos
        self.endNanos = endNanos
        self.attributes = attributes
        self.error = error
    }
}

/// Where finished spans go: nowhere until `baton serve --otlp-endpoint` installs the exporter,
/// so every producer pays one flag read when tracing is off.
package enum Spans {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var sink: (@Sendable (SpanRecord) -> Void)?

    package static var enabled: Bool { lock.withLock { sink != nil } }

    package static func install(_ newSink: (@Sendable (SpanRecord) -> Void)?) { lock.withLock { sink = newSink } }

    package static func emit(_ span: SpanRecord) {
        let current = lock.withLock { sink }
        current?(span)
    }

    /// A new random span id (16 hex digits).
    package static func newSpanId() -> String {
        var g = SystemRandomNumberGenerator()
        return TraceContext.hex(ArraySlice((0..<8).map { _ in UInt8.random(in: 0...255, using: &g) }))
    }

    /// A new random trace id (32 hex digits).
    package static func newTraceId() -> String {
        var g = SystemRandomNumberGenerator()
        return TraceContext.hex(ArraySlice((0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }))
    }

    /// An id derived from `text` (`digits` hex digits of its SHA-256): the same after a restart,
    /// so a durable execution's span keeps its id however many processes run it.
    package static func derivedId(_ text: String, digits: Int = 16) -> String {
        TraceContext.hex(ArraySlice(Hashing.sha256(Array(text.utf8)).prefix(digits / 2)))
    }

    /// Now, in nanoseconds since the epoch.
    package static func nowNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
