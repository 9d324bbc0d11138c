/// A sign that a model has degraded compared with its own recent healthy
/// behaviour: answers getting shorter or truncated, more refusals or errors,
/// slower responses, or a silent version change by the provider.
///
/// Keel's incident-response domain turns these into alerts and uses them to
/// decide whether to fail over to another model.
public struct ModelDegradationFinding: Sendable, Equatable {
    /// What changed.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// The output-length distribution moved (binned two-sample
        /// Kolmogorov–Smirnov test); values are median output tokens.
        case outputLengthShift
        /// The share of a watched finish reason (`subject`) rose; values are
        /// shares of successful requests.
        case finishReasonShift
        /// The share of an error class (`subject`) rose; values are shares of
        /// all requests.
        case errorClassShift
        /// Median time to first token rose by the configured factor; values
        /// are medians in microseconds.
        case timeToFirstTokenShift
        /// Median output tokens per second fell by the configured factor;
        /// values are medians in tokens per second.
        case tokensPerSecondShift
        /// The provider reported a model version never seen before
        /// (`subject`); `baselineLabel` is the most common earlier version.
        case versionChange
    }

    /// What changed.
    public let kind: Kind
    /// The finish reason, error class or new version concerned; empty for
    /// length and latency findings.
    public let subject: String
    /// Baseline value of the measured quantity (units depend on `kind`).
    public let baselineValue: Double
    /// Value of the measured quantity in the recent window.
    public let observedValue: Double
    /// Test statistic: KS distance for length, z-score for shares and
    /// latency (sign test), 0 for a version change.
    public let score: Double
    /// One-sided p-value of the test (1 for a version change, which is a
    /// fact rather than a statistic).
    public let pValue: Double
    /// Effective number of baseline observations behind `baselineValue`.
    public let baselineCount: Int
    /// Number of recent-window observations behind `observedValue`.
    public let windowCount: Int
    /// Completion time of the sample that revealed the change (Unix µs).
    public let timeMicros: Int64
    /// 1-based number of the sample (since the detector was created) that
    /// revealed the change.
    public let sampleNumber: Int
    /// For a version change, the most common version of the baseline.
    public let baselineLabel: String?

    /// Creates a finding.
    public init(
        kind: Kind,
        subject: String,
        baselineValue: Double,
        observedValue: Double,
        score: Double,
        pValue: Double,
        baselineCount: Int,
        windowCount: Int,
        timeMicros: Int64,
        sampleNumber: Int,
        baselineLabel: String? = nil
    ) {
        self.kind = kind
        self.subject = subject
        self.baselineValue = baselineValue
        self.observedValue = observedValue
        self.score = score
        self.pValue = pValue
        self.baselineCount = baselineCount
        self.windowCount = windowCount
        self.timeMicros = timeMicros
        self.sampleNumber = sampleNumber
        self.baselineLabel = baselineLabel
    }
}
