/// A SplitMix64 generator: fast, seedable, and the same sequence on every platform, which
/// `SystemRandomNumberGenerator` is not meant to be.
struct DeterministicRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var value = self.state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// A value in `0..<bound` (bound > 0); the slight modulo bias does not matter here.
    mutating func next(below bound: Int) -> Int {
        Int(self.next() % UInt64(bound))
    }

    /// A value in `-1...1`.
    mutating func nextUnitFloat() -> Float {
        Float(self.next() >> 40) / Float(1 << 23) - 1
    }
}
