#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Watches the per-minute spend of one scope (an org, team, API key or agent)
/// and reports cost spikes and slow cost creep against a seasonal, robust
/// baseline, so that busy working hours, quiet nights and weekends do not
/// page anyone while a runaway agent or a slowly growing prompt does.
///
/// Feed it one value per minute with `observe(minute:cost:)`. Minutes that
/// are never observed count as zero spend (a gap is filled when the next
/// observed minute jumps ahead); minutes at or before the last observed one
/// are ignored as late data. The detector never reads a clock: time is the
/// Unix minute index passed in.
///
/// How it decides:
/// - Expectation: for every hour of the week, the median spend per minute,
///   a burst-resistant hourly mean and a robust noise scale (MAD × 1.4826)
///   of the same hour over the last four weeks. A minute is compared with
///   the higher of its own hour and the linear blend of the two nearest
///   hours, which follows morning/evening ramps without alarming at steps
///   in the season (Monday 00:00 after a quiet weekend). With less than a week of history the
///   same hour of past days stands in, and during the first day the median
///   and MAD of the last hour of minutes.
/// - Spike: each of the last 5 minutes is standardized as a log ratio to
///   the expectation (spend noise is multiplicative) in units of the robust
///   relative scale; the highest minute is dropped so one burst cannot alarm alone,
///   and the sum of the other four over √4 is the robust z-score. The plain
///   mean of the window must also exceed the expectation by a minimum USD
///   amount.
/// - Creep: every completed hour adds its standardized excess (hourly mean
///   minus seasonal mean, over the combined standard error) to a one-sided
///   CUSUM; crossing the threshold reports a creep and resets the sum.
/// - Each kind fires once per episode and re-arms after the series has been
///   normal for `coolDownMinutes`; creep evidence is not accumulated while a
///   spike episode is open.
///
/// Memory per scope is fixed: about 27 KB of seasonal history (default four
/// weeks, see `SeasonalBaseline`) plus 1 KB for the last hour of minutes,
/// ≈ 28.5 KB in total (`stateBytes(for:)` gives the exact figure).
public struct CostAnomalyDetector: Sendable {
    /// The effective (range-clamped) configuration.
    public let configuration: CostAnomalyConfiguration
    /// Last Unix minute processed, nil before the first observation.
    public private(set) var lastObservedMinute: Int64?
    /// Current creep evidence (CUSUM value, in hourly standard errors);
    /// useful for dashboards showing how close a scope is to a creep alert.
    public private(set) var creepStatistic = 0.0

    private var baseline: SeasonalBaseline
    private var recent: RecentMinutes
    private var hourCosts: [Double] = []
    private var hourIndex: Int64?
    private var spikeLatch = EpisodeLatch()
    private var creepLatch = EpisodeLatch()

    private static let minutesPerHour: Int64 = 60
    private static let minutesPerWeek: Int64 = 7 * 24 * 60

    /// Creates a detector for one scope with no history.
    public init(configuration: CostAnomalyConfiguration = CostAnomalyConfiguration()) {
        let effective = configuration.clamped
        self.configuration = effective
        baseline = SeasonalBaseline(weeksKept: effective.seasonalHistoryWeeks)
        recent = RecentMinutes(capacity: effective.recentWindowMinutes + effective.spikeWindowMinutes)
        hourCosts.reserveCapacity(Int(Self.minutesPerHour))
    }

    /// Bytes of state one scope holds with `configuration` (fixed for its
    /// lifetime).
    public static func stateBytes(for configuration: CostAnomalyConfiguration) -> Int {
        let effective = configuration.clamped
        let recentBytes = 8 * (effective.recentWindowMinutes + effective.spikeWindowMinutes)
        return SeasonalBaseline.stateBytes(weeksKept: effective.seasonalHistoryWeeks)
            + recentBytes + 8 * Int(minutesPerHour) + MemoryLayout<CostAnomalyDetector>.size
    }

