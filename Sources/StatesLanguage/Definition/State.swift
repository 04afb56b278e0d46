/// One state of a state machine, with the fields common to every type and its type's own.
public struct State: Sendable {
    public var name: String
    public var comment: String?
    public var transition: Transition
    /// `InputPath`: nil when the field is JSON null (the state then sees `{}`).
    public var inputPath: JSONPath?
    public var outputPath: JSONPath?
    public var parameters: PayloadTemplate?
    public var resultSelector: PayloadTemplate?
    public var resultPath: ResultPath
    public var retry: [Retrier]
    public var catchers: [Catcher]
    public var kind: Kind
    public var queryLanguage: QueryLanguage = .jsonPath
    /// `Assign`: variables set when the state completes (both query languages).
    public var assign: Assignment?
    /// JSONata states: `Output` (the state's output; absent: AWS's default for the type).
    public var output: JSONataTemplate?
    /// JSONata states: `Arguments` (a Task's parameters, a Parallel's branch input).
    public var arguments: JSONataTemplate?

    public var isJSONata: Bool { queryLanguage == .jsonata }

    public enum Transition: Sendable, Equatable {
        case next(String)
        case end
        /// Choice, Succeed and Fail decide their own way out.
        case none
    }

    /// `ResultPath`: where the result goes in the state's input.
    public enum ResultPath: Sendable {
        /// `$` or absent: the result replaces the input.
        case replace
        /// JSON null: the result is discarded and the input passes through.
        case discard
        case path(JSONPath)
    }

    public enum Kind: Sendable {
        case pass(result: JSON?)
        case task(TaskState)
        case choice(ChoiceState)
        case wait(WaitState)
        case succeed
        case fail(FailState)
        case parallel(branches: [StateMachine])
        case map(MapState)
    }

    /// History event types, as literals so no event allocates its type name.
    public var enteredEventType: String {
        switch kind {
        case .pass: return "PassStateEntered"
        case .task: return "TaskStateEntered"
        case .choice: return "ChoiceStateEntered"
        case .wait: return "WaitStateEntered"
        case .succeed: return "SucceedStateEntered"
        case .fail: return "FailStateEntered"
        case .parallel: return "ParallelStateEntered"
        case .map: return "MapStateEntered"
        }
    }

    public var exitedEventType: String {
        switch kind {
        case .pass: return "PassStateExited"
        case .task: return "TaskStateExited"
        case .choice: return "ChoiceStateExited"
        case .wait: return "WaitStateExited"
        case .succeed: return "SucceedStateExited"
        case .fail: return "FailStateExited"
        case .parallel: return "ParallelStateExited"
        case .map: return "MapStateExited"
        }
    }

    public var typeName: String {
        switch kind {
        case .pass: return "Pass"
        case .task: return "Task"
        case .choice: return "Choice"
        case .wait: return "Wait"
        case .succeed: return "Succeed"
        case .fail: return "Fail"
        case .parallel: return "Parallel"
        case .map: return "Map"
        }
    }
}

public struct TaskState: Sendable {
    public var resource: String {
        didSet { parsedResource = TaskResource(resource) }
    }
    /// The resource parsed when the definition is: a Task state that runs many times (a
    /// callback run's every step) does not parse its ARN each time.
    public private(set) var parsedResource: TaskResource?
    public var timeoutSeconds: IntOrPath?
    public var heartbeatSeconds: IntOrPath?
    public var credentials: JSON?

    public init(resource: String, timeoutSeconds: IntOrPath? = nil, heartbeatSeconds: IntOrPath? = nil, credentials: JSON? = nil) {
        self.resource = resource
        self.parsedResource = TaskResource(resource)
        self.timeoutSeconds = timeoutSeconds
        self.heartbeatSeconds = heartbeatSeconds
        self.credentials = credentials
    }
}

/// A number given literally, through a reference path (`TimeoutSeconds`/`TimeoutSecondsPath`)
/// or, in a JSONata state, as an expression (`"TimeoutSeconds": "{% … %}"`).
public enum IntOrPath: Sendable {
    case value(Int)
    case path(JSONPath)
    case expression(String)
}

public struct WaitState: Sendable {
    public enum Duration: Sendable {
        case seconds(Int)
        case secondsPath(JSONPath)
        case timestamp(String)
        case timestampPath(JSONPath)
        /// JSONata: `"Seconds": "{% … %}"`, `"Timestamp": "{% … %}"`.
        case secondsExpression(String)
        case timestampExpression(String)
    }
    public var duration: Duration
}

public struct FailState: Sendable {
    public enum Field: Sendable {
        case value(String)
        case path(JSONPath)
        case intrinsic(IntrinsicCall)
        case expression(String)
    }
    public var error: Field?
    public var cause: Field?
}

public struct ChoiceState: Sendable {
    public var choices: [ChoiceRule]
    public var defaultNext: String?
}

public struct MapState: Sendable {
    public var processor: StateMachine
    public var itemsPath: JSONPath?
    /// ItemSelector, or the older Parameters when used on a Map.
    public var itemSelector: PayloadTemplate?
    /// JSONata: `Items` (an array, or an expression giving one) and `ItemSelector`.
    public var items: JSONataTemplate?
    public var jsonataItemSelector: JSONataTemplate?
    public var maxConcurrency: IntOrPath
    public var toleratedFailurePercentage: NumberOrPath?
    public var toleratedFailureCount: IntOrPath?
    public var label: String?
    public var itemReader: ItemReader?
    public var itemBatcher: ItemBatcher?
    public var resultWriter: ResultWriter?

    public var usesItemReader: Bool { itemReader != nil }
    public var usesItemBatcher: Bool { itemBatcher != nil }
    public var usesResultWriter: Bool { resultWriter != nil }

    public var isDistributed: Bool { processor.processorMode == .distributed }
}

public enum NumberOrPath: Sendable {
    case value(Double)
    case path(JSONPath)
    case expression(String)
}

/// A `Retry` entry.
public struct Retrier: Sendable {
    public var errorEquals: [String]
    public var intervalSeconds: Int
    public var maxAttempts: Int
    public var backoffRate: Double
    public var maxDelaySeconds: Int?
    public var jitterFull: Bool
}

/// A `Catch` entry.
public struct Catcher: Sendable {
    public var errorEquals: [String]
    public var next: String
    public var resultPath: State.ResultPath
    /// JSONata: `Output` (absent: the error output itself) and, in both languages, `Assign`.
    public var output: JSONataTemplate?
    public var assign: Assignment?
}
