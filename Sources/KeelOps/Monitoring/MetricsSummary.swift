import Histogram

/// Live metrics of one window, grouped by model, provider, deployment or team: the body of
/// `GET /admin/v1/metrics/summary?by=model&window=5m`.
///
/// Latencies are milliseconds; rates are per minute of the time the window covers (less than
/// the window while the engine has run for less); costs are nano-dollars. Groups are sorted by
/// their key. A group with no request in the window is left out.
public struct MetricsSummary: Sendable, Equatable, Codable {
    /// Three percentiles of one distribution; absent when it has no value in the window.
    public struct Percentiles: Sendable, Equatable, Codable {
        public var p50: Double
        public var p95: Double
        public var p99: Double
        /// How many values the percentiles come from.
        public var count: Int64

        public init(p50: Double, p95: Double, p99: Double, count: Int64) {
            self.p50 = p50
            self.p95 = p95
            self.p99 = p99
            self.count = count
        }
    }

    /// The numbers of one group.
    public struct Group: Sendable, Equatable, Codable {
        public var provider: String?
        public var model: String?
        public var deployment: String?
        public var team: String?
        public var requests: Int64
        public var requestsPerMinute: Double
        public var errors: Int64
        /// Errors over requests.
        public var errorRate: Double
        /// Per error class (`rate_limit`, `timeout`, `upstream`, `content_filter`, `client`):
        /// errors of the class over requests. Every class is present.
        public var errorRateByClass: [String: Double]
        public var inputTokens: Int64
        public var outputTokens: Int64
        public var cachedInputTokens: Int64
        /// Input plus output tokens per minute.
        public var tokensPerMinute: Double
        public var costNanos: Int64
        /// `costNanos / requests`, rounded down.
        public var costPerRequestNanos: Int64
        public var timeToFirstTokenMillis: Percentiles?
        public var latencyMillis: Percentiles?
        public var upstreamLatencyMillis: Percentiles?
        public var timePerOutputTokenMillis: Percentiles?
        public var outputTokensPerSecond: Percentiles?
        /// Successful agent tasks over agent tasks reported, when any was.
        public var agentTaskSuccessRate: Double?

        enum CodingKeys: String, CodingKey {
            case provider, model, deployment, team, requests, errors
            case requestsPerMinute = "requests_per_minute"
            case errorRate = "error_rate"
            case errorRateByClass = "error_rate_by_class"
            case inputTokens = "input_tokens"
            case outputTokens = "output_tokens"
            case cachedInputTokens = "cached_input_tokens"
            case tokensPerMinute = "tokens_per_minute"
            case costNanos = "cost_nanos"
            case costPerRequestNanos = "cost_per_request_nanos"
            case timeToFirstTokenMillis = "ttft_ms"
            case latencyMillis = "latency_ms"
            case upstreamLatencyMillis = "upstream_latency_ms"
            case timePerOutputTokenMillis = "time_per_output_token_ms"
            case outputTokensPerSecond = "output_tokens_per_second"
            case agentTaskSuccessRate = "agent_task_success_rate"
        }
    }

    public var window: MetricsWindow
    public var groupedBy: MetricsGrouping
    /// The instant the summary was computed, in microseconds since the Unix epoch.
    public var generatedAtMicros: Int64
    /// The time the window covered, in seconds.
    public var coveredSeconds: Double
    public var groups: [Group]

    enum CodingKeys: String, CodingKey {
        case window, groups
        case groupedBy = "by"
        case generatedAtMicros = "generated_at_us"
        case coveredSeconds = "covered_seconds"
    }

    public init(window: MetricsWindow, groupedBy: MetricsGrouping, generatedAtMicros: Int64, coveredSeconds: Double, groups: [Group]) {
        self.window = window
        self.groupedBy = groupedBy
        self.generatedAtMicros = generatedAtMicros
        self.coveredSeconds = coveredSeconds
        self.groups = groups
    }
}

extension MetricsSummary {
    init(store: MonitoringStore, by grouping: MetricsGrouping, window: MetricsWindow, now: Int64) {
        let length = window.lengthMicros
        let span = store.span(length: length, now: now, shift: 0)
        let aggregates = store.aggregate(grouping: grouping, length: length, now: now)
        let groups = aggregates.sorted { $0.key < $1.key }.map { key, aggregate in
            Group(key: key, aggregate: aggregate)
        }
        self.init(
            window: window,
            groupedBy: grouping,
            generatedAtMicros: now,
            coveredSeconds: Double(span) / 1_000_000,
            groups: groups
        )
    }
}

extension MetricsSummary.Group {
    init(key: MonitoringGroupKey, aggregate: WindowAggregate) {
        let counters = aggregate.counters
        let requests = counters.requests
        let minutes = Double(max(aggregate.spanMicros, 1)) / 60_000_000
        self.provider = key.provider
        self.model = key.model
        self.deployment = key.deployment
        self.team = key.team
        self.requests = requests
        self.requestsPerMinute = Double(requests) / minutes
        self.errors = counters.errors
        self.errorRate = requests == 0 ? 0 : Double(counters.errors) / Double(requests)
        var byClass: [String: Double] = [:]
        for errorClass in MonitoringErrorClass.allCases {
            byClass[errorClass.rawValue] = requests == 0 ? 0 : Double(counters[errorClass]) / Double(requests)
        }
        self.errorRateByClass = byClass
        self.inputTokens = counters.inputTokens
        self.outputTokens = counters.outputTokens
        self.cachedInputTokens = counters.cachedInputTokens
        self.tokensPerMinute = Double(counters.inputTokens + counters.outputTokens) / minutes
        self.costNanos = counters.costNanos
        self.costPerRequestNanos = requests == 0 ? 0 : counters.costNanos / requests
        let histograms = aggregate.histograms
        self.timeToFirstTokenMillis = .init(histograms.timeToFirstToken, scale: 1_000)
        self.latencyMillis = .init(histograms.total, scale: 1_000)
        self.upstreamLatencyMillis = .init(histograms.upstream, scale: 1_000)
        self.timePerOutputTokenMillis = .init(histograms.timePerOutputToken, scale: 1_000)
        self.outputTokensPerSecond = .init(histograms.outputTokensPerSecondMilli, scale: 1_000)
        self.agentTaskSuccessRate =
            counters.agentTasks == 0 ? nil : Double(counters.agentTaskSuccesses) / Double(counters.agentTasks)
    }
}

extension MetricsSummary.Percentiles {
    /// The percentiles of `histogram`, each divided by `scale`; `nil` when it is empty.
    init?(_ histogram: LatencyHistograms.Counts, scale: Double) {
        guard histogram.totalCount > 0 else { return nil }
        self.init(
            p50: Double(histogram.valueAtPercentile(50)) / scale,
            p95: Double(histogram.valueAtPercentile(95)) / scale,
            p99: Double(histogram.valueAtPercentile(99)) / scale,
            count: Int64(histogram.totalCount)
        )
    }
}
