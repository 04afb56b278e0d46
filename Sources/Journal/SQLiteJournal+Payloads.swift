import CSQLite
import Foundation
import StatesInterpreter
import StatesLanguage

/// Payloads journaled once per execution. A history carries the same data in many events: a
/// 200 KiB input through ten Pass states is twenty copies, and each state's output differs
/// from its input only in a small part. Large values are stored as chunks in `payloads`, once
/// per execution: a chunk is a value's JSON text with its large children left as `null` and
/// listed as parts (JSON Pointer -> chunk), so a 200 KiB blob shared by every output is stored
/// once and each output costs a few bytes. Events keep references; GetExecutionHistory puts
/// every value back in place, so its answers are byte-identical.
extension SQLiteJournal {
    /// Values whose text is shorter than this stay inline: a reference would cost more than it saves.
    static let payloadThreshold = 1024
    /// Containers this deep are written whole, not split further: a top-level value is split
    /// into its members, each member stored whole.
    static let chunkDepth = 1

    /// The details as stored, as JSON text (large values as `null`), and the references (from
    /// key to `j<id>` for a value or `s<id>` for a string), empty when nothing was large. One pass: every value is written straight into the text, and a large member is
    /// cut out into its chunk. Runs on the writer thread, inside the step's savepoint.
    func internPayloads(_ details: JSONObject, execution arn: String) throws(JournalError) -> (String, JSONObject) {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        var refs = JSONObject()
        out.append(UInt8(ascii: "{"))
        var first = true
        for (key, value) in details {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSON.writeString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            switch value {
            case .string(let text) where text.utf8.count >= Self.payloadThreshold:
                out.append(contentsOf: Self.null)
                var text = text
                let stored = text.withUTF8 { bytes in
                    Result { () throws(JournalError) in try chunkId(bytes, parts: [], execution: arn) }
                }
                let id = try stored.get()
                refs[key] = .string("s" + String(id))
            case .object, .array:
                let start = out.count
                var parts: [(path: String, id: Int64)] = []
                if let id = try encode(value, into: &out, parts: &parts, path: "", execution: arn, depth: 0) {
                    out.append(contentsOf: Self.null)
                    refs[key] = .string("j" + String(id))
                } else if !parts.isEmpty || out.count - start >= Self.payloadThreshold {
                    // Holding chunks, or large: stored as a chunk of its own.
                    let size = out.count - start
                    let id = try cutChunk(from: &out, at: start, parts: parts, execution: arn)
                    out.append(contentsOf: Self.null)
                    if let identity = value.storageIdentity { chunks.add(arn, identity, id: id, keeping: value, size: size) }
                    refs[key] = .string("j" + String(id))
                }
            default:
                value.write(to: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
        return (String(decoding: out, as: UTF8.self), refs)
    }

    static let null: [UInt8] = Array("null".utf8)

    /// Writes `value` into `out`, its large members cut out into chunks (written as `null`, listed
    /// in `parts`). Returns the chunk id instead when the whole value is already a chunk (by
    /// identity: written earlier in this execution), having written nothing.
    func encode(_ value: JSON, into out: inout [UInt8], parts: inout [(path: String, id: Int64)], path: String,
                execution arn: String, depth: Int) throws(JournalError) -> Int64? {
        guard let identity = value.storageIdentity else {
            value.write(to: &out)
            return nil
        }
        if let id = chunks.lookup(arn, identity) { return id }
        if depth >= Self.chunkDepth {
            // Deep enough: written whole, and cut out as a chunk of its own when large.
            let start = out.count
            value.write(to: &out)
            guard out.count - start >= Self.payloadThreshold else { return nil }
            let size = out.count - start
            let id = try cutChunk(from: &out, at: start, parts: [], execution: arn)
            chunks.add(arn, identity, id: id, keeping: value, size: size)
            return id
        }
        try Self.writeContainer(value, path: path, into: &out) { (child, childPath, out) throws(JournalError) in
            if let id = try encode(child, into: &out, parts: &parts, path: childPath, execution: arn, depth: depth + 1) {
                out.append(contentsOf: Self.null)
                parts.append((childPath, id))
            }
        }
        return nil
    }

    /// Writes an object's or array's framing and keys, and each member through `member` with its
    /// JSON Pointer path; anything else is written whole. Storing cuts members out and reading
    /// splices them back in through this one walk, so both agree on where a part is.
    static func writeContainer(_ value: JSON, path: String, into out: inout [UInt8],
                               _ member: (JSON, String, inout [UInt8]) throws(JournalError) -> Void) throws(JournalError) {
        switch value {
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, child) in o {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JSON.writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                try member(child, path + "/" + pointerToken(key), &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, child) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                try member(child, path + "/" + String(i), &out)
            }
            out.append(UInt8(ascii: "]"))
        default:
            value.write(to: &out)
        }
    }

    static func pointerToken(_ key: String) -> String {
        guard key.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return key }
        return key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    static func partsText(_ parts: [(path: String, id: Int64)]) -> String? {
        parts.isEmpty ? nil : JSON.array(parts.map { JSON.array([.string($0.path), .int($0.id)]) }).serialized
    }

    /// The id of this chunk among the execution's payloads, storing it if it is new. Equal
    /// hashes are compared byte for byte, so a collision never swaps one payload for another.
    /// Stores `out[start...]` as a chunk (or finds it stored) and removes it from `out`.
    private func cutChunk(from out: inout [UInt8], at start: Int, parts: [(path: String, id: Int64)],
                          execution arn: String) throws(JournalError) -> Int64 {
        let id = try out.withUnsafeBufferPointer { (all) throws(JournalError) in
            try chunkId(UnsafeBufferPointer(rebasing: all[start...]), parts: parts, execution: arn)
        }
        out.removeSubrange(start...)
        return id
    }

    private func chunkId(_ text: UnsafeBufferPointer<UInt8>, parts: [(path: String, id: Int64)], execution arn: String) throws(JournalError) -> Int64 {
        let partsText = Self.partsText(parts)
        let hash = Int64(bitPattern: PayloadHash.of(text) ^ (partsText.map(PayloadHash.of) ?? 0))
        let find = try writer.statement("SELECT id, body, parts FROM payloads WHERE execution_arn = ?1 AND hash = ?2")
        find.bind(1, arn)
        find.bind(2, hash)
        while try find.step() {
            let n = Int(sqlite3_column_bytes(find.handle, 1))
            guard let p = sqlite3_column_text(find.handle, 1) else { continue }
            let same = n == text.count && (n == 0 || text.baseAddress.map { memcmp(p, $0, n) == 0 } ?? false)
            if same && find.string(2) == partsText {
                let id = find.int64(0)
                sqlite3_reset(find.handle)
                return id
            }
        }
        sqlite3_reset(find.handle)
        let next = try writer.statement("SELECT COALESCE(MAX(id), 0) + 1 FROM payloads WHERE execution_arn = ?1")
        next.bind(1, arn)
        _ = try next.step()
        let id = next.int64(0)
        sqlite3_reset(next.handle)
        let insert = try writer.statement("INSERT INTO payloads (execution_arn, id, hash, body, parts) VALUES (?1, ?2, ?3, ?4, ?5)")
        insert.bind(1, arn)
        insert.bind(2, id)
        insert.bind(3, hash)
        // Bound in place: the bytes outlive the statement's run.
        insert.bind(4, text: text)
        insert.bind(5, partsText)
        try insert.run()
        return id
    }

    /// Puts referenced payloads back into details read from `events` (reader connection).
    static func restorePayloads(_ details: inout JSONObject, refs: String, execution arn: String, db: SQLiteConnection,
                                cache: inout [Int64: JSON]) throws(JournalError) {
        guard case .object(let references)? = try? JSONParser.parse(refs) else { throw JournalError(.corrupt, "bad payload references in \(arn)") }
        for (key, ref) in references {
            guard let r = ref.stringValue, let kind = r.first, kind == "j" || kind == "s", let id = Int64(r.dropFirst()) else {
                throw JournalError(.corrupt, "bad payload reference '\(ref)' in \(arn)")
            }
            if kind == "s" {
                let (body, _) = try chunk(id, execution: arn, db: db)
                details[key] = .string(body)
            } else {
                details[key] = try value(id, execution: arn, db: db, cache: &cache, depth: 0)
            }
        }
    }

    static func chunk(_ id: Int64, execution arn: String, db: SQLiteConnection) throws(JournalError) -> (String, String?) {
        let s = try db.statement("SELECT body, parts FROM payloads WHERE execution_arn = ?1 AND id = ?2")
        s.bind(1, arn)
        s.bind(2, id)
        defer { sqlite3_reset(s.handle) }
        guard try s.step(), let body = s.string(0) else { throw JournalError(.corrupt, "payload \(id) of \(arn) is missing") }
        return (body, s.string(1))
    }

    /// A chunk as a JSON value, its parts put back.
    static func value(_ id: Int64, execution arn: String, db: SQLiteConnection, cache: inout [Int64: JSON], depth: Int) throws(JournalError) -> JSON {
        if let known = cache[id] { return known }
        guard depth < 64 else { throw JournalError(.corrupt, "payload \(id) of \(arn) refers to itself") }
        let (body, parts) = try chunk(id, execution: arn, db: db)
        guard var v = try? JSONParser.parse(body) else { throw JournalError(.corrupt, "payload \(id) of \(arn) is not JSON") }
        if let parts {
            guard case .array(let list)? = try? JSONParser.parse(parts) else { throw JournalError(.corrupt, "payload \(id) of \(arn) has bad parts") }
            for part in list {
                guard let pair = part.arrayValue, pair.count == 2, let path = pair[0].stringValue, let child = pair[1].integerValue else {
                    throw JournalError(.corrupt, "payload \(id) of \(arn) has a bad part")
                }
                let tokens = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
                    $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
                }
                let childValue = try value(child, execution: arn, db: db, cache: &cache, depth: depth + 1)
                guard Self.set(&v, at: tokens[...], childValue) else { throw JournalError(.corrupt, "payload \(id) of \(arn): no place \(path)") }
            }
        }
        cache[id] = v
        return v
    }

    /// Sets the value at a JSON Pointer's tokens; false when the place does not exist.
    static func set(_ target: inout JSON, at tokens: ArraySlice<String>, _ value: JSON) -> Bool {
        guard let first = tokens.first else {
            target = value
            return true
        }
        switch target {
        case .object(var o):
            guard var child = o[first] else { return false }
            target = .null
            guard set(&child, at: tokens.dropFirst(), value) else {
                target = .object(o)
                return false
            }
            o[first] = child
            target = .object(o)
            return true
        case .array(var a):
            guard let i = Int(first), a.indices.contains(i) else { return false }
            target = .null
            guard set(&a[i], at: tokens.dropFirst(), value) else {
                target = .array(a)
                return false
            }
            target = .array(a)
            return true
        default:
            return false
        }
    }
}

/// Chunks written by the writer, by (execution, storage identity), with their values kept
/// alive so that an identity cannot be reused by another value while it is here. Bounded by
/// bytes; entries of a step or transaction that rolled back are dropped. Writer thread only.
final class PayloadChunks: @unchecked Sendable {
    // @unchecked Sendable: used only on the journal's writer thread.
    struct Key: Hashable {
        var execution: String
        var identity: UInt
    }

