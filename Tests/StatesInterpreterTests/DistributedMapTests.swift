import StatesInterpreter
import StatesLanguage
import Testing

/// A Distributed Map's run as decisions: the ItemReader's read is an effect whose answer
/// starts the iterations (no Task events recorded for it), the items parsed as the
/// ReaderConfig says and batched by the ItemBatcher, and the ResultWriter's write another
/// effect before MapRunSucceeded. No engine, no S3: the answers are given as triggers.
@Suite struct DistributedMapTests {
    static let start = StateTests.start

    static func map(_ fields: JSON) throws -> Interpreter {
        guard case .object(var m) = fields else { throw StatesError.runtime("fields") }
        m["Type"] = "Map"
        m["End"] = true
        m["ItemProcessor"] = ["ProcessorConfig": ["Mode": "DISTRIBUTED"], "StartAt": "P", "States": ["P": ["Type": "Pass", "End": true]]]
        return try StateTests.interpreter(["StartAt": "M", "States": ["M": .object(m)]])
    }

    /// Starts, answers the read with `body` (an object's content), returns the state and the last decision.
    static func run(_ i: Interpreter, input: JSON, body: String) -> (ExecutionState, Decision, TaskInvocation?) {
        var (state, d) = StateTests.begin(i, input: input)
        guard case .invokeTask(let read)? = d.effects.first else { return (state, d, nil) }
        _ = i.decide(&state, on: Trigger(.taskStarted(read.id), at: start))
        d = i.decide(&state, on: Trigger(.taskSucceeded(read.id, output: ["Body": .string(body)]), at: start))
        return (state, d, read)
    }

    static let csv = "Col1,Col2\nValue1,Value2\n\"a, \"\"quoted\"\"\",\nonly\n"

