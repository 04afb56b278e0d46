/// A parsed, validated state machine (or a Parallel branch / Map processor, which have
/// the same shape: StartAt and States).
public struct StateMachine: Sendable {
    public var comment: String?
    public var startAt: String
    /// States in the order they were written.
    public var states: [State]
    public var stateIndex: [String: Int]
    public var timeoutSeconds: Int?
    public var version: String?
    /// For Map processors: the processor's mode (INLINE or DISTRIBUTED).
    public var processorMode: ProcessorMode = .inline
    /// For Distributed Map processors: the child executions' type (STANDARD or EXPRESS).
    public var executionType: String?
    /// For Distributed Map processors: the processor as a definition of its own (without its
    /// ProcessorConfig, with the QueryLanguage it inherits), which its child executions run.
    public var source: JSON?
    /// The top level's `QueryLanguage` (JSONPath when absent).
    public var queryLanguage: QueryLanguage = .jsonPath
    /// Every JSONata expression of the definition (root machine only), with its location:
    /// the interpreter compiles them once.
    public var expressions: [(text: String, location: String)] = []

    public enum ProcessorMode: String, Sendable { case inline = "INLINE", distributed = "DISTRIBUTED" }

    public init(comment: String? = nil, startAt: String, states: [State], timeoutSeconds: Int? = nil, version: String? = nil) {
        self.comment = comment
        self.startAt = startAt
        self.states = states
        self.timeoutSeconds = timeoutSeconds
        self.version = version
        var index: [String: Int] = [:]
        for (i, s) in states.enumerated() { index[s.name] = i }
        self.stateIndex = index
    }

    public subscript(name: String) -> State? {
        stateIndex[name].map { states[$0] }
    }

    /// Parses and validates a definition; throws every diagnostic when it has an error.
    public static func parse(_ text: String) throws(InvalidDefinition) -> StateMachine {
        let (machine, diagnostics) = DefinitionParser.parse(text)
        if let machine, !diagnostics.contains(where: { $0.severity == .error }) { return machine }
        throw InvalidDefinition(diagnostics: diagnostics)
    }
}

extension StateMachine {
    /// Every diagnostic for a definition, and the machine when it has no error.
    public static func validate(_ text: String) -> (StateMachine?, [Diagnostic]) {
        let (machine, diagnostics) = DefinitionParser.parse(text)
        return (diagnostics.contains { $0.severity == .error } ? nil : machine, diagnostics)
    }
}