    /// Records the spend of one minute and reports a cost incident if this
    /// minute starts one.
    /// - Parameters:
    ///   - minute: Unix minute index (Unix seconds / 60).
    ///   - cost: USD spent by the scope in that minute; negative or
    ///     non-finite values are treated as 0.
    /// - Returns: a spike or creep that started at this minute (or in the
    ///   gap filled before it), otherwise nil.
    public mutating func observe(minute: Int64, cost: Double) -> CostAnomaly? {
        let cost = cost.isFinite ? max(0, cost) : 0
        var gapFinding: CostAnomaly?
        if let last = lastObservedMinute {
            guard minute > last else { return nil }
            // Fill silent minutes with zero spend; beyond the kept history a
            // longer silence changes nothing more, so it is cut short.
            let longestUsefulGap = Int64(configuration.seasonalHistoryWeeks) * Self.minutesPerWeek
            var fill = last + 1
            if minute - fill > longestUsefulGap {
                fill = minute - longestUsefulGap
                recent.removeAll()
            }
            while fill < minute {
                if let finding = process(minute: fill, cost: 0) { gapFinding = finding }
                fill += 1
            }
        }
        return process(minute: minute, cost: cost) ?? gapFinding
    }

    /// Expected spend in USD per minute at `minute` given the history so
    /// far, or nil while the scope has too little history.
    public func expectedCost(atMinute minute: Int64) -> Double? {
        expectation(centeredAt: Double(minute), excludingNewest: 0)?.median
    }

    // MARK: - Per-minute processing

    private mutating func process(minute: Int64, cost: Double) -> CostAnomaly? {
        let hour = RobustStatistics.flooredDivision(minute, Self.minutesPerHour)
        var finding: CostAnomaly?
        if let open = hourIndex, open != hour {
            finding = completeHour(open, atMinute: minute - 1)
        }
        hourIndex = hour
        hourCosts.append(cost)
        recent.append(cost)
        lastObservedMinute = minute
        if let spike = evaluateSpike(atMinute: minute) { finding = spike }
        if RobustStatistics.flooredModulo(minute, Self.minutesPerHour) == Self.minutesPerHour - 1,
            let creep = completeHour(hour, atMinute: minute), finding == nil
        {
            finding = creep
        }
        return finding
    }

    private mutating func evaluateSpike(atMinute minute: Int64) -> CostAnomaly? {
        let width = configuration.spikeWindowMinutes
        guard recent.count >= width else { return nil }
        let center = Double(minute) - Double(width - 1) / 2
        guard let estimate = expectation(centeredAt: center, excludingNewest: width) else { return nil }
        let window = recent.newest(width)
        let observed = window.reduce(0, +) / Double(width)
        let score = spikeScore(window, against: estimate)
        let firing =
            score >= configuration.spikeThreshold
            && observed - estimate.median >= configuration.minimumSpikeExcess
        let normal = score < configuration.normalScore
        guard spikeLatch.advance(firing: firing, normal: normal, coolDown: configuration.coolDownMinutes) else {
            return nil
        }
        return CostAnomaly(
            kind: .spike,
            minute: minute,
            observed: observed,
            expected: estimate.median,
            score: score,
            baseline: CostAnomaly.Baseline(estimate.source)
        )
    }

    /// Closes an hour: updates the creep CUSUM against the same hour of past
    /// weeks, then stores the hour in the seasonal history.
    private mutating func completeHour(_ hour: Int64, atMinute minute: Int64) -> CostAnomaly? {
        defer {
            hourCosts.removeAll(keepingCapacity: true)
            hourIndex = nil
        }
        guard !hourCosts.isEmpty else { return nil }
        let typical = RobustStatistics.median(hourCosts)
        let summary = HourSummary(
            minuteCosts: hourCosts,
            winsorization: configuration.winsorization,
            scaleFloor: max(configuration.minimumScale, configuration.relativeScaleFloor * typical)
        )
        let finding = evaluateCreep(summary, hour: hour, minute: minute)
        baseline.record(summary, hour: hour)
        return finding
    }

