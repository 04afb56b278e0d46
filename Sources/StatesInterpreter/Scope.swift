import StatesLanguage

/// What a path or template is evaluated against: the current input, the context object and
/// the variables in scope. The context object's JSON is built only when a `$$` path asks for
/// it (and the facts are held by value, not in a closure, so a scope costs no allocation).
package struct Scope {
    package var input: JSON
    var context: ContextObject?
    /// The variable scopes visible here, innermost first (empty when no variable is set).
    var variables: [JSONObject] = []

    init(input: JSON, context: ContextObject?, variables: [JSONObject] = []) {
        self.input = input
        self.context = context
        self.variables = variables
    }

    package init(input: JSON) {
        self.init(input: input, context: nil)
    }

    /// A variable's value: the innermost scope that has it wins.
    func variable(_ name: String) -> JSON? {
        for scope in variables { if let v = scope[name] { return v } }
        return nil
    }

    package func evaluate(_ path: JSONPath) throws(JSONPathNotFound) -> JSON {
        switch path.root {
        case .input:
            return try path.evaluate(input: input)
        case .context:
            return try path.evaluate(input: input, context: context?.json ?? .null)
        case .variable(let name):
            guard let value = variable(name) else { throw JSONPathNotFound(normalizedPath: path.text) }
            return try path.evaluate(input: input, context: value)
        }
    }

    /// The value at a path for a field, with AWS's message when it is missing.
    package func value(of path: JSONPath, field: String) throws(StatesError) -> JSON {
        do {
            return try evaluate(path)
        } catch {
            throw StatesError.runtime(
                "The JSONPath '\(path.text)' specified for the field '\(field)' could not be found in the input '\(input.serialized)'")
        }
    }
}
