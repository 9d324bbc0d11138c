/// FNV-1a over bytes: the stable hash behind every deterministic choice (Swift's `Hasher` is
/// seeded per process, so it cannot give the same answer in two runs).
struct StableHash {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func combine(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            self.value = (self.value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
    }

    mutating func combine(_ text: String) {
        self.combine(text.utf8)
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        self.combine(CollectionOfOne(0xFF))
    }

    mutating func combine(_ number: Int) {
        withUnsafeBytes(of: UInt64(truncatingIfNeeded: number).littleEndian) { self.combine($0) }
    }

    static func of(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash = StableHash()
        hash.combine(bytes)
        return hash.value
    }

    /// `value` as 16 lower-case hexadecimal digits.
    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
