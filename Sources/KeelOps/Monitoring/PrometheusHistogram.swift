/// A cumulative histogram with fixed upper bounds, as Prometheus exposes one.
struct PrometheusHistogram: Sendable, Equatable {
    /// Upper bounds, ascending; `+Inf` is implicit.
    let bounds: [Double]
    /// Per bound, then one for `+Inf`: observations in that bucket only (not cumulative).
    private(set) var counts: [Int64]
    private(set) var sum: Double = 0
    private(set) var count: Int64 = 0

    init(bounds: [Double]) {
        self.bounds = bounds
        self.counts = Array(repeating: 0, count: bounds.count + 1)
    }

    mutating func observe(_ value: Double) {
        var index = self.bounds.count
        // Bounds are few (≤ 16): a linear scan beats a binary search here.
        for (position, bound) in self.bounds.enumerated() where value <= bound {
            index = position
            break
        }
        self.counts[index] += 1
        self.sum += value
        self.count += 1
    }

    /// `(le, cumulative count)` pairs, ending with `+Inf`.
    var cumulativeBuckets: [(String, Int64)] {
        var running: Int64 = 0
        var result: [(String, Int64)] = []
        for (index, bound) in self.bounds.enumerated() {
            running += self.counts[index]
            result.append((PrometheusText.number(bound), running))
        }
        result.append(("+Inf", self.count))
        return result
    }
}

/// Bucket bounds from the OpenTelemetry GenAI semantic conventions' advice
/// (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-metrics/), which are sized for
/// LLM latencies: tens of milliseconds to over a minute.
enum PrometheusBuckets {
    /// `gen_ai.server.request.duration`, seconds.
    static let requestDuration: [Double] = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]
    /// `gen_ai.server.time_to_first_token`, seconds.
    static let timeToFirstToken: [Double] = [
        0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
    ]
    /// `gen_ai.server.time_per_output_token`, seconds.
    static let timePerOutputToken: [Double] = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5]
    /// `gen_ai.client.token.usage`, tokens.
    static let tokenUsage: [Double] = [
        1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1_048_576, 4_194_304, 16_777_216, 67_108_864,
    ]
}