    private mutating func evaluateCreep(_ summary: HourSummary, hour: Int64, minute: Int64) -> CostAnomaly? {
        // Creep needs the weekly season: hour-of-day history mixes weekdays
        // with weekends and would report every Monday morning.
        guard let estimate = baseline.weeklyEstimate(hour: hour) else {
            creepStatistic = 0
            return nil
        }
        let scale = effectiveScale(of: estimate)
        let minutes = Double(summary.minuteCount)
        let observedError = scale / minutes.squareRoot()
        let baselineError = max(
            estimate.meanStandardError,
            scale / (minutes * Double(estimate.periods)).squareRoot()
        )
        let standardError = (observedError * observedError + baselineError * baselineError).squareRoot()
        let excess = summary.winsorizedMean - estimate.mean
        let residual = min(configuration.creepResidualCap, excess / standardError)
        if spikeLatch.isOpen || creepLatch.isOpen {
            creepStatistic = 0
        } else {
            creepStatistic = max(0, creepStatistic + residual - configuration.creepAllowance)
        }
        let evidence = creepStatistic
        let firing = evidence >= configuration.creepThreshold && excess >= configuration.minimumCreepExcess
        let normal = residual <= configuration.creepAllowance
        guard
            creepLatch.advance(
                firing: firing,
                normal: normal,
                coolDown: configuration.coolDownMinutes,
                steps: summary.minuteCount
            )
        else { return nil }
        creepStatistic = 0
        return CostAnomaly(
            kind: .creep,
            minute: minute,
            observed: summary.winsorizedMean,
            expected: estimate.mean,
            score: evidence,
            baseline: .hourOfWeek
        )
    }

    // MARK: - Expectation

    /// Seasonal expectation for a (possibly fractional) minute: the higher of
    /// its own hour bucket and the blend of the two nearest hour buckets;
    /// falls back to the recent window when the
    /// seasonal history does not cover both.
    private func expectation(centeredAt minute: Double, excludingNewest: Int) -> SeasonalEstimate? {
        let position = (minute - 29.5) / Double(Self.minutesPerHour)
        let lowerHour = position.rounded(.down)
        let fraction = position - lowerHour
        let hour = Int64(lowerHour)
        if let lower = baseline.estimate(hour: hour), let upper = baseline.estimate(hour: hour + 1) {
            // Blending follows ramps; the minute's own hour guards against
            // steps in the season (Monday 00:00 after a quiet weekend). For an
            // upward-only detector the higher of the two is the safe choice.
            let blended = lower.blended(with: upper, fraction: fraction)
            let own = fraction < 0.5 ? lower : upper
            return own.median > blended.median ? own : blended
        }
        let history = recent.older(excluding: excludingNewest)
        guard history.count >= configuration.recentWindowMinutes / 2 else { return nil }
        let median = RobustStatistics.median(history)
        let scale = RobustStatistics.scaledMAD(history, around: median)
        return SeasonalEstimate(
            median: median,
            mean: median,
            scale: scale,
            meanStandardError: scale / Double(history.count).squareRoot(),
            periods: 1,
            source: .recentWindow
        )
    }

    /// Robust z-score of the short window. Spend noise is multiplicative, so
    /// each minute is standardized as a log ratio to the expectation,
    /// ln((x + ε)/(e + ε)) / (s/(e + ε)) with ε the minimum scale (so zero
    /// minutes stay finite), which is close to a standard normal for busy
    /// scopes. Each minute is clamped to ±`spikeMinuteCap`, the highest
    /// `spikeTrimmedMinutes` are dropped (a lone burst never counts), and the
    /// rest are summed over √(kept minutes).
    private func spikeScore(_ window: [Double], against estimate: SeasonalEstimate) -> Double {
        let epsilon = configuration.minimumScale
        let offset = estimate.median + epsilon
        let unit = effectiveScale(of: estimate) / offset
        let cap = configuration.spikeMinuteCap
        var deviations = window.map { cost in
            min(cap, max(-cap, log((cost + epsilon) / offset) / unit))
        }
        deviations.sort()
        let kept = window.count - configuration.spikeTrimmedMinutes
        let total = deviations[0..<kept].reduce(0, +)
        return total / Double(kept).squareRoot()
    }

    /// Noise scale with the configured relative and absolute floors applied.
    private func effectiveScale(of estimate: SeasonalEstimate) -> Double {
        max(estimate.scale, configuration.relativeScaleFloor * estimate.median, configuration.minimumScale)
    }
}
