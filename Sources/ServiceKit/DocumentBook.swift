import Journal

import StatesLanguage

/// A service's documents of one kind, cached in memory and written through the DocumentStore
/// before a change is acknowledged. Changes build on the latest accepted state (so two
/// updates of one name in flight make two versions); reads see only what is committed.
///
/// When other nodes share the store, their changes arrive as notices: the book reads the
/// changed document again (after its own writes of that key in flight, if any, so the last
/// word is the database's) and tells its watchers, which rebuild what they derive from it.
package actor DocumentBook<Value: Sendable> {
    let owner: String
    let store: any DocumentStore
    let encode: @Sendable (Value) -> JSON
    let decode: @Sendable (JSON) -> Value?
    private var working: [String: Value] = [:]
    private var committed: [String: Value] = [:]
    private var sequence: UInt64 = 0
    private var committedSequence: [String: UInt64] = [:]
    /// This node's writes in flight, per key; a key changed elsewhere meanwhile is read again after them.
    private var writing: [String: Int] = [:]
    private var changedMeanwhile: Set<String> = []
    private var watchers: [@Sendable (String, Value?) async -> Void] = []
    /// Other nodes write the store too: each change is compared with the stored bytes
    /// (`bodies`, kept only then) and made again on what is there when another node got first.
    let shared: Bool
    private var bodies: [String: [UInt8]] = [:]
    /// Shared: this node's changes, one at a time (the waiting ones queue here).
    private var changing = false
    private var waitingToChange: [CheckedContinuation<Void, Never>] = []

    package init(owner: String, store: any DocumentStore, encode: @escaping @Sendable (Value) -> JSON,
         decode: @escaping @Sendable (JSON) -> Value?) async throws(ServiceError) {
        self.owner = owner
        self.store = store
        self.encode = encode
        self.decode = decode
        shared = store.sharedWithOtherNodes
        let rows: [(key: String, body: [UInt8])]
        do { rows = try await store.documents(owner: owner) } catch {
            throw ServiceError("InternalFailure", "cannot read \(owner): \(error)", kind: .server)
        }
        for row in rows {
            guard let json = try? JSONParser.parse(row.body), let value = decode(json) else { continue }
            working[row.key] = value
            committed[row.key] = value
            if shared { bodies[row.key] = row.body }
        }
        store.observe(owner: owner) { [weak self] key in await self?.changedElsewhere(key) }
    }

    /// Calls `watcher` with each key another node changed, and its new value (nil: removed),
    /// once this book holds it.
    package func watch(_ watcher: @escaping @Sendable (String, Value?) async -> Void) {
        watchers.append(watcher)
    }

    /// Another node changed `key` (nil: maybe anything): read it again.
    func changedElsewhere(_ key: String?) async {
        guard let key else {
            let rows: [(key: String, body: [UInt8])]
            do { rows = try await store.documents(owner: owner) } catch { return }
            let keys = Set(rows.map(\.key)).union(committed.keys)
            for k in keys.sorted() { await changedElsewhere(k) }
            return
        }
        guard writing[key, default: 0] == 0 else {
            changedMeanwhile.insert(key)
            return
        }
        let body: [UInt8]?
        do { body = try await store.document(owner: owner, key: key) } catch { return }
        // A write of this node began while the read was out: it reads again when it ends.
        guard writing[key, default: 0] == 0 else {
            changedMeanwhile.insert(key)
            return
        }
        let value = body.flatMap { try? JSONParser.parse($0) }.flatMap(decode)
        working[key] = value
        committed[key] = value
        if shared { bodies[key] = body }
        sequence += 1
        committedSequence[key] = sequence
        for w in watchers { await w(key, value) }
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
        if shared { return try await updateShared(key, change) }
        var value = working[key]
        let result = try change(&value)
        working[key] = value
        sequence += 1
        let mine = sequence
        writing[key, default: 0] += 1
        do {
            try await store.write([DocumentWrite(owner: owner, key: key, body: value.map { encode($0).serializedBytes })])
        } catch {
            // Not written: the next change builds on what is committed.
            working[key] = committed[key]
            await wrote(key)
            throw ServiceError("InternalFailure", "cannot store \(key): \(error)", kind: .server)
        }
        if mine > committedSequence[key, default: 0] {
            committedSequence[key] = mine
            committed[key] = value
        }
        await wrote(key)
        return result
    }
}

extension DocumentBook {
    /// A write of `key` ended: when it was the last in flight and another node changed the key
    /// meanwhile, the database has the last word.
    private func wrote(_ key: String) async {
        writing[key, default: 1] -= 1
        guard writing[key] == 0 else { return }
        writing[key] = nil
        // Only when another node's notice came meanwhile (never on a store this process owns).
        if changedMeanwhile.remove(key) != nil { await changedElsewhere(key) }
    }
}

extension DocumentBook {
    /// A change on a store other nodes write: made on the stored value and written only if the
    /// stored bytes are still those (compare and set); when another node changed the document
    /// first, it is read again and the change made again on it (so a second create of one name
    /// is refused as on one node, and two nodes' updates both count).
    private func updateShared<R: Sendable>(_ key: String, _ change: (inout Value?) throws(ServiceError) -> R) async throws(ServiceError) -> R {
        await startChanging()
        defer { stopChanging() }
        for attempt in 0..<32 {
            if attempt > 1 {
                // Losing again and again to a node that changes the same name in a loop: back off
                // a little, at random, so that the two take turns.
                try? await Task.sleep(for: .milliseconds(Int.random(in: 1...(1 << min(attempt, 6)))))
            }
            var value = committed[key]
            let result = try change(&value)
            let body = value.map { encode($0).serializedBytes }
            writing[key, default: 0] += 1
            let applied: Bool
            do {
                applied = try await store.write(DocumentWrite(owner: owner, key: key, body: body), expecting: bodies[key])
            } catch {
                await wrote(key)
                throw ServiceError("InternalFailure", "cannot store \(key): \(error)", kind: .server)
            }
            if applied {
                working[key] = value
                committed[key] = value
                bodies[key] = body
                sequence += 1
                committedSequence[key] = sequence
                // A notice that came meanwhile is of a later change (ours was compared): read it.
                await wrote(key)
                return result
            }
            // Another node changed it first: what is stored now is what the change applies to.
            changedMeanwhile.insert(key)
            await wrote(key)
        }
        throw ServiceError("InternalFailure", "\(key) is being changed by other nodes; try again", kind: .server)
    }

    private func startChanging() async {
        guard changing else {
            changing = true
            return
        }
        await withCheckedContinuation { waitingToChange.append($0) }
    }

    private func stopChanging() {
        if waitingToChange.isEmpty { changing = false } else { waitingToChange.removeFirst().resume() }
    }
}
