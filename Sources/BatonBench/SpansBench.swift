import Engine
import Foundation
import Journal
import StatesInterpreter
import StatesLanguage

/// Tracing's cost per execution on one thread, without the engine around it: a pass10 run's
/// committed events turned into spans (execution and states) and encoded in OTLP
/// batches as the exporter does, the run started inside a caller's trace (a `traceparent`
/// header, as over HTTP). Prints microseconds per execution.
enum SpansBench {
    static func run(seconds: Double) throws {
        let runner = LocalRunner(machine: try DefinitionCheck.parse(passChain(10)))
        var clock = ManualClock()
        let probe = runner.run(input: try JSONParser.parse(HotPathsBench.input), clock: &clock)
        var record = ExecutionRecord(arn: "arn:aws:states:us-east-1:000000000000:execution:pass10:bench", stateMachineArn:
                                        "arn:aws:states:us-east-1:000000000000:stateMachine:pass10", definitionId: 1, name: "bench",
                                     status: .succeeded, input: HotPathsBench.input, startMillis: 0)
        record.traceHeader = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        SpanEncodingSink.install()
        let spans = ExecutionSpans()
        var executions = 0
        let start = monotonicSeconds()
        while monotonicSeconds() - start < seconds {
            for _ in 0..<100 { spans.committed(record, probe.events) }
            executions += 100
        }
        let elapsed = monotonicSeconds() - start
        print(String(format: "spans: %d executions, %.2f µs each (%d events, %d spans each)", executions, elapsed * 1e6 / Double(executions),
                     probe.events.count, 11))
    }
}