    /// (ReaderConfig, body, the items the map ends with, or the error it fails with).
    static let reads: [(JSON, String, JSON?, String?)] = [
        (["InputType": "JSON"], #"[{"a":1},{"a":2}]"#, [["a": 1], ["a": 2]], nil),
        (["InputType": "JSON", "MaxItems": 1], #"[{"a":1},{"a":2}]"#, [["a": 1]], nil),
        (["InputType": "JSONL"], "{\"a\":1}\n\n{\"a\":2}\n", [["a": 1], ["a": 2]], nil),
        (["InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"], csv,
         [["Col1": "Value1", "Col2": "Value2"], ["Col1": "a, \"quoted\"", "Col2": ""], ["Col1": "only", "Col2": ""]], nil),
        (["InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["H"]], "x,y\n", [["H": "x"]], nil),
        (["InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["H", "H"]], "x,y\n", nil, "States.ItemReaderFailed"),
        (["InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": "PIPE"], "a|b\n1|2\n", [["a": "1", "b": "2"]], nil),
        (["InputType": "JSON"], #"{"not":"an array"}"#, nil, "States.ItemReaderFailed"),
    ]

    @Test(arguments: reads)
    func anObjectsItemsAreReadAsItsConfigSays(_ config: JSON, _ body: String, _ items: JSON?, _ error: String?) throws {
        let i = try Self.map(["ItemReader": ["Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": config,
                                             "Parameters": ["Bucket.$": "$.b", "Key": "k"]]])
        let (state, d, read) = Self.run(i, input: ["b": "bucket"], body: body)
        #expect(read?.resource == "arn:aws:states:::s3:getObject")
        #expect(read?.parameters == ["Bucket": "bucket", "Key": "k"])
        if let items {
            #expect(state.status == .succeeded)
            #expect(state.output == items)
            #expect(d.events.map(\.type).suffix(4) == ["MapRunSucceeded", "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"])
        } else {
            #expect(state.failure?.error == error)
            #expect(d.events.map(\.type).first == "MapRunFailed")
        }
    }

    /// An inventory manifest: the reader is asked for the manifest's files (`InputType`
    /// passed on), and their rows under the schema are the items, MaxItems across files.
    @Test func anInventoryManifestsRowsAreTheItems() throws {
        let i = try Self.map(["ItemReader": ["Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": ["InputType": "MANIFEST", "MaxItems": 3],
                                             "Parameters": ["Bucket": "b", "Key": "manifest.json"]]])
        var (state, d) = StateTests.begin(i)
        guard case .invokeTask(let read)? = d.effects.first else { Issue.record("no read: \(d.effects)"); return }
        #expect(read.parameters == ["Bucket": "b", "Key": "manifest.json", "InputType": "MANIFEST"])
        _ = i.decide(&state, on: Trigger(.taskStarted(read.id), at: Self.start))
        let files: JSON = ["Files": ["\"b\",\"k1\",\"1\"\n\"b\",\"k2\",\"2\"\n", "\"b\",\"k3\",\"3\"\n\"b\",\"k4\",\"4\"\n"],
                           "Schema": ["Bucket", "Key", "Size"]]
        d = i.decide(&state, on: Trigger(.taskSucceeded(read.id, output: files), at: Self.start))
        #expect(state.status == .succeeded)
        #expect(state.output == [["Bucket": "b", "Key": "k1", "Size": "1"], ["Bucket": "b", "Key": "k2", "Size": "2"],
                                 ["Bucket": "b", "Key": "k3", "Size": "3"]])
    }

    @Test func theReadRecordsNoTaskEventsAndTheMapStartsWithLengthZero() throws {
        let i = try Self.map(["ItemReader": ["Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": ["InputType": "JSON"],
                                             "Parameters": ["Bucket": "b", "Key": "k"]]])
        var (state, d) = StateTests.begin(i)
        #expect(d.events.map(\.type) == ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted"])
        #expect(d.events[2].details["length"] == 0)
        guard case .invokeTask(let read)? = d.effects.first else { Issue.record("no read: \(d.effects)"); return }
        d = i.decide(&state, on: Trigger(.taskStarted(read.id), at: Self.start))
        #expect(d.events.isEmpty)
        d = i.decide(&state, on: Trigger(.taskFailed(read.id, StatesError("S3.NoSuchKeyException", "gone")), at: Self.start))
        #expect(d.events.map(\.type) == ["MapRunFailed", "MapStateFailed", "ExecutionFailed"])
        #expect(state.failure?.error == "States.ItemReaderFailed")
        #expect(state.failure?.cause?.contains("S3.NoSuchKeyException") == true)
    }

    @Test func itemsAreBatchedWithTheirBatchInput() throws {
        let i = try Self.map(["Items": [1, 2, 3, 4, 5] as JSON, "QueryLanguage": "JSONata",
                              "ItemBatcher": ["MaxItemsPerBatch": "{% $states.input.per %}", "BatchInput": ["tag": "{% $states.input.tag %}"]]])
        let (state, _) = StateTests.begin(i, input: ["per": 2, "tag": "t"])
        #expect(state.output == [["BatchInput": ["tag": "t"], "Items": [1, 2]], ["BatchInput": ["tag": "t"], "Items": [3, 4]],
                                 ["BatchInput": ["tag": "t"], "Items": [5]]])
    }

    @Test func batchesStayUnderTheirByteLimit() throws {
        let batches = try Self.map(["ItemsPath": "$.items", "ItemBatcher": ["MaxInputBytesPerBatch": 30]])
        let (state, _) = StateTests.begin(batches, input: ["items": ["aaaaaaaa", "bbbbbbbb", "cccccccc"]])
        // {"Items":["aaaaaaaa","bbbbbbbb"]} is 33 bytes: one item per batch.
        #expect(state.output?.arrayValue?.count == 3)
        #expect(state.output?.arrayValue?.allSatisfy { $0.serialized.utf8.count <= 30 } == true)
    }

    @Test func resultsAreWrittenBeforeTheRunSucceeds() throws {
        let i = try Self.map(["ItemsPath": "$.items",
                              "ResultWriter": ["Resource": "arn:aws:states:::s3:putObject", "Parameters": ["Bucket": "out", "Prefix": "runs"]]])
        var (state, d) = StateTests.begin(i, input: ["items": [1, 2]])
        guard case .invokeTask(let write)? = d.effects.last else { Issue.record("no write: \(d.effects)"); return }
        #expect(write.resource == "arn:aws:states:::s3:putObject")
        #expect(!d.events.map(\.type).contains("MapRunSucceeded"))
        let objects = write.parameters["Objects"]?.arrayValue ?? []
        let keys = objects.compactMap { $0["Key"]?.stringValue }
        #expect(keys.count == 2 && keys[0].hasPrefix("runs/") && keys[0].hasSuffix("/SUCCEEDED_0.json") && keys[1].hasSuffix("/manifest.json"))
        let results = try JSONParser.parse(Array((objects[0]["Body"]?.stringValue ?? "").utf8))
        #expect(results.arrayValue?.compactMap { $0["Output"]?.stringValue } == ["1", "2"])
        d = i.decide(&state, on: Trigger(.taskSucceeded(write.id, output: [:]), at: Self.start))
        #expect(d.events.map(\.type) == ["MapRunSucceeded", "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"])
        #expect(state.output?["ResultWriterDetails"] == ["Bucket": "out", "Key": .string(keys[1])])
        #expect(state.output?["MapRunArn"]?.stringValue?.contains(":mapRun:") == true)
    }

    @Test func aRunWaitingForItsItemsSurvivesASnapshot() throws {
        let i = try Self.map(["ItemReader": ["Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": ["InputType": "JSON"],
                                             "Parameters": ["Bucket": "b", "Key": "k"]]])
        let (state, d) = StateTests.begin(i)
        guard case .invokeTask(let read)? = d.effects.first else { Issue.record("no read"); return }
        var w = SnapshotWriter()
        state.write(to: &w)
        var r = SnapshotReader(w.bytes, from: 0)
        var back = try ExecutionState.read(from: &r)
        let after = i.decide(&back, on: Trigger(.taskSucceeded(read.id, output: ["Body": "[7]"]), at: Self.start))
        #expect(after.events.map(\.type).contains("MapRunSucceeded"))
        #expect(back.output == [7])
    }
}
