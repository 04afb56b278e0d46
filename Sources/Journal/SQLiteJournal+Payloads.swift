import CSQLite
import Foundation
import StatesInterpreter
import StatesLanguage

/// Payloads journaled once per execution. A history carries the same input or output in many
/// events (a 200 KiB input through ten Pass states is twenty copies); each large top-level
/// string of an event's details is stored once in `payloads`, keyed by its content within the
/// execution, and the event keeps a reference. GetExecutionHistory puts the text back in the
/// same place, so its answers are byte-identical.
extension SQLiteJournal {
    /// Strings shorter than this stay inline: a reference would cost more than it saves.
    static let payloadThreshold = 1024

    /// Payloads already interned in the step being written, by the identity of their storage
    /// (every value is alive while its batch is written, so an identity is never reused).
    struct StepPayloads {
        var byIdentity: [UInt: (ref: String, size: Int)] = [:]
    }

    /// The details as stored (large values emptied) and the references (`key=j12;key=s3`: a
    /// JSON value or a string, by payload id), nil when nothing was large. Runs on the writer
    /// thread, inside the step's savepoint.
    func internPayloads(_ details: JSONObject, execution arn: String, step: inout StepPayloads) throws(JournalError) -> (JSONObject, String?) {
        var stored = details
        var refs: [String] = []
        for (key, value) in details {
            let identity = value.storageIdentity
            guard identity != nil || value.stringValue != nil else { continue }
            if let identity, let known = step.byIdentity[identity] {
                stored[key] = .null
                refs.append("\(key)=\(known.ref)")
                continue
            }
            let text: String
            let kind: String
            if case .string(let s) = value {
                text = s
                kind = "s"
            } else {
                text = value.serialized
                kind = "j"
            }
            guard text.utf8.count >= Self.payloadThreshold else { continue }
            let ref = kind + String(try payloadId(text, execution: arn))
            if let identity { step.byIdentity[identity] = (ref, text.utf8.count) }
            stored[key] = .null
            refs.append("\(key)=\(ref)")
        }
        return (stored, refs.isEmpty ? nil : refs.joined(separator: ";"))
    }

    /// The id of `text` among the execution's payloads, storing it if it is new. Equal hashes
    /// are compared byte for byte, so a collision can never swap one payload for another.
    private func payloadId(_ text: String, execution arn: String) throws(JournalError) -> Int64 {
        let hash = Int64(bitPattern: PayloadHash.of(text))
        let find = try writer.statement("SELECT id, body FROM payloads WHERE execution_arn = ?1 AND hash = ?2")
        find.bind(1, arn)
        find.bind(2, hash)
        var text = text
        while try find.step() {
            let n = Int(sqlite3_column_bytes(find.handle, 1))
            guard let p = sqlite3_column_text(find.handle, 1) else { continue }
            let same = text.withUTF8 { mine -> Bool in
                guard n == mine.count else { return false }
                guard n > 0, let base = mine.baseAddress else { return true }
                return memcmp(p, base, n) == 0
            }
            if same {
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
        let insert = try writer.statement("INSERT INTO payloads (execution_arn, id, hash, body) VALUES (?1, ?2, ?3, ?4)")
        insert.bind(1, arn)
        insert.bind(2, id)
        insert.bind(3, hash)
        insert.bind(4, text)
        try insert.run()
        return id
    }

    /// Puts referenced payloads back into details read from `events` (reader connection).
    static func restorePayloads(_ details: inout JSONObject, refs: String, execution arn: String, db: SQLiteConnection,
                                cache: inout [Int64: String]) throws(JournalError) {
        for ref in refs.split(separator: ";") {
            let kv = ref.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, let kind = kv[1].first, kind == "j" || kind == "s", let id = Int64(kv[1].dropFirst()) else {
                throw JournalError(.corrupt, "bad payload reference '\(ref)' in \(arn)")
            }
            if cache[id] == nil {
                let s = try db.statement("SELECT body FROM payloads WHERE execution_arn = ?1 AND id = ?2")
                s.bind(1, arn)
                s.bind(2, id)
                guard try s.step(), let body = s.string(0) else {
                    sqlite3_reset(s.handle)
                    throw JournalError(.corrupt, "payload \(id) of \(arn) is missing")
                }
                sqlite3_reset(s.handle)
                cache[id] = body
            }
            let body = cache[id] ?? ""
            if kind == "s" {
                details[String(kv[0])] = .string(body)
            } else {
                guard let value = try? JSONParser.parse(body) else { throw JournalError(.corrupt, "payload \(id) of \(arn) is not JSON") }
                details[String(kv[0])] = value
            }
        }
    }
}

/// A fast 64-bit hash of a string's UTF-8 bytes (multiply-xorshift over 8-byte words): an
/// index into an execution's payloads, never trusted alone.
enum PayloadHash {
    static func of(_ text: String) -> UInt64 {
        var copy = text
        return copy.withUTF8 { bytes in
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
}
