import Journal

extension SpanExporter {
    /// How spans are gathered and sent: OpenTelemetry's batch span processor settings, read from
    /// the variables its SDKs read (`OTEL_BSP_*`). Baton's own defaults differ from the SDKs'
    /// (5 s, 2,048 queued, 512 a batch): a server making thousands of spans a second sends
    /// fewer, larger batches, each POST costing the process about as much as a few hundred spans'
    /// encoding, and holds more while a collector is slow.
    package struct Batching: Sendable, Equatable {
        /// `OTEL_BSP_SCHEDULE_DELAY`: the time between two sends, in milliseconds.
        package var interval: Duration = .seconds(1)
        /// `OTEL_BSP_MAX_QUEUE_SIZE`: spans waiting to be sent before the newest are dropped.
        package var maximumPending = 65_536
        /// `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`: spans in one request.
        package var batchSize = 8_192
        /// `OTEL_BSP_EXPORT_TIMEOUT`: how long one request may take, in milliseconds.
        package var timeout: Duration = .seconds(10)

        package init() {}

        /// From the environment; a variable that is set must be a positive whole number, and the
        /// batch no larger than the queue (the specification's rule), else `problem` says why.
        package static func from(environment env: [String: String]) -> (batching: Batching, problem: String?) {
            var b = Batching()
            func number(_ name: String) -> (Int?, String?) {
                guard let text = env[name] else { return (nil, nil) }
                guard let n = Int(text.trimmingSpaces), n > 0 else { return (nil, "\(name) must be a positive whole number, not \(text)") }
                return (n, nil)
            }
            var problems: [String] = []
            let (delay, p1) = number("OTEL_BSP_SCHEDULE_DELAY")
            let (queue, p2) = number("OTEL_BSP_MAX_QUEUE_SIZE")
            let (batch, p3) = number("OTEL_BSP_MAX_EXPORT_BATCH_SIZE")
            let (timeout, p4) = number("OTEL_BSP_EXPORT_TIMEOUT")
            problems += [p1, p2, p3, p4].compactMap { $0 }
            if let delay { b.interval = .milliseconds(delay) }
            if let timeout { b.timeout = .milliseconds(timeout) }
            if let queue {
                b.maximumPending = queue
                // A smaller queue than the default batch: batches are the queue's size.
                if batch == nil { b.batchSize = min(b.batchSize, queue) }
            }
            if let batch {
                if batch > b.maximumPending {
                    problems.append("OTEL_BSP_MAX_EXPORT_BATCH_SIZE (\(batch)) must not exceed OTEL_BSP_MAX_QUEUE_SIZE (\(b.maximumPending))")
                } else {
                    b.batchSize = batch
                }
            }
            return (b, problems.isEmpty ? nil : problems.joined(separator: "; "))
        }
    }
}