    private var entries: [Key: (id: Int64, value: JSON, size: Int)] = [:]
    private var order: [Key] = []
    private var head = 0
    private var bytes = 0
    private var inStep: [Key] = []
    private var inTransaction: [Key] = []
    let budget: Int

    init(budget: Int = 32 << 20) { self.budget = budget }

    func lookup(_ execution: String, _ identity: UInt) -> Int64? { entries[Key(execution: execution, identity: identity)]?.id }

    func add(_ execution: String, _ identity: UInt, id: Int64, keeping value: JSON, size: Int) {
        let key = Key(execution: execution, identity: identity)
        guard entries[key] == nil else { return }
        entries[key] = (id, value, size)
        order.append(key)
        bytes += size
        inStep.append(key)
    }

    func stepSucceeded() {
        inTransaction += inStep
        inStep.removeAll()
    }

    func stepRolledBack() {
        drop(inStep)
        inStep.removeAll()
    }

    func transactionCommitted() {
        inTransaction.removeAll()
        while bytes > budget, head < order.count {
            if let e = entries.removeValue(forKey: order[head]) { bytes -= e.size }
            head += 1
        }
        if head > 4096 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }

    func transactionRolledBack() {
        drop(inTransaction + inStep)
        inTransaction.removeAll()
        inStep.removeAll()
    }

    private func drop(_ keys: [Key]) {
        for k in keys { if let e = entries.removeValue(forKey: k) { bytes -= e.size } }
    }
}

/// A fast 64-bit hash of a string's UTF-8 bytes (multiply-xorshift over 8-byte words): an
/// index into an execution's payloads, never trusted alone.
enum PayloadHash {
    static func of(_ text: String) -> UInt64 {
        var copy = text
        return copy.withUTF8 { of($0) }
    }

    static func of(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        let raw = UnsafeRawBufferPointer(bytes)
        var i = 0
        while i + 8 <= raw.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < raw.count {
            tail |= UInt64(raw[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 29)
    }
}
