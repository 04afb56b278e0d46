/// Keys of work being performed now (outbox rows), so that a rescan does not start a second
/// performance of a slow one.
actor InFlightKeys {
    private var keys: Set<String> = []

    /// False when the key is already in flight.
    func insert(_ key: String) -> Bool { keys.insert(key).inserted }
    func remove(_ key: String) { keys.remove(key) }
    func contains(_ key: String) -> Bool { keys.contains(key) }
}
