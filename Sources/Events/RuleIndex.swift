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
package struct RuleIndex: Sendable {
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

    /// A rule's pattern with its paths numbered, checked against leaves gathered by number.
    struct Compiled: Sendable {
        var fields: [(path: Int, conditions: [EventPattern.Condition])] = []
        var alternatives: [[Compiled]] = []

        func matches(_ leaves: [[JSON]]) -> Bool {
            for (path, conditions) in fields where !EventPattern.matchesLeaf(conditions, leaves[path]) { return false }
            for group in alternatives where !group.contains(where: { $0.matches(leaves) }) { return false }
            return true
        }
    }

    /// The paths rules name, as a trie of keys: an event is walked key by key (no path strings
    /// are built), and what no rule names is never visited.
    struct Node: Sendable {
        var children: [String: Int] = [:]
        var path: Int?
        /// Some child has children: a dotted key ("a.b") could spell a path below this node.
        var deep = false
    }

    private var compiled: [Compiled] = []
    private var nodes: [Node] = [Node()]
    private var pathCount = 0
    private var byPath: [PathIndex?] = []
    private var scan: [Int] = []

    package init() {}

    package var count: Int { compiled.count }

    /// The number of a dotted path, adding it to the trie when new.
    mutating func pathId(_ path: String) -> Int {
        var node = 0
        let keys = path.split(separator: ".", omittingEmptySubsequences: false)
        for (depth, key) in keys.enumerated() {
            if keys.count - depth >= 2 { nodes[node].deep = true }
            if let next = nodes[node].children[String(key)] {
                node = next
            } else {
                nodes.append(Node())
                nodes[node].children[String(key)] = nodes.count - 1
                node = nodes.count - 1
            }
        }
        if let id = nodes[node].path { return id }
        nodes[node].path = pathCount
        byPath.append(nil)
        pathCount += 1
        return pathCount - 1
    }

    mutating func compile(_ flat: EventPattern.Flat) -> Compiled {
        var out = Compiled()
        for (path, conditions) in flat.fields { out.fields.append((pathId(path), conditions)) }
        for group in flat.alternatives { out.alternatives.append(group.map { compile($0) }) }
        return out
    }

    /// Adds a rule; its number (what `matches` returns) is its position, from 0.
    package mutating func add(_ pattern: EventPattern) {
        let id = compiled.count
        compiled.append(compile(pattern.root))
        guard let (path, conditions) = Self.anchor(pattern.root) else {
            scan.append(id)
            return
        }
        let pid = pathId(path)
        var p = byPath[pid] ?? PathIndex()
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
        byPath[pid] = p
    }

    /// The event's leaves by path number (the rest of the event is skipped, never copied).
    func leaves(of event: JSON) -> [[JSON]] {
        var out = [[JSON]](repeating: [], count: pathCount)
        collect(event, node: 0, into: &out)
        return out
    }

    private func collect(_ v: JSON, node: Int, into out: inout [[JSON]]) {
        switch v {
        case .object(let o):
            let children = nodes[node].children
            if children.isEmpty { return }
            for (key, child) in o {
                if let next = children[key] {
                    collect(child, node: next, into: &out)
                } else if nodes[node].deep, key.utf8.contains(UInt8(ascii: ".")) {
                    // A dotted key ("a.b") spells several levels at once.
                    var at = node
                    var found = true
                    for part in key.split(separator: ".", omittingEmptySubsequences: false) {
                        guard let next = nodes[at].children[String(part)] else { found = false; break }
                        at = next
                    }
                    if found { collect(child, node: at, into: &out) }
                }
            }
        case .array(let items):
            for item in items { collect(item, node: node, into: &out) }
        default:
            if let path = nodes[node].path { out[path].append(v) }
        }
    }

    /// The numbers of the rules the event matches, in the order they were added. (Not generic
    /// over a payload: across modules an unspecialised generic pays a metadata lookup per call.)
    package func matches(_ event: JSON) -> [Int] {
        let leaves = leaves(of: event)
        var candidates = scan
        for (path, values) in leaves.enumerated() where !values.isEmpty {
            guard let p = byPath[path] else { continue }
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
        var out: [Int] = []
        var last = -1
        for id in candidates where id != last {
            last = id
            if compiled[id].matches(leaves) { out.append(id) }
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
