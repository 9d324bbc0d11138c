import KeelCore
/// A service level objective with an error budget, the input of burn-rate alert rules.
///
/// Its events are the requests of the series a rule selects. A bad event is, for an availability
/// SLO, a request that failed with one of `badClasses`; for a latency SLO, a successful request
/// whose latency was above the threshold (requests without that latency do not count).
public struct ServiceLevelObjective: Sendable, Hashable {
    /// What makes an event bad.
    public enum Indicator: Sendable, Hashable {
        case availability(badClasses: Set<MonitoringErrorClass>)
        case latency(LatencyMeasure, threshold: Duration)
    }

    public var name: String
    /// The fraction of good events promised, e.g. `0.999`.
    public var target: Double
    public var indicator: Indicator

    public init(name: String, target: Double, indicator: Indicator) {
        self.name = name
        self.target = target
        self.indicator = indicator
    }

    /// An availability SLO. By default, failures the gateway or its upstreams are answerable for
    /// are bad (upstream errors, timeouts, rate limits); client errors and content filtering are
    /// not.
    public static func availability(
        _ name: String,
        target: Double,
        badClasses: Set<MonitoringErrorClass> = [.upstream, .timeout, .rateLimit]
    ) -> Self {
        Self(name: name, target: target, indicator: .availability(badClasses: badClasses))
    }

    /// A latency SLO: `target` of successful requests are at or below `threshold`.
    public static func latency(_ name: String, target: Double, measure: LatencyMeasure = .total, threshold: Duration) -> Self {
        Self(name: name, target: target, indicator: .latency(measure, threshold: threshold))
    }

    /// The fraction of events allowed to be bad: `1 - target`.
    public var errorBudget: Double { 1 - self.target }

    var latencyObjective: LatencyObjectiveKey? {
        guard case .latency(let measure, let threshold) = self.indicator else { return nil }
        return LatencyObjectiveKey(measure: measure, thresholdMicros: threshold.microseconds)
    }
}
