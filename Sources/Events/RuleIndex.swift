import StatesLanguage

/// All the patterns of a bus, indexed so that matching an event costs about the same with
/// ten rules or ten thousand: the event is flattened once, each of its (path, value) pairs
/// looks up the rules anchored on it (by exact value, prefix, suffix or case-insensitive
/// value, in hash tables), and only those candidates are checked whole. A rule none of whose
/// fields can anchor it (only numeric ranges, say) is checked against every event.
///
/// AWS's own matcher (event-ruler) compiles rules into one automaton over the same flattened
/// pairs; anchoring on one field per rule gets the same independence from the rule count for
/// rules that name at least one value, which is nearly all of them (a source, a detail-type).
package struct RuleIndex<Payload: Sendable>: Sendable {
    private var patterns: [EventPattern] = []
    private var payloads: [Payload] = []
    private var exact: [String: [Int]] = [:]
    private var prefixes: [String: [Int]] = [:]
    private var suffixes: [String: [Int]] = [:]
    private var lowered: [String: [Int]] = [:]
    /// The prefix and suffix lengths registered per path, so an event value is cut only where a rule could match.
    private var prefixLengths: [String: [Int]] = [:]
    private var suffixLengths: [String: [Int]] = [:]
    private var scan: [Int] = []

    package init() {}

    package var count: Int { patterns.count }

    package mutating func add(_ pattern: EventPattern, _ payload: Payload) {
        let id = patterns.count
        patterns.append(pattern)
        payloads.append(payload)
        guard let (path, conditions) = Self.anchor(pattern.root) else {
            scan.append(id)
            return
        }
        for c in conditions {
            switch c {
            case .exact(let v): exact[Self.key(path, Self.canonical(v)), default: []].append(id)
            case .prefix(let p, false):
                prefixes[Self.key(path, p), default: []].append(id)
                Self.note(p.utf8.count, path, &prefixLengths)
            case .prefix(let p, true):
                lowered[Self.key(path, "^" + p.lowercased()), default: []].append(id)
                Self.note(p.lowercased().utf8.count, path, &prefixLengths)
            case .suffix(let p, false):
                suffixes[Self.key(path, p), default: []].append(id)
                Self.note(p.utf8.count, path, &suffixLengths)
            case .suffix(let p, true):
                lowered[Self.key(path, "$" + p.lowercased()), default: []].append(id)
                Self.note(p.lowercased().utf8.count, path, &suffixLengths)
            case .equalsIgnoreCase(let p): lowered[Self.key(path, "=" + p.lowercased()), default: []].append(id)
            default: break
            }
        }
    }

    /// The payloads of the rules the event matches, in the order they were added.
    package func matches(_ event: JSON) -> [Payload] {
        var leaves: [String: [JSON]] = [:]
        EventPattern.collect(event, prefix: "", into: &leaves)
        var candidates = Set(scan)
        for (path, values) in leaves {
            let pl = prefixLengths[path], sl = suffixLengths[path]
            for v in values {
                if let ids = exact[Self.key(path, Self.canonical(v))] { candidates.formUnion(ids) }
                guard case .string(let s) = v else { continue }
                if !lowered.isEmpty, let ids = lowered[Self.key(path, "=" + s.lowercased())] { candidates.formUnion(ids) }
                let bytes = Array(s.utf8)
                for n in pl ?? [] where n <= bytes.count {
                    let head = String(decoding: bytes[..<n], as: UTF8.self)
                    if let ids = prefixes[Self.key(path, head)] { candidates.formUnion(ids) }
                    if !lowered.isEmpty, let ids = lowered[Self.key(path, "^" + head.lowercased())] { candidates.formUnion(ids) }
                }
                for n in sl ?? [] where n <= bytes.count {
                    let tail = String(decoding: bytes[(bytes.count - n)...], as: UTF8.self)
                    if let ids = suffixes[Self.key(path, tail)] { candidates.formUnion(ids) }
                    if !lowered.isEmpty, let ids = lowered[Self.key(path, "$" + tail.lowercased())] { candidates.formUnion(ids) }
                }
            }
        }
        return candidates.sorted().filter { EventPattern.matches(patterns[$0].root, leaves) }.map { payloads[$0] }
    }

    /// A top-level field every condition of which can be looked up (the one with the fewest).
    static func anchor(_ flat: EventPattern.Flat) -> (String, [EventPattern.Condition])? {
        var best: (String, [EventPattern.Condition])?
        for (path, conditions) in flat.fields where conditions.allSatisfy(indexable) {
            if best == nil || conditions.count < (best?.1.count ?? 0) { best = (path, conditions) }
        }
        return best
    }

    static func indexable(_ c: EventPattern.Condition) -> Bool {
        switch c {
        case .exact, .prefix, .suffix, .equalsIgnoreCase: return true
        default: return false
        }
    }

    static func key(_ path: String, _ value: String) -> String { path + "\u{0}" + value }

    static func canonical(_ v: JSON) -> String {
        switch v {
        case .string(let s): return "s" + s
        case .null: return "z"
        case .bool(let b): return b ? "t" : "f"
        default:
            if let d = v.numberValue { return "n" + (d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)) }
            return "?" + v.serialized
        }
    }

    static func note(_ n: Int, _ path: String, _ table: inout [String: [Int]]) {
        if !(table[path]?.contains(n) ?? false) { table[path, default: []].append(n) }
    }
}
