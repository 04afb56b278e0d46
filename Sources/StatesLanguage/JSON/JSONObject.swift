/// A JSON object that keeps its keys in insertion order.
///
/// Entries live in one array (one allocation per object, which matters on the interpreter's
/// hot path). Most objects in state machine payloads are small, so lookups scan; large objects
/// get a dictionary index, built once, so parsing a wide object stays linear.
public struct JSONObject: Sendable {
    public struct Entry: Sendable {
        public var key: String
        public var value: JSON
    }

    public private(set) var entries: [Entry]
    private var index: [String: Int]?

    /// Above this many keys a dictionary index is kept.
    private static let indexThreshold = 16

    public init() {
        entries = []
        index = nil
    }

    public init(minimumCapacity: Int) {
        self.init()
        entries.reserveCapacity(minimumCapacity)
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }
    public var values: [JSON] { entries.map(\.value) }

    public func position(of key: String) -> Int? {
        if let index { return index[key] }
        for i in entries.indices where entries[i].key == key { return i }
        return nil
    }

    public subscript(key: String) -> JSON? {
        get { position(of: key).map { entries[$0].value } }
        set {
            if let i = position(of: key) {
                if let newValue { entries[i].value = newValue } else { remove(at: i) }
            } else if let newValue {
                appendUnchecked(key, newValue)
            }
        }
    }

    /// Appends without checking for an existing key; the caller guarantees uniqueness.
    public mutating func appendUnchecked(_ key: String, _ value: JSON) {
        entries.append(Entry(key: key, value: value))
        if index != nil {
            index![key] = entries.count - 1
        } else if entries.count > Self.indexThreshold {
            rebuildIndex()
        }
    }

    private mutating func remove(at i: Int) {
        entries.remove(at: i)
        if index != nil { rebuildIndex() }
    }

    private mutating func rebuildIndex() {
        var d = [String: Int](minimumCapacity: entries.count)
        for (i, e) in entries.enumerated() { d[e.key] = i }
        index = d
    }
}

extension JSONObject: Sequence {
    public struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[Entry]>
        public mutating func next() -> (key: String, value: JSON)? {
            base.next().map { ($0.key, $0.value) }
        }
    }

    public func makeIterator() -> Iterator { Iterator(base: entries.makeIterator()) }
    public var underestimatedCount: Int { entries.count }
}

extension JSONObject: Equatable {
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for e in lhs.entries {
            guard let v = rhs[e.key], v == e.value else { return false }
        }
        return true
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self.init(minimumCapacity: elements.count)
        for (k, v) in elements { self[k] = v }
    }
}

extension JSON {
    /// The address of an object's or array's shared storage, or nil for scalars (strings
    /// included: their buffers may be temporary). Two values with the same identity, both
    /// alive, hold the same content: the journal uses it to serialize a payload carried by
    /// many events of one step only once.
    package var storageIdentity: UInt? {
        switch self {
        case .object(let o):
            return o.entries.withUnsafeBufferPointer { $0.baseAddress.map { UInt(bitPattern: $0) } }
        case .array(let a):
            return a.withUnsafeBufferPointer { $0.baseAddress.map { UInt(bitPattern: $0) } }
        default:
            return nil
        }
    }
}
