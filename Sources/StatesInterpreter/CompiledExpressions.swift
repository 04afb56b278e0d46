import Foundation
import JSONata
import StatesLanguage

/// The JSONata expressions of a definition, compiled once when the interpreter is built and
/// looked up by their text when a state evaluates them.
package struct CompiledExpressions: Sendable {
    struct Compiled: Sendable {
        var expression: JSONata
        /// False when every `$states` in the text is followed by `.input`, `.result` or
        /// `.errorOutput`: the context object then need not be built for it.
        var readsContext: Bool
    }

    var table: [String: Compiled] = [:]

    package init() {}

    /// Compiles every expression of a definition; a syntax error is a diagnostic at the
    /// field that holds the expression (AWS refuses such a definition at CreateStateMachine).
    package static func compile(_ machine: StateMachine) -> (CompiledExpressions, [Diagnostic]) {
        var compiled = CompiledExpressions()
        var diagnostics: [Diagnostic] = []
        for (text, location) in machine.expressions where compiled.table[text] == nil {
            do {
                compiled.table[text] = Compiled(expression: try JSONata(text), readsContext: readsContext(text))
            } catch {
                diagnostics.append(Diagnostic(code: Diagnostic.schemaValidationFailed,
                    message: "The JSONata expression '\(text)' is not valid: \(error.message) (\(error.code), at position \(error.position)).",
                    location: location))
            }
        }
        return (compiled, diagnostics)
    }

    subscript(text: String) -> Compiled? { table[text] }

    static func readsContext(_ text: String) -> Bool {
        var rest = Substring(text)
        while let r = rest.range(of: "$states") {
            rest = rest[r.upperBound...]
            guard rest.hasPrefix(".input") || rest.hasPrefix(".result") || rest.hasPrefix(".errorOutput") else { return true }
        }
        return false
    }
}

/// Definition checks that need the evaluator: the structure (`StateMachine.validate`) and
/// then every JSONata expression. The API, the CLI and the engine accept definitions through here.
package enum DefinitionCheck {
    package static func validate(_ text: String) -> (StateMachine?, [Diagnostic]) {
        let (machine, diagnostics) = StateMachine.validate(text)
        guard let machine else { return (nil, diagnostics) }
        let (_, expressionDiagnostics) = CompiledExpressions.compile(machine)
        let all = diagnostics + expressionDiagnostics
        return (all.contains { $0.severity == .error } ? nil : machine, all)
    }

    /// As AWS checks a definition it is given to run: the language, then its Task resources
    /// (an integration AWS does not have, unless `known` says this endpoint serves it) and
    /// what an EXPRESS workflow cannot run. The API and `baton validate` check through here.
    package static func validate(_ text: String, type: String, known: (String) -> Bool) -> (StateMachine?, [Diagnostic]) {
        let (machine, diagnostics) = validate(text)
        guard let machine else { return (nil, diagnostics) }
        var more: [Diagnostic] = []
        for t in ServiceIntegrations.tasks(machine, express: type == "EXPRESS") {
            if let p = ServiceIntegrations.problem(t.resource, known: known) {
                more.append(Diagnostic(.error, code: Diagnostic.schemaValidationFailed, message: p, location: t.location))
            } else if t.express, let p = ServiceIntegrations.expressProblem(t.resource) {
                more.append(Diagnostic(.error, code: Diagnostic.schemaValidationFailed, message: p, location: t.location))
            }
        }
        return (more.isEmpty ? machine : nil, diagnostics + more)
    }

    package static func parse(_ text: String) throws(InvalidDefinition) -> StateMachine {
        let (machine, diagnostics) = validate(text)
        guard let machine else { throw InvalidDefinition(diagnostics: diagnostics) }
        return machine
    }
}
