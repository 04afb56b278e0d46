/// `QueryLanguage`, at the top of a definition or on a state: how the state's fields select
/// and shape data. ASL: "JSONPath is the default"; a state's own field overrides the top level.
public enum QueryLanguage: String, Sendable {
    case jsonPath = "JSONPath"
    case jsonata = "JSONata"
}

/// An `Assign` field: a template of the state's query language that evaluates to an object
/// whose fields are the variables to set.
public enum Assignment: Sendable {
    case jsonPath(PayloadTemplate)
    case jsonata(JSONataTemplate)

    /// True when it assigns nothing (`"Assign": {}`): AWS then records no assigned variables.
    public var isEmpty: Bool {
        switch self {
        case .jsonPath(.literal(.object(let o))), .jsonata(.literal(.object(let o))): return o.isEmpty
        default: return false
        }
    }
}
