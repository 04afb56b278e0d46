import StatesLanguage

/// What a path or template is evaluated against: the current input and the context object.
/// The context object's JSON is built only when a `$$` path asks for it (and the facts are
/// held by value, not in a closure, so a scope costs no allocation).
package struct Scope {
    package var input: JSON
    var context: ContextObject?

    init(input: JSON, context: ContextObject?) {
        self.input = input
        self.context = context
    }

    package init(input: JSON) {
        self.init(input: input, context: nil)
    }

    package func evaluate(_ path: JSONPath) throws(JSONPathNotFound) -> JSON {
        try path.evaluate(input: input, context: path.root == .context ? (context?.json ?? .null) : .null)
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
