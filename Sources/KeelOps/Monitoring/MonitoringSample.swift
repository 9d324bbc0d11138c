import KeelCore

/// A latency that monitoring keeps a histogram of.
public enum LatencyMeasure: String, Sendable, Hashable, Codable, CaseIterable {
    /// Time to first token (streams only).
    case timeToFirstToken = "ttft"
    /// Total request latency as the client saw it.
    case total
    /// Time spent waiting on the upstream.
    case upstream
    /// Time per output token after the first: `(total - ttft) / (outputTokens - 1)`.
    case timePerOutputToken = "time_per_output_token"
}

/// A latency objective whose good/bad counts every window slot keeps, so burn-rate rules can
/// read them over six hours without histograms.
struct LatencyObjectiveKey: Sendable, Hashable {
    var measure: LatencyMeasure
    var thresholdMicros: Int64
}

/// What one record contributes to a series, computed once per record.
struct MonitoringSample: Sendable {
    var timeMicros: Int64
    var errorClass: MonitoringErrorClass?
    var inputTokens: Int64
    var outputTokens: Int64
    var cachedInputTokens: Int64
    var costNanos: Int64
    var agentTaskSucceeded: Bool?
    /// `false` for an agent task outcome reported on its own (not by a request): it counts the
    /// task and nothing else.
    var countsRequest = true
    /// Latencies in microseconds; set only for successful requests.
    var ttft: Int64?
    var total: Int64?
    var upstream: Int64?
    var timePerOutputToken: Int64?
    /// Output tokens per second, in thousandths (HDR histograms hold integers).
    var outputTokensPerSecondMilli: Int64?
    /// Per latency objective: `nil` when the request does not count for it, else whether it was
    /// slower than the threshold.
    var slow: [Bool?]

    /// One agent task outcome, reported apart from any request (`POST /v1/tasks/{id}/outcome`).
    init(agentTaskSucceeded: Bool, timeMicros: Int64, objectives: [LatencyObjectiveKey]) {
        self.timeMicros = timeMicros
        self.errorClass = nil
        self.inputTokens = 0
        self.outputTokens = 0
        self.cachedInputTokens = 0
        self.costNanos = 0
        self.agentTaskSucceeded = agentTaskSucceeded
        self.countsRequest = false
        self.slow = Array(repeating: nil, count: objectives.count)
    }

    init(_ record: RequestRecord, agentTaskSucceeded: Bool?, timeMicros: Int64, objectives: [LatencyObjectiveKey]) {
        self.timeMicros = timeMicros
        self.errorClass = MonitoringErrorClass.classify(record)
        self.inputTokens = record.usage.inputTokens
        self.outputTokens = record.usage.outputTokens
        self.cachedInputTokens = record.usage.cachedInputTokens
        self.costNanos = record.cost.rawValue
        self.agentTaskSucceeded = agentTaskSucceeded
        if self.errorClass == nil {
            self.total = max(0, record.totalMicros)
            self.ttft = record.ttftMicros.map { max(0, $0) }
            self.upstream = record.upstreamMicros.map { max(0, $0) }
            let output = record.usage.outputTokens
            let generation = record.totalMicros - (record.ttftMicros ?? 0)
            if let ttft = record.ttftMicros, output > 1, record.totalMicros >= ttft {
                self.timePerOutputToken = (record.totalMicros - ttft) / (output - 1)
            }
            if output > 0, generation > 0 {
                self.outputTokensPerSecondMilli = output * 1_000_000_000 / generation
            }
        }
        self.slow = objectives.map { [total, ttft, upstream, timePerOutputToken] objective in
            let value: Int64? =
                switch objective.measure {
                case .total: total
                case .timeToFirstToken: ttft
                case .upstream: upstream
                case .timePerOutputToken: timePerOutputToken
                }
            return value.map { $0 > objective.thresholdMicros }
        }
    }
}
