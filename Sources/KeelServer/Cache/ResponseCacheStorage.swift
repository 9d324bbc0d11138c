/// The entries of a response cache: a map bounded in bytes, least recently used out first, each
/// entry valid until its expiry instant.
///
/// A pure value with no clock and no lock: the owner (``ResponseCache``) passes the time in and
/// holds it under a mutex. Lookups and inserts are O(1): the recency order is a doubly linked
/// list threaded through an array of slots, indexed by a dictionary.
struct ResponseCacheStorage<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Node: Sendable {
        var key: Key
        var value: Value
        var bytes: Int
        var expiresAt: ContinuousClock.Instant
        /// Toward the most recently used end (`nil` at the head).
        var newer: Int?
        /// Toward the least recently used end (`nil` at the tail).
        var older: Int?
    }

    /// What ``insert(_:for:bytes:expiresAt:)`` did.
    enum Insertion: Sendable, Equatable {
        /// Stored; `evicted` older entries made room for it.
        case stored(evicted: Int)
        /// Larger than the whole cache: not stored.
        case tooLarge
    }

    /// The most bytes the entries may account for together.
    let maxBytes: Int
    /// The bytes the entries account for now.
    private(set) var bytes = 0
    private var slots: [Node?] = []
    private var freeSlots: [Int] = []
    private var index: [Key: Int] = [:]
    private var newest: Int?
    private var oldest: Int?

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    /// How many entries are held (expired ones included until they are looked up or evicted).
    var count: Int { self.index.count }

    /// The keys from the most to the least recently used.
    var keysByRecency: [Key] {
        var keys: [Key] = []
        var cursor = self.newest
        while let slot = cursor, let node = self.slots[slot] {
            keys.append(node.key)
            cursor = node.older
        }
        return keys
    }

    /// The value of `key` when it has not expired at `now`, which makes it the most recently
    /// used; an expired entry is removed.
    mutating func value(for key: Key, now: ContinuousClock.Instant) -> Value? {
        guard let slot = self.index[key], let node = self.slots[slot] else { return nil }
        guard now < node.expiresAt else {
            self.remove(slot: slot)
            return nil
        }
        self.moveToFront(slot)
        return node.value
    }

    /// Stores `value` under `key` (replacing what was there) as the most recently used entry,
    /// evicting the least recently used ones until the total fits ``maxBytes``.
    mutating func insert(_ value: Value, for key: Key, bytes: Int, expiresAt: ContinuousClock.Instant) -> Insertion {
        if let existing = self.index[key] { self.remove(slot: existing) }
        guard bytes <= self.maxBytes else { return .tooLarge }
        var evicted = 0
        while self.bytes + bytes > self.maxBytes, let oldest = self.oldest {
            self.remove(slot: oldest)
            evicted += 1
        }
        let node = Node(key: key, value: value, bytes: bytes, expiresAt: expiresAt, newer: nil, older: self.newest)
        let slot: Int
        if let free = self.freeSlots.popLast() {
            slot = free
            self.slots[slot] = node
        } else {
            slot = self.slots.count
            self.slots.append(node)
        }
        if let previous = self.newest { self.slots[previous]?.newer = slot }
        self.newest = slot
        if self.oldest == nil { self.oldest = slot }
        self.index[key] = slot
        self.bytes += bytes
        return .stored(evicted: evicted)
    }

    private mutating func moveToFront(_ slot: Int) {
        guard self.newest != slot, let node = self.slots[slot] else { return }
        self.unlink(slot, node)
        self.slots[slot]?.newer = nil
        self.slots[slot]?.older = self.newest
        if let previous = self.newest { self.slots[previous]?.newer = slot }
        self.newest = slot
        if self.oldest == nil { self.oldest = slot }
    }

    private mutating func remove(slot: Int) {
        guard let node = self.slots[slot] else { return }
        self.unlink(slot, node)
        self.slots[slot] = nil
        self.freeSlots.append(slot)
        self.index[node.key] = nil
        self.bytes -= node.bytes
    }

    /// Takes `slot` out of the recency list, joining its neighbours.
    private mutating func unlink(_ slot: Int, _ node: Node) {
        if let newer = node.newer {
            self.slots[newer]?.older = node.older
        } else {
            self.newest = node.older
        }
        if let older = node.older {
            self.slots[older]?.newer = node.newer
        } else {
            self.oldest = node.newer
        }
    }
}
