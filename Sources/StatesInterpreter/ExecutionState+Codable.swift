import StatesLanguage

// The execution state is journaled as a snapshot with every step that leaves the execution
// running, so a parked execution lives on disk only and recovery resumes from the last
// committed step without re-deciding it. The state's parts synthesise Codable; JSON values
// travel as their text, which keeps key order and `1` versus `1.0` exactly.
extension JSON: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try JSONParser.parse(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(serialized)
    }
}
