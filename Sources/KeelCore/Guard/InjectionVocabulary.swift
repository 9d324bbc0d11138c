/// The word classes that injection phrases are built from, and each word's classes.
///
/// A class is a family of words that play the same part in an attack phrase ("ignore",
/// "disregard", "forget", "override" all *discard* something). Phrases are written over classes
/// (``InjectionPhrases``), so one phrase covers the many ways an attack is worded, including
/// ones no corpus holds. A word's classes are found by hashing its folded spelling once, with no
/// `String` built per word.
enum InjectionVocabulary {
    /// A set of word classes, one bit each (at most 192).
    struct Classes: Equatable, Sendable {
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
    static let table: GuardWordTable<Classes> = {
        var table: [UInt64: Classes] = [:]
        for (index, family) in (Self.families + Self.moreFamilies).enumerated() {
            let bit = Classes(bit: index)
            for word in family.words {
                table[GuardHash.of(word), default: Classes()].formUnion(bit)
            }
        }
        return GuardWordTable(table.map { ($0.key, $0.value) })
    }()

    /// The classes of a word, by its folded hash; empty for a word in no family.
    @inline(__always) static func classes(of hash: UInt64) -> Classes {
        Self.table[hash] ?? Classes()
    }

    /// The class set of one family.
    static func family(_ name: String) -> Classes {
        guard let bit = Self.familyBits[name] else { preconditionFailure("unknown word family \(name)") }
        return Classes(bit: bit)
    }
}
