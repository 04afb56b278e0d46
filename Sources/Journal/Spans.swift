import Foundation
import StatesLanguage

/// A finished span, as the OTLP exporter sends it: times in nanoseconds.
package struct SpanRecord: Sendable {
    package enum Kind: Int, Sendable {
        case `internal` = 1, server = 2, client = 3
    }

    package enum Value: Sendable, Equatable {
        case string(String), int(Int64), bool(Bool)
    }

    package var traceId: TraceId
    package var spanId: SpanId
    package var parentSpanId: SpanId?
    package var name: String
    package var kind: Kind
    package var startNanos: Int64
    package var endNanos: Int64
    package var attributes: [(String, Value)]
    /// Set when the span's work failed (OTLP's status code ERROR, with this message).
    package var error: String?

    package init(traceId: TraceId, spanId: SpanId, parentSpanId: SpanId?, name: String, kind: Kind, startNanos: Int64, endNanos: Int64,
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
    /// The same sink taking a step's spans at once (one lock, not one per span), when it has one.
    nonisolated(unsafe) private static var batchSink: (@Sendable ([SpanRecord]) -> Void)?

    package static var enabled: Bool { lock.withLock { sink != nil } }
    /// The share of new traces recorded (OpenTelemetry's trace-id ratio): 1 records all.
    nonisolated(unsafe) private static var rootRatio: Double = 1

    package static func install(_ newSink: (@Sendable (SpanRecord) -> Void)?, batch: (@Sendable ([SpanRecord]) -> Void)? = nil,
                                ratio: Double = 1) {
        lock.withLock {
            sink = newSink
            batchSink = newSink == nil ? nil : batch
            rootRatio = min(1, max(0, ratio))
        }
    }

    /// OpenTelemetry's parent-based sampler: a span whose caller sent a trace follows the
    /// caller's sampled flag; a new trace is recorded when its id falls within the ratio
    /// (the trace id's last 16 digits against ratio × 2^64, so every span of one trace decides alike).
    package static func sampled(_ incoming: TraceContext?, traceId: TraceId) -> Bool {
        if let incoming { return incoming.sampled }
        let ratio = lock.withLock { rootRatio }
        if ratio >= 1 { return true }
        if ratio <= 0 { return false }
        return Double(traceId.low) < ratio * Double(UInt64.max)
    }

    package static func emit(_ span: SpanRecord) {
        let current = lock.withLock { sink }
        current?(span)
    }

    /// Several spans at once (an execution's step makes one per state it ran).
    package static func emit(contentsOf spans: [SpanRecord]) {
        if spans.isEmpty { return }
        let (one, many) = lock.withLock { (sink, batchSink) }
        if let many {
            many(spans)
        } else if let one {
            for span in spans { one(span) }
        }
    }

    /// A new random span id.
    package static func newSpanId() -> SpanId { SpanId(nonZero: nextRandom()) }

    /// A new random trace id.
    package static func newTraceId() -> TraceId {
        TraceId(nonZero: nextRandom(), nextRandom())
    }

    /// Ids need to be unique, not secret: SplitMix64 seeded once from the system's generator,
    /// so a span costs no `getrandom` system call (tens of thousands of spans a second).
    nonisolated(unsafe) private static var state = UInt64.random(in: 0...UInt64.max)
    private static let stateLock = NSLock()

    static func nextRandom() -> UInt64 {
        var z: UInt64 = stateLock.withLock {
            state &+= 0x9E37_79B9_7F4A_7C15
            return state
        }
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return z == 0 ? 1 : z
    }

    /// A span id derived from `parts` (their bytes one after another, through `StableHash`):
    /// the same after a restart, so a durable execution's span keeps its id however many
    /// processes run it. Unique is all it needs to be, not secret: a traced step derives one,
    /// and SHA-256 was its dearest part.
    package static func derivedSpanId(_ parts: String...) -> SpanId {
        var h = StableHash()
        for part in parts { h.add(part) }
        return SpanId(nonZero: h.value)
    }

    /// A trace id derived from `text` (its SHA-256's first 16 bytes).
    package static func derivedTraceId(_ text: String) -> TraceId {
        TraceId(bytes: Hashing.sha256(Array(text.utf8))) ?? newTraceId()
    }

    /// Now, in nanoseconds since the epoch.
    package static func nowNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
