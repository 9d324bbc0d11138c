/// Tuning knobs of `ModelDegradationDetector`: how much traffic forms a
/// model's healthy baseline, how much recent traffic is compared with it, and
/// how large and how certain a change must be before it is reported.
///
/// The defaults produce no finding on 20 000 requests of stationary
/// simulated traffic while catching truncation, refusal and error surges
/// within about 60–130 requests. Values outside their documented ranges are
/// clamped by the detector.
public struct ModelDegradationConfiguration: Sendable, Equatable {
    /// Requests that form the initial baseline (≥ 50, default 500).
    public var baselineSamples: Int
    /// Requests in the sliding recent window (20...1000, default 200).
    public var windowSamples: Int
    /// Minimum requests behind each side of a share or distribution test
    /// (default 100).
    public var minimumSamples: Int
    /// Minimum latency measurements behind each side of a latency test
    /// (default 50).
    public var minimumLatencySamples: Int
    /// One-sided p-value below which a change is significant (default 1e-6,
    /// strict because every request re-runs every test).
    public var significanceLevel: Double
    /// Minimum absolute rise of a finish-reason or error-class share
    /// (default 0.03 = 3 percentage points).
    public var minimumShareIncrease: Double
    /// Minimum Kolmogorov–Smirnov distance of the output-length
    /// distributions (default 0.15).
    public var minimumDistributionDistance: Double
    /// Factor by which the median time to first token must rise
    /// (default 1.5).
    public var timeToFirstTokenFactor: Double
    /// Factor below which the median tokens per second must fall
    /// (default 0.67).
    public var tokensPerSecondFactor: Double
    /// Consecutive normal requests before a finding of the same kind and
    /// subject may be reported again (default 100).
    public var rearmSamples: Int
    /// Upper bound on the baseline's total weight; clean windows are folded
    /// in with forgetting factor 1 − window/maximum, so the baseline follows
    /// slow, healthy drift (default 5000).
    public var maximumBaselineWeight: Double
    /// Distinct error classes tracked individually (1...32, default 16);
    /// further classes share one "(other)" slot.
    public var errorClassCapacity: Int
    /// Distinct reported model versions remembered (1...128, default 32).
    public var versionCapacity: Int
    /// The tests run every this many samples (1...100, default 10): they read whole histograms,
    /// and a detector sees every request of its model, so running them on each would cost more
    /// than the traffic it watches; a finding comes at most this many samples later.
    public var evaluationInterval: Int = 10

    /// Creates a configuration; every parameter has a production default.
    public init(
        baselineSamples: Int = 500,
        windowSamples: Int = 200,
        minimumSamples: Int = 100,
        minimumLatencySamples: Int = 50,
        significanceLevel: Double = 1e-6,
        minimumShareIncrease: Double = 0.03,
        minimumDistributionDistance: Double = 0.15,
        timeToFirstTokenFactor: Double = 1.5,
        tokensPerSecondFactor: Double = 0.67,
        rearmSamples: Int = 100,
        maximumBaselineWeight: Double = 5000,
        errorClassCapacity: Int = 16,
        versionCapacity: Int = 32
    ) {
        self.baselineSamples = baselineSamples
        self.windowSamples = windowSamples
        self.minimumSamples = minimumSamples
        self.minimumLatencySamples = minimumLatencySamples
        self.significanceLevel = significanceLevel
        self.minimumShareIncrease = minimumShareIncrease
        self.minimumDistributionDistance = minimumDistributionDistance
        self.timeToFirstTokenFactor = timeToFirstTokenFactor
        self.tokensPerSecondFactor = tokensPerSecondFactor
        self.rearmSamples = rearmSamples
        self.maximumBaselineWeight = maximumBaselineWeight
        self.errorClassCapacity = errorClassCapacity
        self.versionCapacity = versionCapacity
    }

    /// The configuration with every value forced into its supported range.
    var clamped: ModelDegradationConfiguration {
        var copy = self
        copy.baselineSamples = max(50, baselineSamples)
        copy.windowSamples = min(1000, max(20, windowSamples))
        copy.minimumSamples = min(copy.windowSamples, max(10, minimumSamples))
        copy.minimumLatencySamples = min(copy.windowSamples, max(10, minimumLatencySamples))
        copy.significanceLevel = min(0.5, max(1e-15, significanceLevel))
        copy.minimumShareIncrease = max(0, minimumShareIncrease)
        copy.minimumDistributionDistance = min(1, max(0, minimumDistributionDistance))
        copy.timeToFirstTokenFactor = max(1, timeToFirstTokenFactor)
        copy.tokensPerSecondFactor = min(1, max(0.01, tokensPerSecondFactor))
        copy.rearmSamples = max(1, rearmSamples)
        copy.maximumBaselineWeight = max(Double(copy.baselineSamples), maximumBaselineWeight)
        copy.errorClassCapacity = min(32, max(1, errorClassCapacity))
        copy.versionCapacity = min(128, max(1, versionCapacity))
        copy.evaluationInterval = min(100, max(1, evaluationInterval))
        return copy
    }
}
