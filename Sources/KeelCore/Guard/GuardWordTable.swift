/// A read-only table from word hashes (``GuardHash``) to values, built once.
///
/// The detectors look up every word of a text, and a `Dictionary` re-hashes the key with
/// SipHash on every lookup, which took a sixth of a scan. The keys here are already FNV-1a
/// hashes, so the table indexes by their low bits and probes linearly: one multiply-free index,
/// usually one comparison.
struct GuardWordTable<Value: Sendable>: Sendable {
    private var keys: [UInt64]
    private var values: [Value?]
    private let mask: Int

    /// A table of `entries`; a later entry for the same hash replaces an earlier one.
    init(_ entries: [(UInt64, Value)]) {
        var capacity = 16
        while capacity < entries.count * 4 { capacity *= 2 }
        self.keys = [UInt64](repeating: 0, count: capacity)
        self.values = [Value?](repeating: nil, count: capacity)
        self.mask = capacity - 1
        for (hash, value) in entries { self.insert(hash, value) }
    }

    /// A table of `words`, each mapped to `value`.
    init(words: [String], value: Value) {
        self.init(words.map { (GuardHash.of($0), value) })
    }

    private mutating func insert(_ hash: UInt64, _ value: Value) {
        let key = hash == 0 ? 1 : hash
        var slot = Int(truncatingIfNeeded: key ^ (key >> 29)) & self.mask
        while self.keys[slot] != 0, self.keys[slot] != key { slot = (slot + 1) & self.mask }
        self.keys[slot] = key
        self.values[slot] = value
    }

    /// The value for `hash`, or `nil`.
    @inline(__always) subscript(_ hash: UInt64) -> Value? {
        let key = hash == 0 ? 1 : hash
        var slot = Int(truncatingIfNeeded: key ^ (key >> 29)) & self.mask
        while true {
            let stored = self.keys[slot]
            if stored == key { return self.values[slot] }
            if stored == 0 { return nil }
            slot = (slot + 1) & self.mask
        }
    }

    /// Whether the table holds `hash`.
    @inline(__always) func contains(_ hash: UInt64) -> Bool { self[hash] != nil }
}
