/// A cost incident found in one scope's spend: either a sudden spike or a
/// slow upward creep, relative to what that scope normally spends at this
/// time of the week.
///
/// This is what Keel's incident-response domain turns into an alert ("team
/// `search` is spending 3.1× its usual Tuesday-morning rate").
public struct CostAnomaly: Sendable, Equatable {
    /// The shape of the cost incident.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// A sudden jump: the last few minutes cost far more than usual for
        /// this hour of the week (runaway agent, retry loop, leaked key).
        case spike
        /// A slow, sustained upward drift that no single minute reveals
        /// (a prompt that keeps growing, gradual adoption, a slowly looping
        /// workflow).
        case creep
    }

    /// Which history the expectation came from; less specific sources mean
    /// a young scope with less than a week (or a day) of history.
    public enum Baseline: String, Sendable, Equatable, CaseIterable {
        /// The same hour of the week over past weeks (the normal case).
        case hourOfWeek
        /// The same hour of the day over past days (first week of history).
        case hourOfDay
        /// The last hour of minutes (first day of history).
        case recentWindow
    }

    /// Spike or creep.
    public let kind: Kind
    /// Unix minute index at which the incident was detected.
    public let minute: Int64
    /// Observed spend in USD per minute: for a spike the burst-resistant mean
    /// of the short window, for a creep the mean of the hour just completed.
    public let observed: Double
    /// Expected spend in USD per minute at this time of the week.
    public let expected: Double
    /// Strength of the evidence: for a spike the robust z-score of the short
    /// window, for a creep the accumulated CUSUM statistic (in hourly
    /// standard errors).
    public let score: Double
    /// The history the expectation was taken from.
    public let baseline: Baseline

    /// Creates a finding.
    public init(kind: Kind, minute: Int64, observed: Double, expected: Double, score: Double, baseline: Baseline) {
        self.kind = kind
        self.minute = minute
        self.observed = observed
        self.expected = expected
        self.score = score
        self.baseline = baseline
    }

    /// Observed spend as a multiple of the expected spend (infinity when
    /// nothing was expected).
    public var ratio: Double {
        expected > 0 ? observed / expected : (observed > 0 ? .infinity : 1)
    }

    /// Extra spend per minute above expectation, in USD.
    public var excessPerMinute: Double { observed - expected }
}

extension CostAnomaly.Baseline {
    init(_ source: SeasonalEstimate.Source) {
        switch source {
        case .hourOfWeek: self = .hourOfWeek
        case .hourOfDay: self = .hourOfDay
        case .recentWindow: self = .recentWindow
        }
    }
}
