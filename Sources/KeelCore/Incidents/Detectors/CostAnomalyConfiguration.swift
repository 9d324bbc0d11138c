/// Tuning knobs of `CostAnomalyDetector`: how sensitive cost-spike and
/// cost-creep alerting is, and how much history each scope keeps.
///
/// The defaults were tuned on simulated traffic with a weekly pattern
/// (4× working-hours peak, weekends at 40 %) and multiplicative per-minute
/// noise with a coefficient of variation of 0.3 plus occasional 2–3×
/// single-minute bursts: under one false alarm per scope per week, a 3×
/// step caught within 5 minutes. Values outside their documented ranges are
/// clamped by the detector.
public struct CostAnomalyConfiguration: Sendable, Equatable {
    /// Minutes in the short spike window (2...30, default 5).
    public var spikeWindowMinutes: Int
    /// Highest minutes dropped from the spike window before scoring, so a
    /// single-minute burst never alarms on its own (0...window−1, default 1).
    public var spikeTrimmedMinutes: Int
    /// Cap on any one minute's standardized deviation inside the spike window
    /// (≥ 1, default 5), limiting how much an extreme minute can contribute.
    public var spikeMinuteCap: Double
    /// Robust z-score of the spike window above which a spike is reported
    /// (default 4).
    public var spikeThreshold: Double
    /// Minimum excess spend in USD per minute for a spike, so that scopes
    /// spending almost nothing do not alarm on cents (default 0.02).
    public var minimumSpikeExcess: Double
    /// CUSUM reference value k: hourly standardized excess that is tolerated
    /// without accumulating evidence of creep (default 0.5).
    public var creepAllowance: Double
    /// CUSUM decision interval h: accumulated evidence at which a creep is
    /// reported (default 6, ≈ one false creep per 8 scope-weeks).
    public var creepThreshold: Double
    /// Cap on one hour's standardized residual before it enters the CUSUM,
    /// so that a single wild hour cannot report a creep (default 4).
    public var creepResidualCap: Double
    /// Minimum excess of the completed hour's mean spend over expectation,
    /// in USD per minute, for a creep to be reported (default 0.005).
    public var minimumCreepExcess: Double
    /// Minutes the series must stay normal before the same kind may fire
    /// again (default 60).
    public var coolDownMinutes: Int
    /// Spike z-score below which a minute counts as normal for the
    /// cool-down (default 2).
    public var normalScore: Double
    /// Weeks of history kept per hour-of-week bucket (1...4, default 4).
    public var seasonalHistoryWeeks: Int
    /// Minutes in the recent-window baseline used during a scope's first day
    /// (30...120, default 60).
    public var recentWindowMinutes: Int
    /// Lower bound of the noise scale relative to the expected spend
    /// (default 0.05), so that unusually quiet history does not make tiny
    /// deviations look dramatic.
    public var relativeScaleFloor: Double
    /// Absolute lower bound of the noise scale in USD per minute
    /// (default 0.001).
    public var minimumScale: Double
    /// Clamp level, in noise scales above the hour's median, applied to
    /// minutes before computing hourly means (default 4).
    public var winsorization: Double

    /// Creates a configuration; every parameter has a production default.
    public init(
        spikeWindowMinutes: Int = 5,
        spikeTrimmedMinutes: Int = 1,
        spikeMinuteCap: Double = 5,
        spikeThreshold: Double = 4,
        minimumSpikeExcess: Double = 0.02,
        creepAllowance: Double = 0.5,
        creepThreshold: Double = 6,
        creepResidualCap: Double = 4,
        minimumCreepExcess: Double = 0.005,
        coolDownMinutes: Int = 60,
        normalScore: Double = 2,
        seasonalHistoryWeeks: Int = 4,
        recentWindowMinutes: Int = 60,
        relativeScaleFloor: Double = 0.05,
        minimumScale: Double = 0.001,
        winsorization: Double = 4
    ) {
        self.spikeWindowMinutes = spikeWindowMinutes
        self.spikeTrimmedMinutes = spikeTrimmedMinutes
        self.spikeMinuteCap = spikeMinuteCap
        self.spikeThreshold = spikeThreshold
        self.minimumSpikeExcess = minimumSpikeExcess
        self.creepAllowance = creepAllowance
        self.creepThreshold = creepThreshold
        self.creepResidualCap = creepResidualCap
        self.minimumCreepExcess = minimumCreepExcess
        self.coolDownMinutes = coolDownMinutes
        self.normalScore = normalScore
        self.seasonalHistoryWeeks = seasonalHistoryWeeks
        self.recentWindowMinutes = recentWindowMinutes
        self.relativeScaleFloor = relativeScaleFloor
        self.minimumScale = minimumScale
        self.winsorization = winsorization
    }

    /// The configuration with every value forced into its supported range.
    var clamped: CostAnomalyConfiguration {
        var copy = self
        copy.spikeWindowMinutes = min(30, max(2, spikeWindowMinutes))
        copy.spikeTrimmedMinutes = min(copy.spikeWindowMinutes - 1, max(0, spikeTrimmedMinutes))
        copy.spikeMinuteCap = max(1, spikeMinuteCap)
        copy.coolDownMinutes = max(1, coolDownMinutes)
        copy.seasonalHistoryWeeks = min(4, max(1, seasonalHistoryWeeks))
        copy.recentWindowMinutes = min(120, max(30, recentWindowMinutes))
        copy.creepAllowance = max(0, creepAllowance)
        copy.creepThreshold = max(0.1, creepThreshold)
        copy.creepResidualCap = max(0.1, creepResidualCap)
        copy.relativeScaleFloor = max(0, relativeScaleFloor)
        copy.minimumScale = max(1e-12, minimumScale)
        copy.winsorization = max(1, winsorization)
        return copy
    }
}
