/// The live frames of an execution, indexed by frame id.
///
/// An array rather than a dictionary: every step mutates frames in place many times, and a
/// Dictionary's `_modify` on a value as large as `Frame` allocates a coroutine frame per
/// access (measured: about half the interpreter's allocations). Writes go through `slots`
/// directly, whose subscript is an addressor, not a coroutine. Ids are handed out in order,
/// so the array is dense; freed slots stay nil.
struct FrameTable: Sendable, Codable {
    var slots: [Frame?] = []

    subscript(id: Int) -> Frame? {
        id >= 0 && id < slots.count ? slots[id] : nil
    }

    mutating func insert(_ frame: Frame) {
        while slots.count <= frame.id { slots.append(nil) }
        slots[frame.id] = frame
    }

    @discardableResult
    mutating func removeValue(forKey id: Int) -> Frame? {
        guard id >= 0 && id < slots.count, let f = slots[id] else { return nil }
        slots[id] = nil
        return f
    }

    mutating func removeAll() { slots.removeAll() }

    /// Changes a live frame in place; false, and nothing changed, when there is none.
    mutating func update(_ id: Int, _ body: (inout Frame) -> Void) -> Bool {
        guard id >= 0 && id < slots.count, slots[id] != nil else { return false }
        slots[id]?.modify(body)
        return true
    }

    /// Ids of the live frames whose parent is `parent`, in id order.
    func children(of parent: Int) -> [Int] {
        var out: [Int] = []
        for (i, f) in slots.enumerated() where f?.parent == parent { out.append(i) }
        return out
    }
}

extension Frame {
    mutating func modify(_ body: (inout Frame) -> Void) { body(&self) }
}
