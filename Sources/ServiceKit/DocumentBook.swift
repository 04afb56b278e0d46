import Journal

import StatesLanguage

/// A service's documents of one kind, cached in memory and written through the DocumentStore
/// before a change is acknowledged. Changes build on the latest accepted state (so two
/// updates of one name in flight make two versions); reads see only what is committed.
package actor DocumentBook<Value: Sendable> {
    let owner: String
    let store: any DocumentStore
    let encode: @Sendable (Value) -> JSON
    private var working: [String: Value] = [:]
    private var committed: [String: Value] = [:]
    private var sequence: UInt64 = 0
    private var committedSequence: [String: UInt64] = [:]

    package init(owner: String, store: any DocumentStore, encode: @escaping @Sendable (Value) -> JSON,
         decode: @Sendable (JSON) -> Value?) async throws(ServiceError) {
        self.owner = owner
        self.store = store
        self.encode = encode
        let rows: [(key: String, body: [UInt8])]
        do { rows = try await store.documents(owner: owner) } catch {
            throw ServiceError("InternalFailure", "cannot read \(owner): \(error)", kind: .server)
        }
        for row in rows {
            guard let json = try? JSONParser.parse(row.body), let value = decode(json) else { continue }
            working[row.key] = value
            committed[row.key] = value
        }
    }

    package func get(_ key: String) -> Value? { committed[key] }

    package var all: [(key: String, value: Value)] { committed.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) } }

    /// Stores a new value under `key`; throws `taken` (changing nothing) when the key has one.
    package func insert(_ key: String, _ value: Value, ifTaken taken: ServiceError) async throws(ServiceError) {
        _ = try await update(key) { (v: inout Value?) throws(ServiceError) in
            guard v == nil else { throw taken }
            v = value
        }
    }

    /// Applies `change` to the latest accepted value (nil: none; returning nil removes it),
    /// commits it, and returns what `change` returned.
    package func update<R: Sendable>(_ key: String, _ change: (inout Value?) throws(ServiceError) -> R) async throws(ServiceError) -> R {
        var value = working[key]
        let result = try change(&value)
        working[key] = value
        sequence += 1
        let mine = sequence
        do {
            try await store.write([DocumentWrite(owner: owner, key: key, body: value.map { encode($0).serializedBytes })])
        } catch {
            // Not written: the next change builds on what is committed.
            working[key] = committed[key]
            throw ServiceError("InternalFailure", "cannot store \(key): \(error)", kind: .server)
        }
        if mine > committedSequence[key, default: 0] {
            committedSequence[key] = mine
            committed[key] = value
        }
        return result
    }
}
