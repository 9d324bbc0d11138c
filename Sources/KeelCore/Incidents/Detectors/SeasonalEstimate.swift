/// The expected spend of a scope at one phase of its season, combined from
/// several past weeks (or days) of `HourSummary` values.
///
/// This is what a cost spike or creep is measured against: "on a Tuesday at
/// 10:00 this team usually spends `median` USD per minute, give or take
/// `scale`".
struct SeasonalEstimate: Sendable, Equatable {
    /// Which part of the history produced the estimate, from most to least
    /// specific.
    enum Source: Int, Sendable, Comparable {
        /// The same hour of the week, over past weeks.
        case hourOfWeek = 0
        /// The same hour of the day, over past days (first week of history).
        case hourOfDay = 1
        /// The last hour of minutes (first day of history).
        case recentWindow = 2

        static func < (lhs: Source, rhs: Source) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Median of the past medians: the typical spend per minute (USD).
    var median: Double
    /// Median of the past burst-resistant hourly means (USD per minute).
    var mean: Double
    /// Median of the past robust noise scales (USD per minute).
    var scale: Double
    /// Standard error of `mean` as an estimate of the true seasonal level:
    /// the larger of the sampling error and the observed week-to-week spread.
    var meanStandardError: Double
    /// Number of past periods (weeks or days) combined.
    var periods: Int
    /// Where the estimate came from.
    var source: Source

    /// Combines past summaries of the same seasonal phase.
    /// - Returns: nil when `summaries` is empty.
    static func combining(_ summaries: [HourSummary], source: Source) -> SeasonalEstimate? {
        guard !summaries.isEmpty else { return nil }
        let medians = summaries.map(\.median)
        let means = summaries.map(\.winsorizedMean)
        let scales = summaries.map(\.scale)
        let mean = RobustStatistics.median(means)
        let scale = RobustStatistics.median(scales)
        let count = Double(summaries.count)
        let minutes = Double(max(1, summaries.map(\.minuteCount).min() ?? 1))
        // Sampling error of one hour's mean, reduced by the number of periods;
        // the median of ≥ 3 periods is ~25 % less efficient than their mean.
        let efficiency = summaries.count >= 3 ? 1.25 : 1.0
        let samplingError = efficiency * scale / (minutes * count).squareRoot()
        var spreadError = 0.0
        if summaries.count >= 3 {
            let spread = RobustStatistics.scaledMAD(means, around: mean)
            spreadError = efficiency * spread / count.squareRoot()
        }
        return SeasonalEstimate(
            median: RobustStatistics.median(medians),
            mean: mean,
            scale: scale,
            meanStandardError: max(samplingError, spreadError),
            periods: summaries.count,
            source: source
        )
    }

    /// Linear blend of two neighbouring hour estimates; `fraction` 0 gives
    /// `self`, 1 gives `other`. Used to follow ramps (morning rise, evening
    /// fall) smoothly instead of jumping at hour boundaries.
    func blended(with other: SeasonalEstimate, fraction: Double) -> SeasonalEstimate {
        let keep = 1 - fraction
        return SeasonalEstimate(
            median: keep * median + fraction * other.median,
            mean: keep * mean + fraction * other.mean,
            scale: keep * scale + fraction * other.scale,
            meanStandardError: keep * meanStandardError + fraction * other.meanStandardError,
            periods: min(periods, other.periods),
            source: max(source, other.source)
        )
    }
}
