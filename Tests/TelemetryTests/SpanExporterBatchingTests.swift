import Telemetry
import Testing

/// OpenTelemetry's batch span processor variables (`OTEL_BSP_*`), as its SDKs read them: each
/// set one replaces Baton's default, a bad one is named, and a batch may not exceed the queue.
@Suite struct SpanExporterBatchingTests {
    @Test func unsetVariablesKeepTheDefaults() {
        let (b, problem) = SpanExporter.Batching.from(environment: [:])
        #expect(problem == nil && b == SpanExporter.Batching())
        #expect(b.interval == .seconds(1) && b.batchSize == 8_192 && b.maximumPending == 65_536 && b.timeout == .seconds(10))
    }

    @Test func eachVariableSetsItsValue() {
        let (b, problem) = SpanExporter.Batching.from(environment: [
            "OTEL_BSP_SCHEDULE_DELAY": "5000", "OTEL_BSP_MAX_QUEUE_SIZE": "2048", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "512",
            "OTEL_BSP_EXPORT_TIMEOUT": " 30000 ",
        ])
        #expect(problem == nil)
        #expect(b.interval == .milliseconds(5000) && b.maximumPending == 2048 && b.batchSize == 512 && b.timeout == .milliseconds(30000))
    }

    /// A queue smaller than the default batch makes the batch the queue's size.
    @Test func aSmallQueueAloneShrinksTheBatch() {
        let (b, problem) = SpanExporter.Batching.from(environment: ["OTEL_BSP_MAX_QUEUE_SIZE": "100"])
        #expect(problem == nil && b.maximumPending == 100 && b.batchSize == 100)
    }

    @Test(arguments: [
        (["OTEL_BSP_SCHEDULE_DELAY": "0"], "OTEL_BSP_SCHEDULE_DELAY must be a positive whole number, not 0"),
        (["OTEL_BSP_MAX_QUEUE_SIZE": "-5"], "OTEL_BSP_MAX_QUEUE_SIZE must be a positive whole number, not -5"),
        (["OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "1e3"], "OTEL_BSP_MAX_EXPORT_BATCH_SIZE must be a positive whole number, not 1e3"),
        (["OTEL_BSP_EXPORT_TIMEOUT": "soon"], "OTEL_BSP_EXPORT_TIMEOUT must be a positive whole number, not soon"),
        (["OTEL_BSP_MAX_QUEUE_SIZE": "1000", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "2000"],
         "OTEL_BSP_MAX_EXPORT_BATCH_SIZE (2000) must not exceed OTEL_BSP_MAX_QUEUE_SIZE (1000)"),
    ] as [([String: String], String)])
    func badValuesAreNamed(_ env: [String: String], _ message: String) {
        #expect(SpanExporter.Batching.from(environment: env).problem == message)
    }
}
