/// What one completed hour of a scope's spend looked like, compressed to the
/// three numbers the seasonal cost baseline needs.
///
/// A cost baseline cannot keep every minute of several weeks for thousands of
/// scopes; instead each finished hour is reduced to its median spend per
/// minute (the robust "typical minute"), a burst-resistant mean (what the hour
/// cost on average, with single-minute bursts clamped) and a robust noise
/// scale (MAD × 1.4826 of minute-to-minute differences, over √2). 32 bytes
/// per hour.
struct HourSummary: Sendable, Equatable {
    /// Median spend per minute during the hour (USD).
    var median: Double
    /// Mean spend per minute with values clamped at
    /// `median + winsorization × scale`, so bursts count but cannot dominate.
    var winsorizedMean: Double
    /// Robust minute-to-minute noise scale (USD per minute, see `noiseScale`).
    var scale: Double
    /// Number of minutes the hour was summarised from (≤ 60).
    var minuteCount: Int

    /// Summarises the per-minute costs of one hour.
    /// - Parameters:
    ///   - minuteCosts: USD per minute, gap minutes already filled with 0.
    ///   - winsorization: clamp level for the mean, in multiples of `scale`.
    ///   - scaleFloor: lower bound for the scale used when clamping, so that
    ///     a perfectly flat hour does not clamp everything to its median.
    init(minuteCosts: [Double], winsorization: Double, scaleFloor: Double) {
        let sorted = minuteCosts.sorted()
        let median = RobustStatistics.medianOfSorted(sorted)
        let scale = Self.noiseScale(minuteCosts)
        let ceiling = median + winsorization * max(scale, scaleFloor)
        self.median = median
        self.scale = scale
        self.winsorizedMean = RobustStatistics.winsorizedMean(sorted, ceiling: ceiling)
        self.minuteCount = minuteCosts.count
    }

    /// Creates a summary from already computed statistics.
    init(median: Double, winsorizedMean: Double, scale: Double, minuteCount: Int) {
        self.median = median
        self.winsorizedMean = winsorizedMean
        self.scale = scale
        self.minuteCount = minuteCount
    }

    /// Robust minute-to-minute noise scale: the scaled MAD of successive
    /// differences divided by √2. Unlike the MAD around the hour's median it
    /// is not inflated when the hour itself ramps up or down (mornings,
    /// evenings), and a burst disturbs only two of the differences.
    static func noiseScale(_ minuteCosts: [Double]) -> Double {
        guard minuteCosts.count >= 2 else { return 0 }
        var differences: [Double] = []
        differences.reserveCapacity(minuteCosts.count - 1)
        for index in 1..<minuteCosts.count {
            differences.append(abs(minuteCosts[index] - minuteCosts[index - 1]))
        }
        return RobustStatistics.madToStandardDeviation * RobustStatistics.median(differences)
            / 2.0.squareRoot()
    }

    /// An empty slot in a baseline ring.
    static let empty = HourSummary(median: 0, winsorizedMean: 0, scale: 0, minuteCount: 0)
}
