import StatesInterpreter
import StatesLanguage
import Testing

/// TestState's run (`StateTest`) with mocks, decided without an engine: what AWS's TestState
/// answers for a mocked result, a mocked error that a Retry or a Catch handles, a mocked Map or
/// Parallel, and the state configuration that says how many retries or failures came before.
@Suite struct StateTestTests {
    static let task = """
    {"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
     "Parameters":{"FunctionName":"f","Payload.$":"$"},"ResultSelector":{"p.$":"$.Payload"},"ResultPath":"$.r","Next":"After",
     "Retry":[{"ErrorEquals":["Lambda.TooManyRequestsException"],"MaxAttempts":2,"IntervalSeconds":3,"BackoffRate":2},
              {"ErrorEquals":["Slow"],"MaxAttempts":5,"IntervalSeconds":10,"BackoffRate":3,"MaxDelaySeconds":50}],
     "Catch":[{"ErrorEquals":["States.Timeout"],"Next":"Timeout"},{"ErrorEquals":["States.ALL"],"Next":"Fallback","ResultPath":"$.err"}]}
    """

    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var mock: StateTest.Mock
        var retries: Int? = nil
        var status: String
        var next: String?
        var output: String?
        var details: String?
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "a result flows through ResultSelector and ResultPath", mock: .result(["Payload": ["ok": true]]),
             status: "SUCCEEDED", next: "After", output: #"{"a":1,"r":{"p":{"ok":true}}}"#),
        Case(label: "an error its first retrier matches is retriable", mock: .error("Lambda.TooManyRequestsException", "busy"),
             status: "RETRIABLE", details: #"{"retryIndex":0,"retryBackoffIntervalSeconds":3}"#),
        Case(label: "after one retry the backoff has doubled", mock: .error("Lambda.TooManyRequestsException", "busy"), retries: 1,
             status: "RETRIABLE", details: #"{"retryIndex":0,"retryBackoffIntervalSeconds":6}"#),
        Case(label: "MaxDelaySeconds caps the backoff", mock: .error("Slow", ""), retries: 3,
             status: "RETRIABLE", details: #"{"retryIndex":1,"retryBackoffIntervalSeconds":50}"#),
        Case(label: "retries used up: the catcher that matches takes it", mock: .error("Lambda.TooManyRequestsException", "busy"), retries: 2,
             status: "CAUGHT_ERROR", next: "Fallback",
             output: #"{"a":1,"err":{"Error":"Lambda.TooManyRequestsException","Cause":"busy"}}"#, details: #"{"catchIndex":1}"#),
        Case(label: "an error no retrier matches goes to the first catcher that does", mock: .error("States.Timeout", "late"),
             status: "CAUGHT_ERROR", next: "Timeout",
             output: #"{"Error":"States.Timeout","Cause":"late"}"#, details: #"{"catchIndex":0}"#),
    ]

    @Test(arguments: cases)
    func aMockedTask(_ c: Case) throws {
        var test = try StateTest(definition: Self.task, stateName: nil, mocked: true, variables: nil)
        test.input = ["a": 1]
        test.mock = c.mock
        test.configuration.retrierRetryCount = c.retries
        let outcome = test.run(inspect: true)
        #expect(outcome.status == c.status)
        #expect(outcome.nextState == c.next)
        #expect(outcome.output?.serialized == c.output)
        #expect(outcome.inspection["errorDetails"]?.serialized == c.details)
        if case .error(let e, let cause) = c.mock {
            #expect(outcome.error == e)
            #expect(outcome.cause == cause)
        } else {
            #expect(outcome.inspection["result"] == .string(#"{"Payload":{"ok":true}}"#))
            #expect(outcome.inspection["afterParameters"] == .string(#"{"FunctionName":"f","Payload":{"a":1}}"#))
            #expect(outcome.inspection["afterResultSelector"] == .string(#"{"p":{"ok":true}}"#))
        }
    }

    @Test func aMockedMapShowsItsItemsAndRunsNoIteration() throws {
        let map = """
        {"Type":"Map","ItemsPath":"$.xs","ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
         "MaxConcurrency":2,"ToleratedFailureCount":1,"ResultPath":"$.out","End":true,
         "ItemProcessor":{"StartAt":"Boom","States":{"Boom":{"Type":"Fail","Error":"NeverRuns"}}}}
        """
        var test = try StateTest(definition: map, stateName: nil, mocked: true, variables: nil)
        test.input = ["xs": [10, 20]]
        test.mock = .result(["a", "b"])
        let outcome = test.run(inspect: true)
        #expect(outcome.status == "SUCCEEDED")
        #expect(outcome.output?.serialized == #"{"xs":[10,20],"out":["a","b"]}"#)
        #expect(outcome.inspection["afterItemsPath"] == .string("[10,20]"))
        #expect(outcome.inspection["afterItemSelector"] == .string(#"[{"v":10,"i":0},{"v":20,"i":1}]"#))
        #expect(outcome.inspection["maxConcurrency"] == .int(2))
        #expect(outcome.inspection["toleratedFailureCount"] == .int(1))

        // More failed iterations than it tolerates: the Map fails as AWS's would.
        test.configuration.mapIterationFailureCount = 2
        let failed = test.run(inspect: false)
        #expect(failed.status == "FAILED")
        #expect(failed.error == "States.ExceedToleratedFailureThreshold")
        test.configuration.mapIterationFailureCount = 1
        #expect(test.run(inspect: false).status == "SUCCEEDED")
    }

    struct ReaderCase: CustomTestStringConvertible, Sendable {
        var label: String
        var reader: String
        var data: String
        var pointer: String?
        var batcher: String?
        var batched: String?
        var selected: String
        var testDescription: String { label }
    }

    static let readerCases: [ReaderCase] = [
        ReaderCase(label: "a JSON object's nested array, batched, then each batch selected",
                   reader: #"{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON","ItemsPointer":"/data/items"},"Parameters":{"Bucket":"b","Key":"k"}}"#,
                   data: #"{"data":{"items":[{"n":1},{"n":2},{"n":3}]}}"#, pointer: #"[{"n":1},{"n":2},{"n":3}]"#,
                   batcher: #"{"MaxItemsPerBatch":2,"BatchInput":{"run.$":"$.run"}}"#,
                   batched: #"[{"BatchInput":{"run":"r1"},"Items":[{"n":1},{"n":2}]},{"BatchInput":{"run":"r1"},"Items":[{"n":3}]}]"#,
                   selected: #"[{"i":0,"size":2},{"i":1,"size":1}]"#),
        ReaderCase(label: "a CSV file read with its header row",
                   reader: #"{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"},"Parameters":{"Bucket":"b","Key":"k.csv"}}"#,
                   data: "name,age\nada,36\nbob,41\n",
                   selected: #"[{"i":0,"v":{"name":"ada","age":"36"}},{"i":1,"v":{"name":"bob","age":"41"}}]"#),
        ReaderCase(label: "a listing given as ListObjectsV2's answer, at most MaxItems",
                   reader: #"{"Resource":"arn:aws:states:::s3:listObjectsV2","ReaderConfig":{"MaxItems":1},"Parameters":{"Bucket":"b"}}"#,
                   data: #"{"Contents":[{"Key":"a.txt","Size":1},{"Key":"b.txt","Size":2}]}"#,
                   selected: #"[{"i":0,"v":{"Key":"a.txt","Size":1}}]"#),
    ]

    @Test(arguments: readerCases)
    func aMockedDistributedMapReadsTheGivenItemReaderData(_ c: ReaderCase) throws {
        let selector = c.batcher == nil ? #"{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value"}"#
                                        : #"{"i.$":"$$.Map.Item.Index","size.$":"States.ArrayLength($$.Map.Item.Value.Items)"}"#
        let map = """
        {"Type":"Map","ItemReader":\(c.reader),\(c.batcher.map { "\"ItemBatcher\":\($0)," } ?? "")"ItemSelector":\(selector),
         "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"p"}},"End":true,
         "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
                          "StartAt":"Boom","States":{"Boom":{"Type":"Fail","Error":"NeverRuns"}}}}
        """
        var test = try StateTest(definition: map, stateName: nil, mocked: true, variables: nil)
        test.input = ["run": "r1"]
        test.mock = .result(["done"])
        test.configuration.mapItemReaderData = c.data
        let outcome = test.run(inspect: true)
        #expect(outcome.status == "SUCCEEDED")
        #expect(outcome.output == ["done"])
        #expect(outcome.inspection["afterItemsPath"] == nil)
        #expect(outcome.inspection["afterItemsPointer"]?.stringValue == c.pointer)
        #expect(outcome.inspection["afterItemBatcher"]?.stringValue == c.batched)
        #expect(outcome.inspection["afterItemSelector"]?.stringValue == c.selected)
    }

    @Test func anItemsPointerToNoArrayFailsTheMapAsItsReaderWould() throws {
        let map = """
        {"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON","ItemsPointer":"/data/missing"},
         "Parameters":{"Bucket":"b","Key":"k"}},"End":true,
         "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}
        """
        var test = try StateTest(definition: map, stateName: nil, mocked: true, variables: nil)
        test.mock = .result([])
        test.configuration.mapItemReaderData = #"{"data":{"items":[1]}}"#
        let outcome = test.run(inspect: true)
        #expect(outcome.status == "FAILED")
        #expect(outcome.error == "States.ItemReaderFailed")
    }

    @Test func aStateInsideAWholeDefinitionTakesTheMachinesLanguageAndTheGivenContext() throws {
        let machine = """
        {"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
         "B":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Arguments":{"QueueUrl":"q","MessageBody":"{% $states.input.m %}"},
              "Output":"{% $states.result.MessageId & ' ' & $states.context.Execution.Name %}","End":true}}}
        """
        var test = try StateTest(definition: machine, stateName: "B", mocked: true, variables: nil)
        test.input = ["m": "hi"]
        test.mock = .result(["MessageId": "m-1"])
        test.context = #"{"Execution":{"Name":"given"}}"#
        let outcome = test.run(inspect: true)
        #expect(outcome.output == .string("m-1 given"))
        #expect(outcome.inspection["afterArguments"] == .string(#"{"QueueUrl":"q","MessageBody":"hi"}"#))
        #expect(throws: StateTest.Problem.self) { try StateTest(definition: machine, stateName: "Missing", mocked: true, variables: nil) }
    }

    @Test(arguments: [
        (#"{"Type":"Pass","End":true}"#, true, "ValidationException"),
        (#"{"Type":"Succeed"}"#, true, "ValidationException"),
        (#"{"Type":"Map","ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Succeed"}}},"End":true}"#, false, "InvalidDefinition"),
        (#"{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Succeed"}}}],"End":true}"#, false, "InvalidDefinition"),
    ])
    func statesThatCannotBeTestedSo(definition: String, mocked: Bool, code: String) {
        #expect { try StateTest(definition: definition, stateName: nil, mocked: mocked, variables: nil) } throws: { error in
            (error as? StateTest.Problem)?.code == code
        }
    }
}
