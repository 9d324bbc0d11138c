/// The word classes that injection phrases are built from, and each word's classes.
///
/// A class is a family of words that play the same part in an attack phrase ("ignore",
/// "disregard", "forget", "override" all *discard* something). Phrases are written over classes
/// (``InjectionPhrases``), so one phrase covers the many ways an attack is worded, including
/// ones no corpus holds. A word's classes are found by hashing its folded spelling once, with no
/// `String` built per word.
enum InjectionVocabulary {
    /// A set of word classes, one bit each (at most 192).
    struct Classes: Hashable, Sendable {
        var low: UInt64 = 0
        var middle: UInt64 = 0
        var high: UInt64 = 0

        static let capacity = 192

        var isEmpty: Bool { self.low | self.middle | self.high == 0 }

        @inline(__always) func intersects(_ other: Classes) -> Bool {
            (self.low & other.low) | (self.middle & other.middle) | (self.high & other.high) != 0
        }

        mutating func formUnion(_ other: Classes) {
            self.low |= other.low
            self.middle |= other.middle
            self.high |= other.high
        }

        mutating func formIntersection(_ other: Classes) {
            self.low &= other.low
            self.middle &= other.middle
            self.high &= other.high
        }

        /// Removes and returns the lowest bit; the set must not be empty.
        mutating func popFirst() -> Int {
            if self.low != 0 {
                defer { self.low &= self.low - 1 }
                return self.low.trailingZeroBitCount
            }
            if self.middle != 0 {
                defer { self.middle &= self.middle - 1 }
                return 64 + self.middle.trailingZeroBitCount
            }
            defer { self.high &= self.high - 1 }
            return 128 + self.high.trailingZeroBitCount
        }

        init() {}

        init(bit: Int) {
            switch bit {
            case ..<64: self.low = 1 << UInt64(bit)
            case ..<128: self.middle = 1 << UInt64(bit - 64)
            default: self.high = 1 << UInt64(bit - 128)
            }
        }
    }

    /// The bit of each family, by name.
    static let familyBits: [String: Int] = {
        var bits: [String: Int] = [:]
        for (index, family) in (Self.families + Self.moreFamilies).enumerated() { bits[family.name] = index }
        precondition(bits.count <= Classes.capacity, "at most 192 word families")
        return bits
    }()

    /// Each word's classes, by the hash of its spelling.
    static let table: ClassTable = {
        var table: [UInt64: Classes] = [:]
        for (index, family) in (Self.families + Self.moreFamilies).enumerated() {
            let bit = Classes(bit: index)
            for word in family.words {
                table[GuardHash.of(word), default: Classes()].formUnion(bit)
            }
        }
        return ClassTable(table)
    }()

    /// The classes of a word, by its folded hash; empty for a word in no family.
    @inline(__always) static func classes(of hash: UInt64) -> Classes {
        Self.table.classes(of: hash)
    }

    /// A read-only table from word hashes to class sets, small enough to stay in the first-level
    /// cache while the other detectors run: each slot is one `UInt64` holding the upper 48 bits
    /// of the hash and the index of the word's class set among the few distinct ones (two words
    /// whose hashes agree in 48 bits would share classes; with a few thousand words the chance
    /// is below one in ten billion).
    struct ClassTable: Sendable {
        private var slots: [UInt64]
        private var distinct: [Classes]
        private let mask: Int

        init(_ entries: [UInt64: Classes]) {
            var capacity = 16
            while capacity < entries.count * 2 { capacity *= 2 }
            self.slots = [UInt64](repeating: 0, count: capacity)
            self.mask = capacity - 1
            self.distinct = []
            var indices: [Classes: Int] = [:]
            for (hash, classes) in entries {
                let index: Int
                if let known = indices[classes] {
                    index = known
                } else {
                    index = self.distinct.count
                    indices[classes] = index
                    self.distinct.append(classes)
                }
                precondition(index < 0xFFFF, "at most 65,534 distinct class sets")
                var slot = Self.slot(hash) & self.mask
                while self.slots[slot] != 0 { slot = (slot + 1) & self.mask }
                self.slots[slot] = (hash & ~0xFFFF) | UInt64(index + 1)
            }
        }

        @inline(__always) private static func slot(_ hash: UInt64) -> Int {
            Int(truncatingIfNeeded: hash ^ (hash >> 29))
        }

        /// The classes of the word with `hash`; empty for a word in no family.
        @inline(__always) func classes(of hash: UInt64) -> Classes {
            let tag = hash & ~0xFFFF
            var slot = Self.slot(hash) & self.mask
            while true {
                let stored = self.slots[slot]
                if stored == 0 { return Classes() }
                if stored & ~0xFFFF == tag { return self.distinct[Int(stored & 0xFFFF) - 1] }
                slot = (slot + 1) & self.mask
            }
        }
    }

    /// The class set of one family.
    static func family(_ name: String) -> Classes {
        guard let bit = Self.familyBits[name] else { preconditionFailure("unknown word family \(name)") }
        return Classes(bit: bit)
    }
}
