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
    /// One path's lookups: values to the rules anchored on them.
    struct PathIndex: Sendable {
        var strings: [String: [Int]] = [:]
        var numbers: [Double: [Int]] = [:]
        var others: [String: [Int]] = [:]
        var prefixes: [String: [Int]] = [:]
        var suffixes: [String: [Int]] = [:]
        var lowered: [String: [Int]] = [:]
        var lowerPrefixes: [String: [Int]] = [:]
        var lowerSuffixes: [String: [Int]] = [:]
        /// Lengths registered, so a value is cut only where a rule could match.
        var prefixLengths: [Int] = []
        var suffixLengths: [Int] = []
        var lowerPrefixLengths: [Int] = []
        var lowerSuffixLengths: [Int] = []
    }

    private var patterns: [EventPattern] = []
    private var payloads: [Payload] = []
    private var paths: [String: PathIndex] = [:]
    private var scan: [Int] = []
    /// Every path some rule names, and every object on the way to one: the rest of an event is never visited.
    private var known: Set<String> = []
    private var knownObjects: Set<String> = []

    package init() {}

    package var count: Int { patterns.count }

    package mutating func add(_ pattern: EventPattern, _ payload: Payload) {
        let id = patterns.count
        patterns.append(pattern)
        payloads.append(payload)
        Self.paths(of: pattern.root, into: &known)
        for path in known {
            var prefix = Substring(path)
            while let dot = prefix.lastIndex(of: ".") {
                prefix = prefix[..<dot]
                knownObjects.insert(String(prefix))
            }
        }
        guard let (path, conditions) = Self.anchor(pattern.root) else {
            scan.append(id)
            return
        }
        var p = paths[path] ?? PathIndex()
        for c in conditions {
            switch c {
            case .exact(.string(let v)): p.strings[v, default: []].append(id)
            case .exact(let v):
                if let d = v.numberValue { p.numbers[d, default: []].append(id) } else { p.others[v.serialized, default: []].append(id) }
            case .prefix(let v, false):
                p.prefixes[v, default: []].append(id)
                Self.note(v.utf8.count, &p.prefixLengths)
            case .prefix(let v, true):
                p.lowerPrefixes[v.lowercased(), default: []].append(id)
                Self.note(v.lowercased().utf8.count, &p.lowerPrefixLengths)
            case .suffix(let v, false):
                p.suffixes[v, default: []].append(id)
                Self.note(v.utf8.count, &p.suffixLengths)
            case .suffix(let v, true):
                p.lowerSuffixes[v.lowercased(), default: []].append(id)
                Self.note(v.lowercased().utf8.count, &p.lowerSuffixLengths)
            case .equalsIgnoreCase(let v): p.lowered[v.lowercased(), default: []].append(id)
            default: break
            }
        }
        paths[path] = p
    }

    static func paths(of flat: EventPattern.Flat, into out: inout Set<String>) {
        for (path, _) in flat.fields { out.insert(path) }
        for group in flat.alternatives { for alternative in group { paths(of: alternative, into: &out) } }
    }

    /// The event's leaves at the paths rules name (the rest is skipped, never copied).
    func leaves(of event: JSON) -> [String: [JSON]] {
        var out: [String: [JSON]] = [:]
        collect(event, prefix: "", into: &out)
        return out
    }

    private func collect(_ v: JSON, prefix: String, into out: inout [String: [JSON]]) {
        switch v {
        case .object(let o):
            for (key, child) in o {
                let path = prefix.isEmpty ? key : prefix + "." + key
                // Dotted keys ("a.b") may spell a known path themselves: only skip what can lead nowhere.
                guard known.contains(path) || knownObjects.contains(path) else { continue }
                collect(child, prefix: path, into: &out)
            }
        case .array(let items):
            for item in items { collect(item, prefix: prefix, into: &out) }
        default:
            if known.contains(prefix) { out[prefix, default: []].append(v) }
        }
    }

    /// The payloads of the rules the event matches, in the order they were added.
    package func matches(_ event: JSON) -> [Payload] {
        let leaves = leaves(of: event)
        var candidates = scan
        for (path, values) in leaves {
            guard let p = paths[path] else { continue }
            for v in values {
                switch v {
                case .string(let s):
                    if let ids = p.strings[s] { candidates += ids }
                    if !p.lowered.isEmpty || !p.lowerPrefixes.isEmpty || !p.lowerSuffixes.isEmpty {
                        let lower = s.lowercased()
                        if let ids = p.lowered[lower] { candidates += ids }
                        Self.cut(lower, p.lowerPrefixLengths, p.lowerPrefixes, fromEnd: false, into: &candidates)
                        Self.cut(lower, p.lowerSuffixLengths, p.lowerSuffixes, fromEnd: true, into: &candidates)
                    }
                    Self.cut(s, p.prefixLengths, p.prefixes, fromEnd: false, into: &candidates)
                    Self.cut(s, p.suffixLengths, p.suffixes, fromEnd: true, into: &candidates)
                default:
                    if let d = v.numberValue {
                        if let ids = p.numbers[d] { candidates += ids }
                    } else if !p.others.isEmpty, let ids = p.others[v.serialized] {
                        candidates += ids
                    }
                }
            }
        }
        guard !candidates.isEmpty else { return [] }
        candidates.sort()
        var out: [Payload] = []
        var last = -1
        for id in candidates where id != last {
            last = id
            if EventPattern.matches(patterns[id].root, leaves) { out.append(payloads[id]) }
        }
        return out
    }

    /// Looks up the value's first (or last) `n` bytes for each registered length `n`.
    static func cut(_ s: String, _ lengths: [Int], _ table: [String: [Int]], fromEnd: Bool, into out: inout [Int]) {
        guard !lengths.isEmpty else { return }
        let utf8 = s.utf8
        let count = utf8.count
        for n in lengths where n <= count {
            let cut = utf8.index(utf8.startIndex, offsetBy: fromEnd ? count - n : n)
            // A rule's value ends on a character boundary: a cut inside a character matches nothing.
            guard cut.samePosition(in: s.unicodeScalars) != nil else { continue }
            if let ids = table[String(fromEnd ? s[cut...] : s[..<cut])] { out += ids }
        }
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

    static func note(_ n: Int, _ lengths: inout [Int]) {
        if !lengths.contains(n) { lengths.append(n) }
    }
}
