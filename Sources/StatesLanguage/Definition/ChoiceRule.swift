/// A Choice rule: a boolean expression over the state's input, with `Next` on top-level rules.
public struct ChoiceRule: Sendable {
    public indirect enum Condition: Sendable {
        case and([Condition])
        case or([Condition])
        case not(Condition)
        case comparison(variable: JSONPath, test: Test)
        /// JSONata: `Condition`, an expression (or a literal boolean) that must give a boolean.
        case jsonata(JSONataTemplate)
    }

    public enum Operand: Sendable {
        case value(JSON)
        case path(JSONPath)
    }

    public enum Relation: String, Sendable, CaseIterable {
        case equals = "Equals", lessThan = "LessThan", greaterThan = "GreaterThan"
        case lessThanEquals = "LessThanEquals", greaterThanEquals = "GreaterThanEquals"
    }

    public enum ValueKind: String, Sendable, CaseIterable {
        case string = "String", numeric = "Numeric", boolean = "Boolean", timestamp = "Timestamp"
    }

    public enum TypeTest: String, Sendable, CaseIterable {
        case isNull = "IsNull", isPresent = "IsPresent", isNumeric = "IsNumeric", isString = "IsString"
        case isBoolean = "IsBoolean", isTimestamp = "IsTimestamp"
    }

    public enum Test: Sendable {
        case compare(ValueKind, Relation, Operand)
        case typeTest(TypeTest, Bool)
        case stringMatches(String)
    }

    public var condition: Condition
    public var next: String?
    /// A matching rule's own `Assign` and (JSONata) `Output`, used instead of the state's.
    public var assign: Assignment? = nil
    public var output: JSONataTemplate? = nil
}
