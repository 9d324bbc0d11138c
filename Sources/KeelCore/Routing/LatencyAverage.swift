#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How much a new latency sample moves a deployment's moving average.
public enum LatencySmoothing: Sendable, Equatable {
    /// `average ← average + alpha · (sample − average)`, with `0 < alpha ≤ 1`. Higher follows
    /// changes faster and noise more.
    case alpha(Double)
    /// The weight of a sample halves after this many newer samples (`alpha = 1 − 2^(−1/n)`).
    case halfLife(samples: Double)

    /// The weight of a new sample.
    public var alpha: Double {
        switch self {
        case .alpha(let alpha): min(1, max(alpha, .leastNonzeroMagnitude))
        case .halfLife(let samples): samples > 0 ? 1 - pow(2, -1 / samples) : 1
        }
    }
}

/// An exponentially weighted moving average of a latency (EWMA).
///
/// The first sample sets the average; each later one moves it by `alpha`. `nil` until measured.
public struct LatencyAverage: Sendable, Equatable {
    private var nanoseconds: Double?
    /// Samples recorded so far.
    public private(set) var samples = 0

    public init() {}

    /// The average, or `nil` when nothing was measured.
    public var value: Duration? { self.nanoseconds.map { .nanoseconds(Int64($0.rounded())) } }

    /// The average in nanoseconds, for ordering without converting.
    var rawNanoseconds: Double? { self.nanoseconds }

    /// Adds one sample.
    public mutating func record(_ sample: Duration, smoothing: LatencySmoothing) {
        let value = Double(max(0, RoutingTime.nanoseconds(sample)))
        if let current = self.nanoseconds {
            self.nanoseconds = current + smoothing.alpha * (value - current)
        } else {
            self.nanoseconds = value
        }
        self.samples += 1
    }
}
