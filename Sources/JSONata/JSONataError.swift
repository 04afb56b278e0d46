/// A JSONata compile or evaluation error, with the reference implementation's code (S0xxx
/// syntax, T0xxx/T1xxx/T2xxx type, D1xxx–D3xxx dynamic), its message and the position.
public struct JSONataError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var position: Int
    public var token: String?

    public init(_ code: String, _ message: String, position: Int = 0, token: String? = nil) {
        self.code = code
        self.message = message
        self.position = position
        self.token = token
    }

    public var description: String { "\(code): \(message)" }
}
