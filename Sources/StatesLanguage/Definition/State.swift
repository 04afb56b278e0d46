/// One state of a state machine, with the fields common to every type and its type's own.
///
/// The fields live behind one reference, copied on write: the interpreter looks a state up
/// several times a transition, and copying its fourteen fields (a retain each, and some
/// three hundred bytes moved) was a tenth of a Pass state's time.
public struct State: Sendable {
    // @unchecked Sendable: a Fields is changed only while this State holds its one reference.
    private final class Fields: @unchecked Sendable {
        var name: String
        var comment: String?
        var transition: Transition
        var inputPath: JSONPath?
        var outputPath: JSONPath?
        var parameters: PayloadTemplate?
        var resultSelector: PayloadTemplate?
        var resultPath: ResultPath
        var retry: [Retrier]
        var catchers: [Catcher]
        var kind: Kind
        var queryLanguage: QueryLanguage
        var assign: Assignment?
        var output: JSONataTemplate?
        var arguments: JSONataTemplate?

        init(name: String, comment: String?, transition: Transition, inputPath: JSONPath?, outputPath: JSONPath?,
             parameters: PayloadTemplate?, resultSelector: PayloadTemplate?, resultPath: ResultPath,
             retry: [Retrier], catchers: [Catcher], kind: Kind, queryLanguage: QueryLanguage, assign: Assignment?,
             output: JSONataTemplate?, arguments: JSONataTemplate?) {
            self.name = name
            self.comment = comment
            self.transition = transition
            self.inputPath = inputPath
            self.outputPath = outputPath
            self.parameters = parameters
            self.resultSelector = resultSelector
            self.resultPath = resultPath
            self.retry = retry
            self.catchers = catchers
            self.kind = kind
            self.queryLanguage = queryLanguage
            self.assign = assign
            self.output = output
            self.arguments = arguments
        }

        func copy() -> Fields {
            Fields(name: name, comment: comment, transition: transition, inputPath: inputPath,
                   outputPath: outputPath, parameters: parameters, resultSelector: resultSelector,
                   resultPath: resultPath, retry: retry, catchers: catchers, kind: kind,
                   queryLanguage: queryLanguage, assign: assign, output: output, arguments: arguments)
        }
    }

    private var fields: Fields

    public init(name: String, comment: String?, transition: Transition, inputPath: JSONPath?, outputPath: JSONPath?,
                parameters: PayloadTemplate?, resultSelector: PayloadTemplate?, resultPath: ResultPath,
                retry: [Retrier], catchers: [Catcher], kind: Kind, queryLanguage: QueryLanguage = .jsonPath,
                assign: Assignment? = nil, output: JSONataTemplate? = nil, arguments: JSONataTemplate? = nil) {
        fields = Fields(name: name, comment: comment, transition: transition, inputPath: inputPath,
                        outputPath: outputPath, parameters: parameters, resultSelector: resultSelector,
                        resultPath: resultPath, retry: retry, catchers: catchers, kind: kind,
                        queryLanguage: queryLanguage, assign: assign, output: output, arguments: arguments)
    }

    /// The fields, this State's own before a change.
    private mutating func owned() -> Fields {
        if !isKnownUniquelyReferenced(&fields) { fields = fields.copy() }
        return fields
    }

    public var name: String {
        get { fields.name }
        set { owned().name = newValue }
    }
    public var comment: String? {
        get { fields.comment }
        set { owned().comment = newValue }
    }
    public var transition: Transition {
        get { fields.transition }
        set { owned().transition = newValue }
    }
    /// `InputPath`: nil when the field is JSON null (the state then sees `{}`).
    public var inputPath: JSONPath? {
        get { fields.inputPath }
        set { owned().inputPath = newValue }
    }
    public var outputPath: JSONPath? {
        get { fields.outputPath }
        set { owned().outputPath = newValue }
    }
    public var parameters: PayloadTemplate? {
        get { fields.parameters }
        set { owned().parameters = newValue }
    }
    public var resultSelector: PayloadTemplate? {
        get { fields.resultSelector }
        set { owned().resultSelector = newValue }
    }
    public var resultPath: ResultPath {
        get { fields.resultPath }
        set { owned().resultPath = newValue }
    }
    public var retry: [Retrier] {
        get { fields.retry }
        set { owned().retry = newValue }
    }
    public var catchers: [Catcher] {
        get { fields.catchers }
        set { owned().catchers = newValue }
    }
    public var kind: Kind {
        get { fields.kind }
        set { owned().kind = newValue }
    }
    public var queryLanguage: QueryLanguage {
        get { fields.queryLanguage }
        set { owned().queryLanguage = newValue }
    }
    /// `Assign`: variables set when the state completes (both query languages).
    public var assign: Assignment? {
        get { fields.assign }
        set { owned().assign = newValue }
    }
    /// JSONata states: `Output` (the state's output; absent: AWS's default for the type).
    public var output: JSONataTemplate? {
        get { fields.output }
        set { owned().output = newValue }
    }
    /// JSONata states: `Arguments` (a Task's parameters, a Parallel's branch input).
    public var arguments: JSONataTemplate? {
        get { fields.arguments }
        set { owned().arguments = newValue }
    }

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
