import StatesLanguage

/// What a path or template is evaluated against: the current input and the context object.
/// The context object is built only when a `$$` path asks for it.
package struct Scope {
    package var input: JSON
    package var context: () -> JSON

    package init(input: JSON, context: @escaping () -> JSON) {
        self.input = input
        self.context = context
    }

    package func evaluate(_ path: JSONPath) throws(JSONPathNotFound) -> JSON {
        try path.evaluate(input: input, context: path.root == .context ? context() : .null)
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
