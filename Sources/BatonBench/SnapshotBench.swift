import Engine
import Foundation
import StatesInterpreter
import StatesLanguage

/// The execution snapshot written with every step: encode and decode rates for the state of a
/// run parked on a Wait after its start (what a routed event or a new execution writes), and
/// of one inside a Map of three Tasks.
enum SnapshotBench {
    static func run(seconds: Double) throws {
        let definitions = [
            ("wait", #"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}"#,
             #"{"source":"shop","detail-type":"Order","detail":{"total":42,"items":[{"sku":"a","n":1},{"sku":"b","n":2}]}}"#),
            ("map", #"{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},"End":true}}}"#,
             #"{"items":[1,2,3]}"#),
        ]
        for (name, text, inputText) in definitions {
            let interpreter = Interpreter(machine: try DefinitionCheck.parse(text))
            let input = try JSONParser.parse(inputText)
            let context = ExecutionContext(executionArn: "arn:aws:states:us-east-1:000000000000:execution:m:run", name: "run",
                                           roleArn: "arn:aws:iam::000000000000:role/r", stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:m",
                                           stateMachineName: "m", startTime: Timestamp(seconds: 1_700_000_000))
            var state = ExecutionState(context: context, input: input, seed: 7)
            _ = interpreter.decide(&state, on: Trigger(.start(input: input, context: context, randomSeed: 7), at: Timestamp(seconds: 1_700_000_000)))
            let bytes = try SnapshotCodec.encode(state)
            var n = 0
            let start = monotonicSeconds()
            while monotonicSeconds() - start < seconds {
                for _ in 0..<1000 { _ = try SnapshotCodec.encode(state) }
                n += 1000
            }
            let encodeRate = Double(n) / (monotonicSeconds() - start)
            n = 0
            let start2 = monotonicSeconds()
            while monotonicSeconds() - start2 < seconds {
                for _ in 0..<1000 { _ = try SnapshotCodec.decode(bytes) }
                n += 1000
            }
            let decodeRate = Double(n) / (monotonicSeconds() - start2)
            print(String(format: "%-5@ snapshot %5d bytes: encode %8.0f/s (%.2f µs), decode %8.0f/s (%.2f µs)", name as NSString, bytes.count,
                         encodeRate, 1e6 / encodeRate, decodeRate, 1e6 / decodeRate))
        }
    }
}
