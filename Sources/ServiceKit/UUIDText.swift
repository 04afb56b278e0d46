import StatesInterpreter

/// Request ids and the names AWS generates when none is given: a random UUID.
package enum UUIDText {
    package static func random() -> String {
        var g = SystemRandomNumberGenerator()
        var source = RandomSource(seed: g.next())
        return source.uuid()
    }
}
