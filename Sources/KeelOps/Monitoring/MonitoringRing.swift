/// A fixed ring of time slots of one granularity: the building block of rolling windows.
///
/// Slot `i` holds what happened in `[i × granularity, (i + 1) × granularity)` microseconds since
/// the epoch. Position `i mod capacity` holds slot `i`; writing a newer slot into a position
/// replaces the old one, so memory never exceeds `capacity` slots and data older than
/// `capacity × granularity` is gone. Reads check the slot index, so a stale slot is never read.
struct MonitoringRing<Slot: Sendable>: Sendable {
    let granularity: Int64
    let capacity: Int
    private var indexes: [Int64]
    private var slots: [Slot?]
    /// The newest slot index written, or `Int64.min`.
    private(set) var newest: Int64 = .min

    init(granularity: Int64, capacity: Int) {
        precondition(granularity > 0 && capacity > 0)
        self.granularity = granularity
        self.capacity = capacity
        self.indexes = Array(repeating: .min, count: capacity)
        self.slots = Array(repeating: nil, count: capacity)
    }

    func slotIndex(_ time: Int64) -> Int64 {
        time >= 0 ? time / self.granularity : (time - self.granularity + 1) / self.granularity
    }

    private func position(_ index: Int64) -> Int {
        let remainder = index % Int64(self.capacity)
        return Int(remainder < 0 ? remainder + Int64(self.capacity) : remainder)
    }

    /// Updates the slot holding `time`, creating it with `make` when new. Returns `false`, and
    /// changes nothing, when `time` is older than what the ring retains.
    @discardableResult
    mutating func update(at time: Int64, make: () -> Slot, _ body: (inout Slot) -> Void) -> Bool {
        let index = self.slotIndex(time)
        if self.newest != .min && index <= self.newest - Int64(self.capacity) {
            return false
        }
        let position = self.position(index)
        if self.indexes[position] != index {
            // Stale positions hold older indexes only: anything newer would be within `capacity`.
            self.indexes[position] = index
            self.slots[position] = make()
        }
        body(&self.slots[position]!)
        self.newest = max(self.newest, index)
        return true
    }

    /// Calls `body` with each retained slot among the `count` slots ending with slot `lastIndex`.
    func forEach(count: Int, endingAt lastIndex: Int64, _ body: (Slot) -> Void) {
        precondition(count <= self.capacity, "a window longer than the ring")
        var index = lastIndex - Int64(count) + 1
        while index <= lastIndex {
            let position = self.position(index)
            if self.indexes[position] == index, let slot = self.slots[position] {
                body(slot)
            }
            index += 1
        }
    }

    /// Frees the slots older than `oldestIndex`, so an idle series gives its memory back.
    mutating func dropSlots(before oldestIndex: Int64) {
        for position in self.indexes.indices where self.indexes[position] != .min && self.indexes[position] < oldestIndex {
            self.indexes[position] = .min
            self.slots[position] = nil
        }
    }

    /// Whether any slot is retained.
    var isEmpty: Bool { self.indexes.allSatisfy { $0 == .min } }
}
