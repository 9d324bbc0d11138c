/// A fixed-size histogram with log-spaced bins (four per doubling), used to
/// summarise a model's output lengths, time to first token and throughput
/// in constant memory while still answering "what is the median?" and "did
/// the distribution move?".
///
/// Bin 0 holds values below 2^`lowestExponent` (including 0), then come
/// `octaves` × 4 bins each 2^(1/4) ≈ 19 % wide, then one overflow bin.
/// Counts are Doubles so that a baseline can be exponentially down-weighted.
/// Memory: 8 bytes per bin (e.g. 74 bins = 592 B).
struct LogHistogram: Sendable, Equatable {
    /// Bins per doubling of the value.
    static let binsPerOctave = 4
    /// 2^(1/4), 2^(2/4), 2^(3/4): sub-bin edges within one octave.
    private static let quarterSteps: [Double] = [1.189_207_115_002_721, 1.414_213_562_373_095, 1.681_792_830_507_429]

    /// Exponent of the lower edge of the first regular bin.
    let lowestExponent: Int
    /// Number of doublings covered by regular bins.
    let octaves: Int
    /// Weighted count per bin.
    private(set) var counts: [Double]
    /// Sum of all counts.
    private(set) var total = 0.0

    /// Creates an empty histogram covering [2^lowestExponent, 2^(lowestExponent+octaves)).
    init(lowestExponent: Int, octaves: Int) {
        self.lowestExponent = lowestExponent
        self.octaves = octaves
        counts = Array(repeating: 0, count: octaves * Self.binsPerOctave + 2)
    }

    /// Number of bins including underflow and overflow.
    var binCount: Int { counts.count }

    /// Bin index of `value` (NaN and negatives land in the underflow bin).
    func bin(for value: Double) -> Int {
        guard value >= Self.power(lowestExponent) else { return 0 }
        guard value < Self.power(lowestExponent + octaves) else { return binCount - 1 }
        let octave = Int(value.exponent) - lowestExponent
        let significand = value.significand
        var step = 0
        while step < Self.quarterSteps.count && significand >= Self.quarterSteps[step] { step += 1 }
        return 1 + octave * Self.binsPerOctave + step
    }

    /// Adds `weight` (negative to remove) to `bin`.
    mutating func add(bin: Int, weight: Double = 1) {
        counts[bin] += weight
        total += weight
        if counts[bin] < 1e-9 { counts[bin] = max(0, counts[bin]) }
        if total < 1e-9 { total = max(0, total) }
    }

    /// Multiplies every count by `factor` (exponential forgetting).
    mutating func scale(by factor: Double) {
        for index in counts.indices { counts[index] *= factor }
        total *= factor
    }

    /// Adds the counts of `other` (same layout) to this histogram.
    mutating func merge(_ other: LogHistogram) {
        for index in counts.indices { counts[index] += other.counts[index] }
        total += other.total
    }

    /// Lower edge of `bin`.
    func lowerEdge(of bin: Int) -> Double {
        if bin <= 0 { return 0 }
        if bin >= binCount - 1 { return Self.power(lowestExponent + octaves) }
        let offset = bin - 1
        let exponent = lowestExponent + offset / Self.binsPerOctave
        let step = offset % Self.binsPerOctave
        let base = Self.power(exponent)
        return step == 0 ? base : base * Self.quarterSteps[step - 1]
    }

    /// Upper edge of `bin` (equal to the lower edge for the overflow bin).
    func upperEdge(of bin: Int) -> Double {
        bin >= binCount - 1 ? lowerEdge(of: bin) : lowerEdge(of: bin + 1)
    }

    /// The `q`-quantile (0...1), interpolating linearly inside the bin; nil
    /// when empty.
    func quantile(_ q: Double) -> Double? {
        guard total > 0 else { return nil }
        let target = q * total
        var cumulative = 0.0
        for bin in counts.indices {
            let count = counts[bin]
            if count > 0 && cumulative + count >= target {
                let inside = (target - cumulative) / count
                let low = lowerEdge(of: bin)
                return low + inside * (upperEdge(of: bin) - low)
            }
            cumulative += count
        }
        return upperEdge(of: binCount - 1)
    }

    /// Share of the mass above `value` (0...1), interpolating linearly inside
    /// the bin that contains it.
    func fractionAbove(_ value: Double) -> Double {
        guard total > 0 else { return 0 }
        let home = bin(for: value)
        var above = 0.0
        for index in (home + 1)..<binCount { above += counts[index] }
        let low = lowerEdge(of: home)
        let width = upperEdge(of: home) - low
        let insideAbove = width > 0 ? max(0, min(1, (upperEdge(of: home) - value) / width)) : 0
        above += counts[home] * insideAbove
        return above / total
    }

    /// Largest difference between the two cumulative distributions over bin
    /// edges: the Kolmogorov–Smirnov distance of the binned data.
    func maximumDistance(to other: LogHistogram) -> Double {
        guard total > 0, other.total > 0 else { return 0 }
        var mine = 0.0
        var theirs = 0.0
        var distance = 0.0
        for index in counts.indices {
            mine += counts[index]
            theirs += other.counts[index]
            distance = max(distance, abs(mine / total - theirs / other.total))
        }
        return distance
    }

    private static func power(_ exponent: Int) -> Double {
        Double(sign: .plus, exponent: exponent, significand: 1)
    }
}
